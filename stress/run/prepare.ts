/**
 * From raw flag values to a run ready to start: the scenario found, the options resolved and
 * checked (every problem at once, each naming its flag), the output paths and thresholds
 * checked, the scenario's derived options applied. Shared by `stress run` (raw values from argv) and the
 * programmatic run() (raw values from typed options), so both refuse the same input the same way.
 */
import * as os from 'node:os';
import { randomInt } from 'node:crypto';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from '../../scenarios';
import type { Scenario } from '../../scenarios/types';
import { isScenarioFile, readScenarioFile } from '../scenario-file/load';
import { applyDerived } from './scenario-exprs';
import { validateThresholds } from '../thresholds';
import { resolveRunOptions, type RawRunArgs } from './options';
import type { RunOptions } from './option-types';
import { outputDirProblem, outputFileProblem, pathProblems } from './output-paths';
import { serverBinProblem, serverCmdProblem } from '../sanitize/server-bin';

export type PreparedRun = { ok: true; scenario: Scenario; options: RunOptions } | { ok: false; errors: string[] };

/** Where the run will write and what it will run, checked before the load (exit 2 naming the flag). */
function outputProblems(o: RunOptions): string[] {
  return pathProblems([
    ['out', o.out, outputDirProblem],
    ['junit', o.junit, outputFileProblem],
    ['markdown', o.markdown, outputFileProblem],
    ['server-bin', o.serverBin, serverBinProblem],
    ['server-cmd', o.serverCmd, serverCmdProblem],
  ]);
}

/** A built-in scenario by name, or a scenario file by its path (ending in .json); or every problem with it. */
function findScenarioOrFile(name: string, warn: (text: string) => void): { scenario?: Scenario; errors: string[] } {
  if (isScenarioFile(name)) {
    const r = readScenarioFile(name, warn);
    return r.ok ? { scenario: r.scenario, errors: [] } : { errors: r.errors };
  }
  const scenario = findScenario(name);
  if (scenario !== undefined) return { scenario, errors: [] };
  return { errors: [`unknown scenario '${name}' (known: ${SCENARIOS.map((s) => s.name).join(', ')}; or a scenario file ending in .json)`] };
}

/** `earlier` are problems the caller found first (argv scanning); they are reported with the rest. */
export function prepareRun(scenarioName: string | undefined, raw: RawRunArgs, warn: (text: string) => void, earlier: string[] = []): PreparedRun {
  const name = scenarioName ?? DEFAULT_SCENARIO;
  const found = findScenarioOrFile(name, warn);
  const scenario = found.scenario;
  const errors = [...found.errors, ...earlier];
  const resolved = resolveRunOptions(raw, scenario?.defaults ?? {}, { cores: os.availableParallelism(), randomSeed: randomInt(0, 2 ** 32 - 1) }, warn);
  if (!resolved.ok) errors.push(...resolved.errors);
  else errors.push(...outputProblems(resolved.options));
  errors.push(...validateThresholds(raw.threshold ?? []));
  if (errors.length > 0 || scenario === undefined || !resolved.ok) return { ok: false, errors };
  const options = applyDerived(scenario, resolved.options, raw);
  return { ok: true, scenario, options };
}
