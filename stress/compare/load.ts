/**
 * Reads a saved report for `stress compare` and `stress report`. Every failure
 * is a ReportInputError naming the file and what is wrong with it (exit 2).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { validateReport } from '../report/schema';
import { histogramProblem } from '../report/histogram';
import { SCHEMA_VERSION, type RunReport } from '../report/types';

export class ReportInputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

/** Problems shown per file before the rest is summarised as "and N more". */
const SHOWN_PROBLEMS = 5;

/** The parsed JSON of a file that at least looks like a report (an object with a schemaVersion). */
export function parseReportJson(file: string, text: string): Record<string, unknown> & { schemaVersion: unknown } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ReportInputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ReportInputError(`${file}: not a lanstress report (expected a JSON object)`);
  if (!('schemaVersion' in data)) throw new ReportInputError(`${file}: not a lanstress report (no schemaVersion)`);
  return data as Record<string, unknown> & { schemaVersion: unknown };
}

/** Checks a parsed report against schemaVersion 1 (stress/report/schema.ts). */
export function asRunReport(file: string, data: { schemaVersion: unknown }): RunReport {
  if (data.schemaVersion !== SCHEMA_VERSION) {
    throw new ReportInputError(`${file}: report schemaVersion ${JSON.stringify(data.schemaVersion)} is not supported; this lanstress reads schemaVersion ${SCHEMA_VERSION}`);
  }
  const problems = validateReport(data);
  if (problems.length > 0) {
    const more = problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : '';
    throw new ReportInputError(`${file}: not a valid schemaVersion ${SCHEMA_VERSION} report: ${problems.slice(0, SHOWN_PROBLEMS).join('; ')}${more}`);
  }
  const report = data as unknown as RunReport;
  // The schema sees base64 text; only decoding tells a histogram from garbage (compare and the
  // HTML read them all, and would fail after printing half their output).
  for (const [name, encoded] of Object.entries(report.results.latency.histograms)) {
    const why = histogramProblem(encoded);
    if (why !== null) throw new ReportInputError(`${file}: results.latency.histograms.${name} is not an HDR histogram (${why})`);
  }
  return report;
}

export function readReportJson(file: string): Record<string, unknown> & { schemaVersion: unknown } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ReportInputError(`${file}: cannot read report: ${why}`);
  }
  return parseReportJson(file, text);
}

export function loadReport(file: string): RunReport {
  return asRunReport(file, readReportJson(file));
}

/**
 * The report files one compare argument names: the file itself, or every *.json in a directory
 * (the repeats of one side, e.g. `stress run --out reports/base` run several times), sorted.
 */
export function sideFiles(arg: string): string[] {
  let isDir = false;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    return [arg]; // reading it names the problem (no such file)
  }
  if (!isDir) return [arg];
  const files = readdirSync(arg)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(arg, f));
  if (files.length === 0) throw new ReportInputError(`${arg}: a directory with no report (*.json) in it`);
  return files;
}

/**
 * Loads reports meant to be set side by side: every file must read, carry the same
 * schemaVersion and be valid; the first problem found is thrown, naming the file.
 */
export function loadComparable(files: readonly string[]): RunReport[] {
  const raw = files.map((f) => readReportJson(f));
  const first = raw[0];
  raw.forEach((r, i) => {
    if (first && r.schemaVersion !== first.schemaVersion) {
      throw new ReportInputError(
        `${files[i]} has report schemaVersion ${JSON.stringify(r.schemaVersion)} but ${files[0]} has ${JSON.stringify(first.schemaVersion)}: reports of different schema versions cannot be compared`,
      );
    }
  });
  return raw.map((r, i) => asRunReport(files[i] ?? '', r));
}

/**
 * A run stopped early measured part of what it was meant to: as a baseline it would let a
 * regression through (or flag one that is not). Refused unless the caller allows it.
 */
export function checkBaseline(file: string, report: RunReport, allowInterrupted: boolean): void {
  if (report.verdict !== 'interrupted' || allowInterrupted) return;
  const why = report.interrupted === undefined ? '' : ` after ${report.interrupted.atSec.toFixed(1)} s (${report.interrupted.reason})`;
  throw new ReportInputError(`${file}: the baseline run was interrupted${why}; an interrupted run is not a baseline (--allow-interrupted compares against it anyway)`);
}
