/** Runs a scenario through the real CLI (embedded native server or a --target) and reads its report. */
import { readFileSync } from 'node:fs';
import type { RunReport } from '../../stress/report/types';
import { runCli, tempDir, type CliResult } from '../stress/helpers';

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
  return { cli, report: JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport };
}

export function failed(r: RunReport): string[] {
  return r.gates.filter((g) => !g.unknown && !g.pass).map((g) => `${g.name} (actual ${g.actual})`);
}

export function gate(r: RunReport, name: string): RunReport['gates'][number] {
  const g = r.gates.find((x) => x.name.startsWith(name));
  if (g === undefined) throw new Error(`no gate ${name} in ${r.gates.map((x) => x.name).join(', ')}`);
  return g;
}
