/**
 * The programmatic run, as autocannon's: `run(options)` makes one `stress run` and resolves with
 * its report (the object the JSON report holds). The options are the run flags by their
 * camelCase names (--client-workers is clientWorkers), typed from the flag table, and go through
 * the very parsing and checks the command line does (stress/run/prepare.ts): bad input rejects
 * with a UsageError (code ERR_LANSTRESS_USAGE) listing every problem, each naming its flag, before
 * any load. Nothing is written unless asked: the JSON and HTML reports only with `out`, the CI
 * files only with `junit`/`markdown`; nothing is printed unless `stdout`/`stderr` are given.
 */
import { EXIT, UsageError } from '../run/exit-codes';
import { RUN_FLAGS, type RawRunArgs } from '../run/options';
import { prepareRun } from '../run/prepare';
import type { ProgressSink } from '../run/progress';
import type { RunReport } from '../report/types';

type RunFlagEntry = (typeof RUN_FLAGS)[number];

/** kebab-case to camelCase, as a type: 'client-workers' -> 'clientWorkers'. */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** What a flag takes as a typed value: the text the command line takes is always accepted too. */
type ApiValue<E extends RunFlagEntry> = E extends { type: 'bool' }
  ? boolean
  : E extends { repeatable: true }
    ? string | readonly string[]
    : E extends { type: 'int' | 'number' | 'duration' | 'size' }
      ? number | string
      : E extends { type: 'list'; choices: readonly (infer C)[] }
        ? string | readonly (C | string)[]
        : E extends { type: 'enum'; choices: readonly (infer C)[] }
          ? C | string
          : E extends { name: 'payload' }
            ? number | string
            : string;

/** The run flags by camelCase name, each optional; `scenario` names the scenario (default echo-flood). */
export type RunApiOptions = { [E in RunFlagEntry as Camel<E['name']>]?: ApiValue<E> } & { scenario?: string };

/** Where run() reports progress, the summary and warnings (silent when not given), and what may stop it. */
export interface RunApiIo {
  stdout?: ProgressSink;
  stderr?: ProgressSink;
  /** Aborting stops the load as SIGINT does: run() still resolves, with verdict `interrupted`. */
  signal?: AbortSignal;
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
const FLAG_BY_KEY = new Map<string, RunFlagEntry>(RUN_FLAGS.map((f) => [camel(f.name), f]));
const SILENT: ProgressSink = { write: () => true };

/** A typed value as the text the command line would give (lists comma-joined); problems for what no flag takes. */
function toRaw(options: RunApiOptions): { raw: RawRunArgs; argv: string[]; problems: string[] } {
  const raw: Record<string, string | boolean | string[]> = {};
  const argv: string[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options) as Array<[string, unknown]>) {
    if (key === 'scenario' || value === undefined) continue;
    const flag = FLAG_BY_KEY.get(key);
    if (flag === undefined) {
      problems.push(`unknown option '${key}' (the run flags by camelCase name: ${[...FLAG_BY_KEY.keys()].join(', ')})`);
      continue;
    }
    if (flag.type === 'bool') {
      if (typeof value !== 'boolean') problems.push(`--${flag.name} ${JSON.stringify(value)}: must be true or false`);
      else {
        raw[flag.id] = value;
        if (value) argv.push(`--${flag.name}`);
      }
      continue;
    }
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    if (items.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      problems.push(`--${flag.name} ${JSON.stringify(value)}: must be ${'repeatable' in flag ? 'a string or an array of them' : 'a string or a number'}`);
      continue;
    }
    const texts = items.map(String);
    raw[flag.id] = 'repeatable' in flag ? texts : texts.join(',');
    for (const text of 'repeatable' in flag ? texts : [texts.join(',')]) argv.push(`--${flag.name}`, text);
  }
  return { raw: raw as RawRunArgs, argv, problems };
}

/**
 * One run of a scenario against the embedded server (or `target`), resolved with its report.
 * One run makes one report: `backend` defaults to auto (also for chaos, whose command line
 * default is all); 'all' or a list of several is refused, call run() once per backend instead.
 * Rejects with UsageError (code ERR_LANSTRESS_USAGE) on bad input, and with an Error of code
 * ERR_LANSTRESS_SERVER when the embedded server cannot start. A failed gate is not an error: read
 * `report.verdict` and `report.gates`.
 */
export async function run(options: RunApiOptions = {}, io: RunApiIo = {}): Promise<RunReport> {
  const warnings: string[] = [];
  const given = options.backend === undefined ? { ...options, backend: 'auto' } : options;
  const { raw, argv, problems } = toRaw(given);
  const prepared = prepareRun(options.scenario, raw, (text) => warnings.push(text), problems);
  for (const w of warnings) io.stderr?.write(`stress: warning: ${w}\n`);
  if (!prepared.ok) throw new UsageError(prepared.errors.join('\n'), prepared.errors);
  const backend = prepared.options.backend;
  if (backend === 'all' || Array.isArray(backend)) {
    const text = Array.isArray(backend) ? backend.join(',') : backend;
    const problem = `--backend "${text}": run() makes one run and returns its report: name one backend or auto, and call run() once per backend`;
    throw new UsageError(problem, [problem]);
  }
  const { runScenario } = await import('../run/orchestrate');
  const outcome = await runScenario(prepared.scenario, prepared.options, {
    stdout: io.stdout ?? SILENT,
    stderr: io.stderr ?? SILENT,
    argv: [prepared.scenario.name, ...argv],
    writeReports: options.out !== undefined,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  const [only] = outcome.runs;
  if (only?.report == null) {
    const err = new Error(`the embedded server did not start (exit ${outcome.exitCode}): give run() a stderr to see why`);
    throw Object.assign(err, { code: 'ERR_LANSTRESS_SERVER', exitCode: EXIT.serverCrashed });
  }
  return only.report;
}
