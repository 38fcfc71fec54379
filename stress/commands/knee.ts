/**
 * `stress knee --threshold 'p99<10ms' [-- run flags]`: the highest offered rate at which every
 * threshold holds, found by whole runs at rising rates (stress/knee/), bounded in steps and
 * time. Writes <out>/knee.json (every step, the rate that held, the one that broke) and
 * <out>/knee.html (latency against offered rate), each step's report under <out>/step-N/.
 * Exit 0 when some rate held, 1 when the first step already broke, 2 bad input (before any
 * load), or the exit code of a step run that failed otherwise (3 crashed, 4 interrupted).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions, type Flag } from '../flags/table';
import { Problems, readNumber } from '../flags/values';
import { EXIT } from '../run/exit-codes';
import { outputDirProblem } from '../run/output-paths';
import { THRESHOLD_HELP, validateThresholds } from '../thresholds';
import { kneeHtml } from '../knee/html';
import { searchKnee, type KneeResult, type KneeSettings } from '../knee/search';

/** The knee command's flags, one line each (see stress/flags/table.ts). */
const KNEE_FLAGS = [
  { name: 'threshold', type: 'string', repeatable: true, side: 'run', describe: "the bound to hold: 'p99<10ms' (several: every one must hold)" },
  { name: 'from', type: 'number', range: [1, 100_000_000], init: 1000, side: 'fleet', describe: 'offered packets per second across the fleet at the first step' },
  { name: 'factor', type: 'number', range: [1.05, 100], init: 2, side: 'fleet', describe: 'each step offers this many times the last' },
  { name: 'max-steps', type: 'int', range: [1, 50], init: 8, side: 'run', describe: 'at most this many steps' },
  { name: 'step-duration', type: 'duration', unit: 's', range: [1, 3600], init: 5, side: 'run', describe: 'load time of each step' },
  { name: 'max-time', type: 'duration', unit: 's', range: [1, 24 * 3600], init: 600, side: 'run', describe: 'no step starts after this much time searching' },
  { name: 'clients', type: 'int', range: [1, 1_000_000], init: 50, side: 'fleet', describe: 'connections of every step (the offered rate is spread over them)' },
  { name: 'out', type: 'string', init: 'reports/knee', side: 'output', describe: 'directory for knee.json, knee.html and each step\'s report' },
] as const satisfies readonly Flag[];

/** Flags the search sets on every step itself: given after `--` they would fight it. */
const SET_BY_KNEE = ['rate', 'pipeline', 'clients', 'duration', 'threshold', 'json', 'out', 'shard', 'start-at'];

type KneeArgs = Record<string, unknown> & { _: Array<string | number>; '--'?: Array<string | number> };

function number(p: Problems, flag: (typeof KNEE_FLAGS)[number], raw: unknown): number {
  const init = 'init' in flag && typeof flag.init === 'number' ? flag.init : 0;
  if (raw === undefined) return init;
  return readNumber(p, flag, String(raw)) ?? init;
}

/** The command line as KneeSettings, or every problem with it (each naming its flag). */
export function readKneeCommandLine(args: KneeArgs, argv: readonly string[]): { settings: KneeSettings; problems: string[] } {
  const values = rawValues(KNEE_FLAGS, args);
  const p = new Problems();
  const flag = (name: string): (typeof KNEE_FLAGS)[number] => KNEE_FLAGS.find((f) => f.name === name)!;
  const thresholdValue = values.get('threshold');
  const thresholds = Array.isArray(thresholdValue) ? thresholdValue : typeof thresholdValue === 'string' ? [thresholdValue] : [];
  const dashDash = argv.indexOf('--');
  const runArgs = dashDash < 0 ? [] : argv.slice(dashDash + 1).map(String);
  const out = values.get('out');
  const settings: KneeSettings = {
    thresholds,
    from: number(p, flag('from'), values.get('from')),
    factor: number(p, flag('factor'), values.get('factor')),
    maxSteps: number(p, flag('max-steps'), values.get('max-steps')),
    stepDurationSec: number(p, flag('step-duration'), values.get('step-duration')),
    maxTimeSec: number(p, flag('max-time'), values.get('max-time')),
    clients: number(p, flag('clients'), values.get('clients')),
    out: typeof out === 'string' ? out : 'reports/knee',
    runArgs,
  };
  const problems = [...scanArgv(dashDash < 0 ? argv : argv.slice(0, dashDash), KNEE_FLAGS).problems, ...p.errors, ...validateThresholds(thresholds)];
  if (thresholds.length === 0) problems.push("--threshold: required: the bound the search holds, e.g. --threshold 'p99<10ms'");
  for (const word of runArgs) {
    const name = word.replace(/^--?/, '').split('=')[0]!;
    if (word.startsWith('-') && SET_BY_KNEE.includes(name)) problems.push(`--${name} after --: the knee search sets it on every step (use the knee's own flags)`);
  }
  const dirProblem = outputDirProblem(settings.out);
  if (dirProblem !== null) problems.push(`--out ${JSON.stringify(settings.out)}: ${dirProblem}`);
  return { settings, problems };
}

function summary(r: KneeResult): string {
  const lines = r.steps.map((s) => `  ${String(s.offered).padStart(9)}/s  p50 ${s.p50} ms  p99 ${s.p99} ms  ${s.echoesPerSec} echoes/s  ${s.held ? 'held' : `broke: ${s.broken.join(', ')}`}`);
  const verdict = r.held === null
    ? 'no rate held: the first step already broke'
    : `held up to ${r.held} packets/s${r.brokeAt === null ? ` (did not break within the bounds: ${r.stoppedBy})` : `; broke at ${r.brokeAt}`}`;
  return `Knee (${r.thresholds.join(', ')}):\n${lines.join('\n')}\n${verdict}\n`;
}

export async function kneeCommandRun(settings: KneeSettings, problems: readonly string[], io: { out: (t: string) => void; err: (t: string) => void }): Promise<number> {
  if (problems.length > 0) {
    for (const p of problems) io.err(`stress knee: ${p}`);
    return EXIT.usage;
  }
  mkdirSync(settings.out, { recursive: true });
  const { result, exitCode } = await searchKnee(settings, io);
  const json = path.join(settings.out, 'knee.json');
  const html = path.join(settings.out, 'knee.html');
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(html, kneeHtml(result, html));
  io.out(`${summary(result)}Knee: ${json}\nHTML: ${html}\n`);
  if (exitCode !== EXIT.pass) return exitCode;
  return result.held === null ? EXIT.gateFailed : EXIT.pass;
}

export const kneeCommand: CommandModule<object, KneeArgs> = {
  command: 'knee',
  describe: 'find the highest offered rate at which thresholds hold (one whole run per rising step)',
  builder: (yargs: Argv<object>) =>
    hideYargsTypes(yargs)
      .options(yargsOptions(KNEE_FLAGS))
      .parserConfiguration({ 'populate--': true })
      .strict(false)
      .epilogue(`Flags after -- go to every step's \`stress run\` (e.g. -- --echo-delay-us 1000 --server-workers 1).\n\n${THRESHOLD_HELP}`)
      .example("$0 knee --threshold 'p99<10ms' --from 1000 --factor 2", 'the rate where p99 reaches 10 ms')
      .example("$0 knee --threshold 'p99<5ms' -- --target 127.0.0.1:9000", 'against your own server') as unknown as Argv<KneeArgs>,
  handler: async (args) => {
    const { settings, problems } = readKneeCommandLine(args, hideBin(process.argv));
    process.exitCode = await kneeCommandRun(settings, problems, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(`${t}\n`) });
  },
};
