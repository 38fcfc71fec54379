/**
 * `stress report <run.json>`: the summary table again from a saved report, and on
 * request its HTML page, JUnit XML and Markdown summary. --threshold judges the saved
 * run again against new bounds (exit 1 when one breaks); --gate exits 1 when the
 * report's verdict is fail. Either exits 4 for an interrupted run, whatever the bounds:
 * it stays interrupted. A missing or invalid file exits 2, naming it.
 */
import type { Argv, CommandModule } from 'yargs';
import { writeCiOutputs } from '../ci-output/write';
import { loadReport, ReportInputError } from '../compare/load';
import { htmlPathFor, writeHtmlReport } from '../html/write';
import { formatFailedGates, formatSummary } from '../report/summary';
import type { RunReport } from '../report/types';
import { EXIT } from '../run/exit-codes';
import { failedGates, verdictOf } from '../run/gates';
import { evaluateThresholds } from '../thresholds/evaluate';
import { parseThreshold, THRESHOLD_HELP, validateThresholds } from '../thresholds/grammar';

export interface ReportArgs {
  report: string;
  html?: string;
  junit?: string;
  markdown?: string;
  threshold?: string[];
  gate?: boolean;
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

export function reportCommandRun(args: ReportArgs, io: ReportIo): number {
  const problems = validateThresholds(args.threshold ?? []);
  for (const [flag, value] of [['--junit', args.junit], ['--markdown', args.markdown]] as const) {
    if (value !== undefined && value.trim() === '') problems.push(`${flag} needs a file name`);
  }
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
  io.out(formatSummary(report, { colors: io.colors, reportPath: args.report }));
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

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <report>',
  describe: 'print a saved run report again; write its HTML, JUnit or Markdown',
  builder: (yargs: Argv<object>) =>
    yargs
      .positional('report', { type: 'string', demandOption: true, describe: 'a JSON report written by `stress run`' })
      .option('html', { type: 'string', describe: 'write the HTML report (default: next to the JSON, .html)' })
      .option('junit', { type: 'string', describe: 'write JUnit XML: one test case per gate and threshold' })
      .option('markdown', { type: 'string', describe: 'write a Markdown summary (for a CI step summary)' })
      .option('threshold', { type: 'string', array: true, describe: "judge the saved run again, repeatable: 'p99<20ms' (exit 1 when broken)" })
      .option('gate', { type: 'boolean', describe: "exit 1 when the report's verdict is fail (4 when the run was interrupted)" })
      .epilogue(THRESHOLD_HELP)
      .example('$0 report reports/run.json --html', 'write reports/run.html')
      .example('$0 report reports/run.json --threshold "p99<20ms" --junit junit.xml', 'gate a saved run in CI') as unknown as Argv<ReportArgs>,
  handler: (args) => {
    process.exitCode = reportCommandRun(args, {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(`${t}\n`),
      colors: process.stdout.isTTY === true,
    });
  },
};
