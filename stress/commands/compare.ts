/**
 * `stress compare <base> <head> [more...]`: reports side by side with deltas. Each argument is
 * a report, or a directory of reports: the repeats of one side, judged with a rank test over
 * the runs instead of the per-second noise of one run.
 * Exit 0 when nothing regressed past --fail-on-regression, 1 when something did,
 * 2 for a missing or invalid file, reports that cannot be compared (different schema versions,
 * or different settings unless --allow-different), or an interrupted baseline (unless
 * --allow-interrupted).
 */
import { writeFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions, type Flag } from '../flags/table';
import { compareSides, incomparable, type Side } from '../compare/compare';
import { comparisonMarkdown, formatComparison } from '../compare/format';
import { checkBaseline, loadComparable, ReportInputError, sideFiles } from '../compare/load';
import { EXIT } from '../run/exit-codes';
import { colourOn } from '../format/terminal';
import { outputFileProblem } from '../run/output-paths';
import { renderCompareHtml } from '../html/compare-render';
import { writeHtmlPage } from '../html/write';

export interface CompareArgs {
  base: string;
  head: string;
  more?: string[];
  'fail-on-regression'?: string;
  /**
   * A path: also write the Markdown comment there (as run and report do); 'stdout': print it instead
   * of the table ('-' cannot be a yargs value). '' or true is the old switch spelling (same as
   * 'stdout'), deprecated.
   */
  markdown?: string | boolean;
  'allow-interrupted'?: boolean;
  'allow-different'?: boolean;
  /** Also write the runs overlaid in one HTML page here. */
  html?: string;
}

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  colors: boolean;
}

/** "5%", "5", "0.5%" -> 0.05, 0.05, 0.005; null when it is not a percentage. */
export function parsePercent(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]) / 100;
  return n <= 10 ? n : null;
}

/** Where --markdown sends the comment: nowhere, stdout instead of the table, or a file beside it. */
function markdownTarget(args: CompareArgs, io: CommandIo): { kind: 'none' } | { kind: 'stdout' } | { kind: 'file'; path: string } {
  const value = args.markdown;
  if (value === undefined || value === false) return { kind: 'none' };
  if (value === '') io.err('stress compare: warning: --markdown without a value is deprecated, use --markdown stdout (print it instead of the table) or --markdown FILE');
  if (value === true || value === '' || value === 'stdout') return { kind: 'stdout' };
  return { kind: 'file', path: value };
}

/** Every side's reports, read and checked: an interrupted run is refused in the base and flagged in a head. */
function loadSides(argsList: readonly string[], allowInterrupted: boolean, io: CommandIo): Side[] {
  const filesOf = argsList.map(sideFiles);
  const all = loadComparable(filesOf.flat());
  let at = 0;
  return argsList.map((label, i) => {
    const files = filesOf[i] ?? [];
    const reports = all.slice(at, at + files.length);
    at += files.length;
    reports.forEach((r, k) => {
      if (i === 0) checkBaseline(files[k] ?? label, r, allowInterrupted);
      else if (r.verdict === 'interrupted') io.err(`stress compare: warning: ${files[k] ?? label} is an interrupted run: its numbers cover part of the run only`);
    });
    return { label, reports };
  });
}

