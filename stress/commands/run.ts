/**
 * `stress [run] [scenario]`: the default command. Its flags, their help and their parsing
 * all come from RUN_FLAGS (stress/run/options.ts); the command line is scanned as typed so
 * unknown flags, flags given twice and bad values are all reported at once.
 */
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { THRESHOLD_HELP } from '../thresholds';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../run/exit-codes';
import { RUN_FLAGS, type RawRunArgs } from '../run/options';
import { prepareRun } from '../run/prepare';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions } from '../flags/table';

const SCENARIO_FILE_HELP = [
  'Scenario files (`stress run FILE.json`, docs/scenarios.md): {"name", "description", "options": {id: value},',
  '"stages": [{"duration": "10s", "clients": 500, "rate": 50}, ...], "derive", "gates": [{metric, op, value, why, when}]},',
  'checked against schema/scenario.schema.json. Precedence: flags on the command line > the file > built-in defaults;',
  'stages set --clients, --duration and (with rates) the send model, so those flags cannot be given beside them',
  '(--stages replaces the file\'s). `stress scenarios --print NAME` prints a built-in scenario as a file.',
].join('\n');

/** What yargs hands the handler: the scenario, the positionals left over, and every flag by its spelling. */
type RunArgs = Record<string, unknown> & { scenario?: string; _: Array<string | number> };

function rawArgs(args: RunArgs): RawRunArgs {
  const values = rawValues(RUN_FLAGS, args);
  return Object.fromEntries(RUN_FLAGS.map((f) => [f.id, values.get(f.name)])) as RawRunArgs;
}

/** Positionals past the scenario name (the command name `run` aside) are not something run reads. */
function extraPositionals(args: RunArgs): string[] {
  const rest = args._.map(String);
  if (rest[0] === 'run') rest.shift();
  return rest.map((word) => `unexpected argument '${word}'`);
}

function usage(errors: string[]): number {
  for (const e of errors) process.stderr.write(`stress: ${e}\n`);
  process.stderr.write('Run `stress --help` for the flags, `stress scenarios` for the scenarios.\n');
  return EXIT.usage;
}

/** The command line as raw flag values, then the same preparation and run as the programmatic run() (stress/api/run.ts). */
export async function runCommand(args: RunArgs, argv: readonly string[] = hideBin(process.argv)): Promise<number> {
  const scan = scanArgv(argv, RUN_FLAGS);
  const warn = (text: string): void => void process.stderr.write(`stress: warning: ${text}\n`);
  scan.warnings.forEach(warn);
  const prepared = prepareRun(args.scenario, rawArgs(args), warn, [...scan.problems, ...extraPositionals(args)]);
  if (!prepared.ok) return usage(prepared.errors);
  // Loaded here, not at the top: `stress server` (the embedded child) and `stress scenarios` need no fleet.
  const { runScenario } = await import('../run/orchestrate');
  try {
    const io = { stdout: process.stdout, stderr: process.stderr, argv: [...argv], writeReports: true };
    return (await runScenario(prepared.scenario, prepared.options, io)).exitCode;
  } catch (err) {
    if (err instanceof UsageError) return usage([err.message]);
    throw err;
  }
}

export const runCommandModule: CommandModule<object, RunArgs> = {
  command: ['run [scenario]', '$0 [scenario]'],
  describe: 'load a server with a fleet of clients and check every echo (the default command)',
  builder: (yargs: Argv<object>) =>
    hideYargsTypes(yargs)
      .positional('scenario', { type: 'string', describe: 'scenario name (see `stress scenarios`), or a scenario file: a path ending in .json (flags given here win over its options)', default: undefined })
      .options(yargsOptions(RUN_FLAGS))
      .strict(false)
      .epilogue(`${SCENARIO_FILE_HELP}\n\n${THRESHOLD_HELP}\n\n${EXIT_CODES_HELP}`)
      .example('$0 --clients 5000 --duration 1m', 'the default echo-flood scenario with 5000 connections for a minute')
      .example('$0 run echo-flood --payload 16-512 --pipeline 4', 'random payload sizes, 4 packets in flight per connection')
      .example('$0 --rate 100 --threshold "p99<20ms" --gate', 'open loop at 100 packets/s per connection; CI fails on any gate')
      .example('$0 --target 127.0.0.1:9000 --clients 200', 'load a server you started yourself (server checks unknown)')
      .example('$0 chaos --seed 7 --rate 50', 'random cuts mid-I/O, replayable with the same seed')
      .example('$0 chaos --backend all --gate', 'the chaos gate once per backend this kernel has (chaos defaults to all)')
      .example('$0 run examples/ramp.json', 'a scenario file: options, stages that ramp connections and rate, gates')
      .example('$0 --stages 10s:500:20,20s:500:20,5s:0:0', 'ramp to 500 connections at 20 packets/s each over 10 s, hold 20 s, ramp down')
      .example('$0 churn --source-ips 127.0.0.2-127.0.0.9 --duration 60', 'connect/close storm past one address\'s ephemeral ports') as unknown as Argv<RunArgs>,
  handler: async (args) => {
    process.exitCode = await runCommand(args);
  },
};
