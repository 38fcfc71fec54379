import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AddonNotBuiltError } from '../../server/addon';
import { formatListening, formatStats } from '../../server/format';
import { LanServer } from '../../server/lan-server';
import { listeningLine, statsLine } from '../../server/lines';
import { defaultServerOptions, resolveServerOptions, SERVER_FLAGS } from '../../server/options';
import type { RawServerOptions } from '../../server/options';
import type { ListenInfo, ServerLine, ServerOptions } from '../../server/types';
import { scanArgv } from '../flags/argv';
import { hideYargsTypes, rawValues, yargsOptions, type Flag } from '../flags/table';

/** What only the command adds to the server's options: how it reports. */
const OUTPUT_FLAGS = [
  { name: 'stats-json', type: 'bool', init: false, side: 'output', describe: 'print one JSON line per event: listening, stats (each interval), final' },
  { name: 'stats-interval-ms', type: 'int', range: [10, 3_600_000], init: 1000, side: 'output', describe: 'milliseconds between stats lines' },
] as const satisfies readonly Flag[];

/** Every flag of `stress server`: the server's table (server/options.ts) and the output flags. */
const SERVER_COMMAND_FLAGS: readonly Flag[] = [...SERVER_FLAGS, ...OUTPUT_FLAGS];

/** What yargs hands the handler: every flag by its spelling. */
type ServerArgs = Readonly<Record<string, unknown>>;

/** Where the command writes; a parameter so the command's logic does not reach for globals. */
export interface ServerCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

let stdoutGone = false;
// A reader that went away (`stress server | head`) must not crash a server that is still
// serving: stats lines are best effort, the server runs on until a signal stops it.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutGone = true;
});

const processIo: ServerCommandIo = {
  out: (text) => {
    if (!stdoutGone) process.stdout.write(text + '\n');
  },
  err: (text) => process.stderr.write(text + '\n'),
};

/** The server's options as typed, keyed by ServerOptions field; absent flags are left out (the defaults apply). */
function rawOptions(args: ServerArgs): RawServerOptions {
  const values = rawValues(SERVER_FLAGS, args);
  const raw: Record<string, unknown> = {};
  for (const flag of SERVER_FLAGS) {
    const value = values.get(flag.name);
    if (value !== undefined) raw[flag.key] = value;
  }
  return raw as RawServerOptions;
}

/** `stress server` reads no positionals. */
function extraPositionals(args: ServerArgs): string[] {
  const rest = Array.isArray(args._) ? args._.map(String) : [];
  return rest.filter((word) => word !== 'server').map((word) => `unexpected argument '${word}'`);
}

function parseInterval(text: string | undefined, problems: string[]): number {
  if (text === undefined) return 1000;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isInteger(n) && n >= 10 && n <= 3_600_000)) {
    problems.push(`--stats-interval-ms must be an integer from 10 to 3600000, got ${text}`);
  }
  return n;
}

const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES']);

function startError(err: unknown, options: ServerOptions): { message: string; exitCode: number } {
  const code = (err as { code?: unknown }).code;
  const text = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_INVALID_ARG_VALUE') {
    // Valid by our rules but beyond what the native build serves (an IPv6 host or CIDR): still bad input.
    return { message: `the native server refused an option: ${text}`, exitCode: 2 };
  }
  if (typeof code === 'string' && LISTEN_ERRORS.has(code)) {
    // The user chose the address, so this is bad input: exit 2 naming the flags to change.
    return { message: `cannot listen on --host ${options.host} --port ${options.port}: ${code} (${text})`, exitCode: 2 };
  }
  return { message: `the server failed to start: ${typeof code === 'string' ? `${code} ` : ''}${text}`, exitCode: 1 };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    // Stays installed until exit: a second SIGINT/SIGTERM during stop() must not kill the
    // process (Node's default action) before the final stats are printed.
    const onSignal = (signal: NodeJS.Signals): void => {
      if (first !== undefined) return;
      first = signal;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** The command line checked whole: the server's options and the stats interval, or every problem with it. */
function readCommandLine(args: ServerArgs, argv: readonly string[], io: ServerCommandIo): { options: ServerOptions; intervalMs: number } | { problems: string[] } {
  const scan = scanArgv(argv, SERVER_COMMAND_FLAGS);
  for (const warning of scan.warnings) io.err(`stress server: warning: ${warning}`);
  const resolved = resolveServerOptions(rawOptions(args), defaultServerOptions());
  const problems = [...scan.problems, ...extraPositionals(args), ...(resolved.ok ? [] : resolved.problems)];
  const interval = rawValues(OUTPUT_FLAGS, args).get('stats-interval-ms');
  const intervalMs = parseInterval(typeof interval === 'string' ? interval : undefined, problems);
  return resolved.ok && problems.length === 0 ? { options: resolved.options, intervalMs } : { problems };
}

/** Runs `stress server` until SIGINT/SIGTERM; resolves to the process exit code. */
export async function runServerCommand(args: ServerArgs, io: ServerCommandIo = processIo, argv: readonly string[] = hideBin(process.argv)): Promise<number> {
  const commandLine = readCommandLine(args, argv, io);
  if ('problems' in commandLine) {
    for (const problem of commandLine.problems) io.err(`stress server: ${problem}`);
    return 2;
  }
  const { options, intervalMs } = commandLine;
  const json = args['stats-json'] === true;
  const emit = (line: ServerLine): void => io.out(JSON.stringify(line));

  let server: LanServer;
  let info: ListenInfo;
  try {
    server = new LanServer(options, {
      hooks: { onError: (code, message) => io.err(`stress server: native error ${code}: ${message}`) },
    });
  } catch (err) {
    io.err(`stress server: ${err instanceof AddonNotBuiltError ? err.message : String(err)}`);
    return 1;
  }
  try {
    info = server.start();
  } catch (err) {
    const { message, exitCode } = startError(err, options);
    io.err(`stress server: ${message}`);
    return exitCode;
  }

  const startedAt = Date.now();
  if (json) emit(listeningLine(info, process.pid, options.mode, options.workers));
  else io.out(formatListening(info, options.mode, options.workers));

  // The timer also keeps Node's event loop alive: the server runs on native threads Node does not count.
  const timer = setInterval(() => {
    if (json) emit(statsLine('stats', Date.now() - startedAt, server.stats()));
  }, intervalMs);

  const signal = await waitForSignal();
  clearInterval(timer);
  const final = server.stop();
  if (json) emit(statsLine('final', Date.now() - startedAt, final));
  else io.out(`stopped by ${signal}\n${formatStats(final)}`);
  return 0;
}

export const serverCommand: CommandModule<object, ServerArgs> = {
  command: 'server',
  describe: 'run the native LanServer on loopback until SIGINT/SIGTERM',
  builder: (yargs: Argv<object>) => hideYargsTypes(yargs).options(yargsOptions(SERVER_COMMAND_FLAGS)).strict(false) as unknown as Argv<ServerArgs>,
  handler: async (args) => {
    process.exitCode = await runServerCommand(args);
  },
};
