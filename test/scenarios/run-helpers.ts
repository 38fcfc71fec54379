/** Runs a scenario through the real CLI (embedded native server or a --target) and reads its report. */
import type { RunReport } from '../../stress/report/types';
import { failedGates } from '../../stress/run/gates';
import { runCli, type CliResult } from '../support/cli';
import { readReport } from '../support/reports';
import { tempDir } from '../support/temp';

export interface ScenarioRun {
  cli: CliResult;
  report: RunReport;
}

/** Bounded: a run of a few seconds gets a minute before it is killed. */
export async function runScenarioCli(args: string[], timeoutMs = 60_000): Promise<ScenarioRun> {
  const out = tempDir();
  const cli = await runCli([...args, '--json', '--out', out], timeoutMs);
  const line = cli.stdout.trim().split('\n').pop() ?? '';
  let reportPath: string;
  try {
    reportPath = (JSON.parse(line) as { report: string }).report;
  } catch {
    throw new Error(`no JSON summary (exit ${cli.code}, timed out ${cli.timedOut}); stderr:\n${cli.stderr}`);
  }
  return { cli, report: readReport(reportPath) };
}

/** The failed gates with what was measured, for assertion messages. */
export function failed(r: RunReport): string[] {
  return failedGates(r.gates).map((g) => `${g.name} (actual ${g.actual})`);
}

export function gate(r: RunReport, name: string): RunReport['gates'][number] {
  const g = r.gates.find((x) => x.name.startsWith(name));
  if (g === undefined) throw new Error(`no gate ${name} in ${r.gates.map((x) => x.name).join(', ')}`);
  return g;
}