export function compareCommandRun(args: CompareArgs, io: CommandIo): number {
  const markdown = markdownTarget(args, io);
  // The old switch written before the reports (--markdown a.json b.json) now reads a.json as the
  // path: refuse rather than write Markdown over a report.
  if (markdown.kind === 'file' && markdown.path.endsWith('.json')) {
    io.err(`stress compare: --markdown ${JSON.stringify(markdown.path)}: names a JSON file, not a Markdown one (to print the comment, use --markdown stdout)`);
    return EXIT.usage;
  }
  const outputs: Array<[string, string | undefined]> = [['markdown', markdown.kind === 'file' ? markdown.path : undefined], ['html', args.html]];
  for (const [flag, file] of outputs) {
    const why = file === undefined ? null : outputFileProblem(file);
    if (why !== null) {
      io.err(`stress compare: --${flag} ${JSON.stringify(file)}: ${why}`);
      return EXIT.usage;
    }
  }
  let threshold = 0;
  const gate = args['fail-on-regression'] !== undefined;
  if (gate) {
    const p = parsePercent(args['fail-on-regression'] ?? '');
    if (p === null) {
      io.err(`stress compare: --fail-on-regression must be a percentage like 5% (0 to 1000%), got ${JSON.stringify(args['fail-on-regression'])}`);
      return EXIT.usage;
    }
    threshold = p;
  }
  const sideArgs = [args.base, args.head, ...(args.more ?? [])];
  try {
    const sides = loadSides(sideArgs, args['allow-interrupted'] === true, io);
    const why = incomparable(sides, args['allow-different'] === true);
    if (why !== null) throw new ReportInputError(why);
    const comparison = compareSides(sides, threshold);
    if (markdown.kind === 'file') writeFileSync(markdown.path, comparisonMarkdown(comparison));

    io.out(markdown.kind === 'stdout' ? comparisonMarkdown(comparison) : formatComparison(comparison, { colors: io.colors }) + '\n');
    if (args.html !== undefined) io.out(`HTML: ${writeHtmlPage(args.html, renderCompareHtml(comparison, sides))}\n`);
    return gate && comparison.regressions.length > 0 ? EXIT.gateFailed : EXIT.pass;
  } catch (e) {
    if (e instanceof ReportInputError) {
      io.err(`stress compare: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

/** The compare command's flags, one line each (see stress/flags/table.ts). */
const COMPARE_FLAGS = [
  { name: 'fail-on-regression', type: 'string', side: 'run', describe: 'exit 1 when a metric is worse than the base by more than this percentage and the noise (e.g. 5%)' },
  { name: 'markdown', type: 'string', side: 'output', describe: 'also write a Markdown pull-request comment to this path, as run and report do; stdout prints it instead of the table (the bare switch is a deprecated spelling of stdout)' },
  { name: 'allow-interrupted', type: 'bool', side: 'run', describe: 'accept an interrupted run (verdict interrupted) as the baseline; refused by default (exit 2)' },
  { name: 'html', type: 'string', side: 'output', describe: 'also write the runs overlaid in one self-contained HTML page (spectra, throughput, latency over time, the delta table)' },
  { name: 'allow-different', type: 'bool', side: 'run', describe: 'compare runs whose settings differ (clients, send model, rate, payload, duration, target, backend, ...); refused by default (exit 2)' },
] as const satisfies readonly Flag[];

/** yargs' argv as CompareArgs (a flag given twice keeps its last value), and the problems of the command line as typed. */
function readCommandLine(args: Readonly<Record<string, unknown>>, argv: readonly string[]): { args: CompareArgs; problems: string[] } {
  const values = rawValues(COMPARE_FLAGS, args);
  const text = (name: string): string | undefined => {
    const value = values.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const more = Array.isArray(args.more) ? args.more.map(String) : undefined;
  return {
    args: { base: String(args.base), head: String(args.head), more, 'fail-on-regression': text('fail-on-regression'), markdown: text('markdown'), 'allow-interrupted': values.get('allow-interrupted') === true, 'allow-different': values.get('allow-different') === true, html: text('html') },
    problems: scanArgv(argv, COMPARE_FLAGS).problems,
  };
}

export const compareCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'compare <base> <head> [more..]',
  describe: 'set run reports side by side: deltas, noise, regressions in red',
  builder: (yargs: Argv<object>) =>
    hideYargsTypes(yargs)
      .positional('base', { type: 'string', demandOption: true, describe: 'the baseline report (JSON), or a directory of reports: repeats of one build' })
      .positional('head', { type: 'string', demandOption: true, describe: 'the report (or directory of repeats) to judge against it' })
      .positional('more', { type: 'string', array: true, describe: 'more reports or directories, each judged against the base' })
      .options(yargsOptions(COMPARE_FLAGS))
      .strict(false)
      .example('$0 compare reports/base.json reports/head.json --fail-on-regression 5%', 'CI: exit 1 on a regression past 5% and the noise')
      .example('$0 compare reports/base/ reports/head/ --fail-on-regression 5%', 'several runs per side (5 or more each): a rank test over the runs decides what is noise') as unknown as Argv<Record<string, unknown>>,
  handler: (argv) => {
    const { args, problems } = readCommandLine(argv, hideBin(process.argv));
    const io: CommandIo = {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(`${t}\n`),
      colors: colourOn(process.stdout),
    };
    for (const problem of problems) io.err(`stress compare: ${problem}`);
    process.exitCode = problems.length > 0 ? EXIT.usage : compareCommandRun(args, io);
  },
};
