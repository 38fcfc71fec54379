/**
 * `stress [run] [scenario]`: the default command. Its flags, their help and their parsing
 * all come from RUN_FLAGS (stress/run/options.ts); the command line is scanned as typed so
 * unknown flags, flags given twice and bad values are all reported at once.
 */
import * as os from 'node:os';
import { randomInt } from 'node:crypto';
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from '../../scenarios';
import { THRESHOLD_HELP, validateThresholds } from '../thresholds';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../run/exit-codes';
import { resolveRunOptions, RUN_FLAGS, type RawRunArgs } from '../run/options';
import type { RunOptions } from '../run/option-types';
import { outputDirProblem, outputFileProblem, pathProblems } from '../run/output-paths';
import { serverBinProblem, serverCmdProblem } from '../sanitize/server-bin';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions } from '../flags/table';

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

/** Where the run will write and what it will run, checked before the load (exit 2 naming the flag). */
function outputProblems(o: RunOptions): string[] {
  return pathProblems([
    ['out', o.out, outputDirProblem],
    ['junit', o.junit, outputFileProblem],
    ['markdown', o.markdown, outputFileProblem],
    ['server-bin', o.serverBin, serverBinProblem],
    ['server-cmd', o.serverCmd, serverCmdProblem],
  ]);
}

export async function runCommand(args: RunArgs, argv: readonly string[] = hideBin(process.argv)): Promise<number> {
  const name = args.scenario ?? DEFAULT_SCENARIO;
  const scenario = findScenario(name);
  const scan = scanArgv(argv, RUN_FLAGS);
  const warn = (text: string): void => void process.stderr.write(`stress: warning: ${text}\n`);
  scan.warnings.forEach(warn);
  const errors: string[] = [...scan.problems, ...extraPositionals(args)];
  if (scenario === undefined) {
    errors.push(`unknown scenario '${name}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  const raw = rawArgs(args);
  const resolved = resolveRunOptions(raw, scenario?.defaults ?? {}, {
    cores: os.availableParallelism(),
    randomSeed: randomInt(0, 2 ** 32 - 1),
  }, warn);
  if (!resolved.ok) errors.push(...resolved.errors);
  else errors.push(...outputProblems(resolved.options));
  errors.push(...validateThresholds(raw.threshold ?? []));
  if (errors.length > 0 || scenario === undefined || !resolved.ok) return usage(errors);
  const options = scenario.adjust === undefined ? resolved.options : scenario.adjust(resolved.options, raw);
  // Loaded here, not at the top: `stress server` (the embedded child) and `stress scenarios` need no fleet.
  const { runScenario } = await import('../run/orchestrate');
  try {
    return await runScenario(scenario, options, { stdout: process.stdout, stderr: process.stderr, argv: [...argv] });
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
      .positional('scenario', { type: 'string', describe: `scenario name (see \`stress scenarios\`)`, default: undefined })
      .options(yargsOptions(RUN_FLAGS))
      .strict(false)
      .epilogue(`${THRESHOLD_HELP}\n\n${EXIT_CODES_HELP}`)
      .example('$0 --clients 5000 --duration 1m', 'the default echo-flood scenario with 5000 connections for a minute')
      .example('$0 run echo-flood --payload 16-512 --pipeline 4', 'random payload sizes, 4 packets in flight per connection')
      .example('$0 --rate 100 --threshold "p99<20ms" --gate', 'open loop at 100 packets/s per connection; CI fails on any gate')
      .example('$0 --target 127.0.0.1:9000 --clients 200', 'load a server you started yourself (server checks unknown)')
      .example('$0 --protocol examples/chat/protocol.mjs --target 127.0.0.1:9000', 'a chat server of your own, spoken by a protocol module (README: Your own protocol)')
      .example('$0 chaos --seed 7 --rate 50', 'random cuts mid-I/O, replayable with the same seed')
      .example('$0 chaos --backend all --gate', 'the chaos gate once per backend this kernel has (chaos defaults to all)')
      .example('$0 churn --source-ips 127.0.0.2-127.0.0.9 --duration 60', 'connect/close storm past one address\'s ephemeral ports') as unknown as Argv<RunArgs>,
  handler: async (args) => {
    process.exitCode = await runCommand(args);
  },
};
