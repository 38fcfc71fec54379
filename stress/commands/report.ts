/**
 * `stress report <run.json>`: the summary table again from a saved report, and on
 * request its HTML page, JUnit XML and Markdown summary. --threshold judges the saved
 * run again against new bounds (exit 1 when one breaks); --gate exits 1 when the
 * report's verdict is fail. Either exits 4 for an interrupted run, whatever the bounds:
 * it stays interrupted. A missing or invalid file exits 2, naming it.
 */
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions, type Flag } from '../flags/table';
import { writeCiOutputs } from '../ci-output/write';
import { loadReport, ReportInputError } from '../compare/load';
import { htmlPathFor, writeHtmlReport } from '../html/write';
import { formatFailedGates, formatSummary } from '../report/summary';
import type { RunReport } from '../report/types';
import { EXIT } from '../run/exit-codes';
import { colourOn } from '../format/terminal';
import { outputFileProblem, pathProblems } from '../run/output-paths';
import { failedGates, verdictOf } from '../run/gates';
import { evaluateThresholds } from '../thresholds/evaluate';
import { parseThreshold, THRESHOLD_HELP, validateThresholds } from '../thresholds/grammar';

/** The report command's flags, one line each (see stress/flags/table.ts). */
const REPORT_FLAGS = [
  { name: 'html', type: 'string', side: 'output', shown: 'next to the JSON, .html', describe: 'write the HTML report to this path' },
  { name: 'junit', type: 'string', side: 'output', describe: 'write JUnit XML to this path: one test case per gate and threshold' },
  { name: 'markdown', type: 'string', side: 'output', describe: 'write a Markdown summary to this path (for a CI step summary)' },
  { name: 'threshold', type: 'string', repeatable: true, side: 'run', describe: "judge the saved run again: 'p99<20ms' (exit 1 when broken)" },
  { name: 'gate', type: 'bool', side: 'run', describe: "exit 1 when the report's verdict is fail (4 when the run was interrupted)" },
  { name: 'verbose', type: 'bool', side: 'output', describe: 'print every summary table in full instead of the compact summary' },
] as const satisfies readonly Flag[];

export interface ReportArgs {
  report: string;
  html?: string;
  junit?: string;
  markdown?: string;
  threshold?: string[];
  gate?: boolean;
  verbose?: boolean;
}

export interface ReportIo {
  out: (text: string) => void;
  err: (text: string) => void;
  colors: boolean;
}

/** The report with the given thresholds judged again (a threshold of the same text replaces the saved verdict). */
export function withThresholds(report: RunReport, thresholds: readonly string[]): RunReport {
  if (thresholds.length === 0) return report;
  const parsed = thresholds.map(parseThreshold);
  const names = new Set(parsed.map((t) => t.text));
  const gates = [...report.gates.filter((g) => !(g.kind === 'threshold' && names.has(g.name))), ...evaluateThresholds(report, parsed)];
  // An interrupted run stays interrupted: new bounds cannot make a partial run pass.
  return { ...report, gates, verdict: verdictOf({ ...report, gates }) };
}

/**
 * yargs' argv as ReportArgs: a flag given twice keeps its last value (the argv scan reports it),
 * and the problems of the command line as typed (unknown flags, repeats, --gate=maybe).
 */
function readCommandLine(args: Readonly<Record<string, unknown>>, argv: readonly string[]): { args: ReportArgs; problems: string[] } {
  const values = rawValues(REPORT_FLAGS, args);
  const text = (name: string): string | undefined => {
    const value = values.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const threshold = values.get('threshold');
  const extra = (Array.isArray(args._) ? args._.map(String) : []).filter((w) => w !== 'report').map((w) => `unexpected argument '${w}'`);
  return {
    args: { report: String(args.report), html: text('html'), junit: text('junit'), markdown: text('markdown'), threshold: Array.isArray(threshold) ? threshold : undefined, gate: values.get('gate') === true, verbose: values.get('verbose') === true },
    problems: [...scanArgv(argv, REPORT_FLAGS).problems, ...extra],
  };
}

export function reportCommandRun(args: ReportArgs, io: ReportIo, commandLineProblems: readonly string[] = []): number {
  const problems = [...commandLineProblems, ...validateThresholds(args.threshold ?? [])];
  problems.push(
    ...pathProblems([
      ['junit', args.junit, outputFileProblem],
      ['markdown', args.markdown, outputFileProblem],
      // A bare --html writes next to the report: its directory is checked when it is given.
      ['html', args.html !== undefined && args.html.trim() !== '' ? args.html : undefined, outputFileProblem],
    ]),
  );
  if (problems.length > 0) {
    for (const p of problems) io.err(`stress report: ${p}`);
    return EXIT.usage;
  }
  let report: RunReport;
  try {
    report = withThresholds(loadReport(args.report), args.threshold ?? []);
  } catch (e) {
    if (e instanceof ReportInputError) {
      io.err(`stress report: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  io.out(formatSummary(report, { colors: io.colors, reportPath: args.report, verbose: args.verbose === true }));
  if (args.html !== undefined) {
    const out = args.html.trim() === '' ? htmlPathFor(args.report) : args.html;
    io.out(`HTML: ${writeHtmlReport(report, out, args.report)}\n`);
  }
  for (const file of writeCiOutputs(report, { junit: args.junit, markdown: args.markdown })) io.out(`Wrote ${file}\n`);
  const failed = failedGates(report.gates);
  const enforced = args.gate ? failed : failed.filter((g) => g.kind === 'threshold' && (args.threshold ?? []).length > 0);
  if (enforced.length > 0) io.err(formatFailedGates(enforced, io.colors).replace(/\n$/, ''));
  const judged = args.gate === true || (args.threshold ?? []).length > 0;
  // Judging an interrupted run again exits as the run did: no bound makes a partial run pass.
  if (judged && report.verdict === 'interrupted') return EXIT.interrupted;
  return enforced.length > 0 ? EXIT.gateFailed : EXIT.pass;
}

export const reportCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'report <report>',
  describe: 'print a saved run report again; write its HTML, JUnit or Markdown',
  builder: (yargs: Argv<object>) =>
    hideYargsTypes(yargs)
      .positional('report', { type: 'string', demandOption: true, describe: 'a JSON report written by `stress run`' })
      .options(yargsOptions(REPORT_FLAGS))
      .strict(false)
      .epilogue(THRESHOLD_HELP)
      .example('$0 report reports/run.json --html', 'write reports/run.html')
      .example('$0 report reports/run.json --threshold "p99<20ms" --junit junit.xml', 'gate a saved run in CI') as unknown as Argv<Record<string, unknown>>,
  handler: (argv) => {
    const { args, problems } = readCommandLine(argv, hideBin(process.argv));
    process.exitCode = reportCommandRun(args, {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(`${t}\n`),
      colors: colourOn(process.stdout),
    }, problems);
  },
};
