/**
 * `stress merge a.json b.json ... -o merged.json`: the shard reports of one fleet (stress run
 * --shard I/N) as one report, exact where numbers allow (stress/merge/), its gates judged again.
 * The merged file is a report like any other: `stress report`, `compare` and the HTML read it.
 * Exit codes as a run's: 2 bad input (naming the file or flag, nothing written), 3 a part's
 * server crashed, 4 a part was interrupted, 1 a threshold broke (or any gate, with --gate).
 */
import { renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions, type Flag } from '../flags/table';
import { ReportInputError } from '../compare/load';
import { htmlPathFor, writeHtmlReport } from '../html/write';
import { mergeShardFiles } from '../merge';
import { formatFailedGates, formatSummary } from '../report/summary';
import type { RunReport } from '../report/types';
import { EXIT } from '../run/exit-codes';
import { failedGates } from '../run/gates';
import { outputFileProblem } from '../run/output-paths';
import { colourOn } from '../format/terminal';

/** The merge command's flags, one line each (see stress/flags/table.ts). */
const MERGE_FLAGS = [
  { name: 'out', type: 'string', side: 'output', describe: 'the merged report (JSON) to write; -o for short' },
  { name: 'html', type: 'bool', side: 'output', describe: 'also write the HTML page next to it (.html)' },
  { name: 'gate', type: 'bool', side: 'run', describe: 'exit 1 when any gate of the merged run fails (thresholds always do)' },
] as const satisfies readonly Flag[];

export interface MergeArgs {
  reports: string[];
  out: string | undefined;
  html: boolean;
  gate: boolean;
}

export interface MergeIo {
  out: (text: string) => void;
  err: (text: string) => void;
  colors: boolean;
}

/** `-o` is --out's short spelling: the table scan knows flags by their long names. */
function longSpellings(argv: readonly string[]): string[] {
  return argv.map((t) => (t === '-o' ? '--out' : t.startsWith('-o=') ? `--out=${t.slice(3)}` : t));
}

function readCommandLine(args: Readonly<Record<string, unknown>>, argv: readonly string[]): { args: MergeArgs; problems: string[] } {
  const values = rawValues(MERGE_FLAGS, args);
  const out = values.get('out');
  const reports = Array.isArray(args.reports) ? args.reports.map(String) : [];
  return {
    args: { reports, out: typeof out === 'string' ? out : undefined, html: values.get('html') === true, gate: values.get('gate') === true },
    problems: scanArgv(longSpellings(argv), MERGE_FLAGS).problems,
  };
}

/** Written whole or not at all: a temp file beside it, renamed over. */
function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function exitCodeOf(report: RunReport, gate: boolean): number {
  if (report.server.crashed) return EXIT.serverCrashed;
  if (report.verdict === 'interrupted') return EXIT.interrupted;
  const failed = failedGates(report.gates);
  return (gate ? failed : failed.filter((g) => g.kind === 'threshold')).length > 0 ? EXIT.gateFailed : EXIT.pass;
}

export function mergeCommandRun(args: MergeArgs, io: MergeIo, commandLineProblems: readonly string[] = []): number {
  const problems = [...commandLineProblems];
  if (args.out === undefined || args.out.trim() === '') problems.push('--out: required: the merged report to write (-o merged.json)');
  else {
    const why = outputFileProblem(args.out);
    if (why !== null) problems.push(`--out ${JSON.stringify(args.out)}: ${why}`);
    if (args.reports.includes(args.out)) problems.push(`--out ${JSON.stringify(args.out)}: is one of the shard reports: it would be overwritten`);
  }
  if (args.reports.length === 0) problems.push('give the shard reports to merge: stress merge a.json b.json ... -o merged.json');
  if (problems.length > 0 || args.out === undefined) {
    for (const p of problems) io.err(`stress merge: ${p}`);
    return EXIT.usage;
  }
  let merged: RunReport;
  try {
    merged = mergeShardFiles(args.reports, ['merge', ...args.reports, '--out', args.out]);
  } catch (e) {
    if (!(e instanceof ReportInputError)) throw e;
    for (const line of e.message.split('\n')) io.err(`stress merge: ${line}`);
    return EXIT.usage;
  }
  writeAtomically(args.out, `${JSON.stringify(merged, null, 2)}\n`);
  io.out(formatSummary(merged, { colors: io.colors, reportPath: args.out }));
  if (args.html) io.out(`HTML: ${writeHtmlReport(merged, htmlPathFor(args.out), args.out)}\n`);
  const code = exitCodeOf(merged, args.gate);
  if (code === EXIT.gateFailed) io.err(formatFailedGates(failedGates(merged.gates).filter((g) => args.gate || g.kind === 'threshold'), io.colors).replace(/\n$/, ''));
  return code;
}

export const mergeCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'merge <reports..>',
  describe: 'merge the shard reports of one fleet (run --shard I/N) into one report, its gates judged again',
  builder: (yargs: Argv<object>) =>
    hideYargsTypes(yargs)
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'the shard reports (JSON), every part of the fleet once' })
      .options(yargsOptions(MERGE_FLAGS))
      .alias('o', 'out')
      .strict(false)
      .example('$0 merge reports/shard-*.json -o merged.json', 'one report of the whole fleet')
      .example('$0 report merged.json --threshold "p99<10ms"', 'judge the merged run like any other') as unknown as Argv<Record<string, unknown>>,
  handler: (argv) => {
    const { args, problems } = readCommandLine(argv, hideBin(process.argv));
    process.exitCode = mergeCommandRun(args, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(`${t}\n`), colors: colourOn(process.stdout) }, problems);
  },
};
