/**
 * `stress merge`'s work, apart from its command line: read the shard reports, refuse what is not
 * the whole of one fleet, combine, judge again, check the result against the report schema.
 * Every problem with an input is a ReportInputError naming its file (exit 2).
 */
import { loadReport, ReportInputError } from '../compare/load';
import { validateReport } from '../report/schema';
import type { RunReport } from '../report/types';
import { combineParts } from './combine';
import { judgeMerged } from './judge';
import { partProblems, type Part } from './parts';

export { partProblems, PER_PART_OPTIONS, type Part } from './parts';
export { addHistograms, sharedServer } from './combine';

/** The merged report of `files` (shard reports of one fleet, in any order), judged again. */
export function mergeShardFiles(files: readonly string[], argv: string[]): RunReport {
  const parts: Part[] = files.map((file) => ({ file, report: loadReport(file) }));
  const problems = partProblems(parts);
  if (problems.length > 0) throw new ReportInputError(problems.join('\n'));
  const ordered = [...parts].sort((a, b) => a.report.shard!.index - b.report.shard!.index);
  let merged: RunReport;
  try {
    merged = judgeMerged(combineParts(ordered, argv), ordered.map((p) => p.report));
  } catch (e) {
    throw new ReportInputError(`${ordered[0]!.file}: ${(e as Error).message}`);
  }
  const invalid = validateReport(merged);
  // The parts were valid, so an invalid merge is our bug, not the user's input.
  if (invalid.length > 0) throw new Error(`the merged report does not match the report schema: ${invalid.join('; ')}`);
  return merged;
}
