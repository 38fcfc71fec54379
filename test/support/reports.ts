/** Reading the reports a run wrote, and their failed gates as the product computes them. */
import { readFileSync } from 'node:fs';
import { failedGates } from '../../stress/run/gates';
import type { RunReport } from '../../stress/report/types';
import type { CliResult } from './cli';

export function readReport(file: string): RunReport {
  return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
}

/** The report paths a `--json` run printed (one JSON line per run; several with more than one backend). */
export function reportPaths(r: CliResult): string[] {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { report: string }).report);
}

/** The reports a `--json` run wrote, in the order it printed them. */
export function reportsOf(r: CliResult): RunReport[] {
  return reportPaths(r).map(readReport);
}

/** The one report a `--json` run wrote. */
export function reportOf(r: CliResult): RunReport {
  const [first] = reportPaths(r);
  if (first === undefined) throw new Error(`no JSON line on stdout (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return readReport(first);
}

/** Names of the gates a report failed (stress/run/gates.ts failedGates: unknown ones are not failures). */
export function failedGateNames(report: RunReport): string[] {
  return failedGates(report.gates).map((g) => g.name);
}
