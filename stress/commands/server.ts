import type { Argv, CommandModule, Options } from 'yargs';
import { AddonNotBuiltError } from '../../server/addon';
import { formatListening, formatStats } from '../../server/format';
import { LanServer } from '../../server/lan-server';
import { listeningLine, statsLine } from '../../server/lines';
import { defaultServerOptions, resolveServerOptions } from '../../server/options';
import type { RawServerOptions } from '../../server/options';
import type { ListenInfo, ServerLine, ServerOptions } from '../../server/types';

/*
 * Numeric flags are declared as strings so the validator sees exactly what was typed
 * ("--port abc" reports "got abc", not "got NaN"), and choices are not given to yargs so
 * that every bad option is reported at once by resolveServerOptions instead of yargs
 * stopping at the first.
 */
const serverOptions = {
  host: { type: 'string', describe: 'loopback address to bind (127.0.0.0/8 or ::1)', defaultDescription: '127.0.0.1' },
  port: { type: 'string', describe: 'TCP port; 0 picks a free port (printed at startup)', defaultDescription: '0' },
  workers: { type: 'string', describe: 'completion worker threads', defaultDescription: 'CPU cores' },
  'max-sessions': { type: 'string', describe: 'sessions past this are rejected (reason full)', defaultDescription: '10000' },
  'max-payload': { type: 'string', describe: 'largest payload L accepted, up to 65535', defaultDescription: '8192' },
  'send-queue-limit': { type: 'string', describe: 'bytes queued per session before it is dropped (sendQueueFull)', defaultDescription: '1048576' },
  backlog: { type: 'string', describe: 'listen backlog', defaultDescription: '4096' },
  mode: { type: 'string', describe: 'echo | broadcast | js', defaultDescription: 'echo' },
  backend: { type: 'string', describe: 'auto | epoll | io_uring', defaultDescription: 'auto' },
  framing: { type: 'string', describe: 'lan (2-byte length prefix) | raw', defaultDescription: 'lan' },
  allow: { type: 'string', array: true, describe: 'CIDR allowed to connect (repeatable); none = everyone' },
  deny: { type: 'string', array: true, describe: 'CIDR refused (repeatable), checked before --allow' },
  room: { type: 'string', describe: 'broadcast mode: sessions per room (0 = one room)', defaultDescription: '0' },
  kick: { type: 'string', describe: 'probability per packet that the server kicks the session', defaultDescription: '0' },
  'echo-delay-us': { type: 'string', describe: 'delay before each echo, in microseconds', defaultDescription: '0' },
  seed: { type: 'string', describe: 'seed for server-side chaos', defaultDescription: 'random' },
  'send-buffer': { type: 'string', describe: 'SO_SNDBUF of each accepted socket in bytes (0 = kernel default; small forces short, asynchronous sends)', defaultDescription: '0' },
  probes: { type: 'boolean', describe: 'probe thread: stale-id sendPacket/disconnect and, in echo mode, probe packets to live sessions' },
  'stats-json': { type: 'boolean', default: false, describe: 'print one JSON line per event: listening, stats (each interval), final' },
  'stats-interval-ms': { type: 'string', describe: 'milliseconds between stats lines', defaultDescription: '1000' },
} satisfies Record<string, Options>;

type ServerArgs = {
  [K in keyof typeof serverOptions]?: (typeof serverOptions)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof serverOptions)[K] extends { array: true } ? string[] : string;
};

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

function rawOptions(args: ServerArgs): RawServerOptions {
  return {
    host: args.host,
    port: args.port,
    workers: args.workers,
    maxSessions: args['max-sessions'],
    maxPayload: args['max-payload'],
    sendQueueLimit: args['send-queue-limit'],
    backlog: args.backlog,
    mode: args.mode,
    backend: args.backend,
    framing: args.framing,
    allow: args.allow,
    deny: args.deny,
    room: args.room,
    kick: args.kick,
    echoDelayUs: args['echo-delay-us'],
    seed: args.seed,
    sendBuffer: args['send-buffer'],
    probes: args.probes,
  };
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

/** Runs `stress server` until SIGINT/SIGTERM; resolves to the process exit code. */
export async function runServerCommand(args: ServerArgs, io: ServerCommandIo = processIo): Promise<number> {
  const resolved = resolveServerOptions(rawOptions(args), defaultServerOptions());
  const problems = resolved.ok ? [] : [...resolved.problems];
  const intervalMs = parseInterval(args['stats-interval-ms'], problems);
  if (!resolved.ok || problems.length > 0) {
    for (const problem of problems) io.err(`stress server: ${problem}`);
    return 2;
  }
  const options = resolved.options;
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
  builder: (yargs: Argv<object>) => yargs.options(serverOptions) as unknown as Argv<ServerArgs>,
  handler: async (args) => {
    process.exitCode = await runServerCommand(args);
  },
};
