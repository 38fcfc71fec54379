import * as net from 'node:net';
import * as os from 'node:os';
import { randomInt } from 'node:crypto';
import { BACKENDS, SERVER_MODES as MODES, type ServerOptions } from './types';
import { FRAMING_GRAMMAR, framingHeaderBytes, framingText, parseFraming } from '../dummy-client/framing';
import { isLoopbackHost } from './loopback';
import type { Flag } from '../stress/flags/table';

export { BACKENDS, MODES };

/** The wire header is 16 bits, so no payload can be longer than this whatever --max-payload says. */
export const MAX_PAYLOAD_LIMIT = 65535;
const MAX_SEED = 0xffff_ffff;
/** --uring-buffers: kMinUringBuffers and kMaxUringBuffers of addon/src/core/completion_port.h. */
const URING_BUFFERS_MIN = 8;
export const URING_BUFFERS_MAX = 32768;
export const URING_BUFFERS_DEFAULT = 1024;
export const URING_BUFFERS_HELP = `io_uring: 4 KiB provided buffers per worker's ring for the multishot recv, a power of two from ${URING_BUFFERS_MIN}; 0 = a plain recv per read (the backend's log line says which)`;

/**
 * The server's options as flags, one line each: `stress server` derives its yargs options and
 * --help from this table, and every message below names the flag from it. The standalone
 * lanserver reads the same spellings (the embedded server's argv is built from them).
 */
export const SERVER_FLAGS = [
  { name: 'host', key: 'host', type: 'string', init: '127.0.0.1', side: 'server', describe: 'loopback address to bind: 127.0.0.0/8 or ::1' },
  { name: 'port', key: 'port', type: 'int', range: [0, 65535], init: 0, side: 'server', describe: 'TCP port; 0 picks a free port (printed at startup)' },
  { name: 'workers', key: 'workers', type: 'int', range: [1, 256], shown: 'CPU cores', side: 'server', describe: 'server worker threads (`stress run --server-workers`)' },
  { name: 'max-sessions', key: 'maxSessions', type: 'int', range: [1, 1_000_000], init: 10000, side: 'server', describe: 'sessions past this are rejected (reason full)' },
  { name: 'max-payload', key: 'maxPayload', type: 'int', range: [0, MAX_PAYLOAD_LIMIT], init: 8192, side: 'server', describe: 'largest payload L accepted' },
  { name: 'send-queue-limit', key: 'sendQueueLimit', type: 'int', range: [1, 1 << 30], init: 1 << 20, side: 'server', describe: 'bytes queued per session before it is dropped (sendQueueFull)' },
  { name: 'backlog', key: 'backlog', type: 'int', range: [1, 65535], init: 4096, side: 'server', describe: 'listen backlog' },
  { name: 'backend', key: 'backend', type: 'enum', choices: BACKENDS, init: 'auto', side: 'server', describe: 'completion backend' },
  { name: 'mode', key: 'mode', type: 'enum', choices: MODES, init: 'echo', side: 'server', describe: 'what the server does with a packet' },
  { name: 'framing', key: 'framing', type: 'string', init: 'lan', side: 'server', describe: `how packets are framed: ${FRAMING_GRAMMAR}; lan = len:2:le, servercore = len:2:le:incl:hdr2, raw = no framing (echo bytes as they arrive); --max-payload is capped at what the length field can say (docs/protocol.md)` },
  { name: 'allow', key: 'allow', type: 'string', repeatable: true, side: 'server', describe: 'CIDR allowed to connect; none = everyone' },
  { name: 'deny', key: 'deny', type: 'string', repeatable: true, side: 'server', describe: 'CIDR refused, checked before --allow' },
  { name: 'room', key: 'room', type: 'int', range: [0, 1_000_000], init: 0, side: 'server', describe: 'broadcast mode: sessions per room (0 = one room)' },
  { name: 'kick', key: 'kick', type: 'number', range: [0, 1], init: 0, side: 'server', describe: 'probability per packet that the server kicks the session' },
  { name: 'echo-delay-us', key: 'echoDelayUs', type: 'int', range: [0, 10_000_000], init: 0, side: 'server', describe: 'delay before each echo, in microseconds' },
  { name: 'seed', key: 'seed', type: 'int', range: [0, MAX_SEED], shown: 'random', side: 'server', describe: 'seed for server-side chaos' },
  { name: 'send-buffer', key: 'sendBuffer', type: 'int', range: [0, 16 * 1024 * 1024], init: 0, side: 'server', describe: 'SO_SNDBUF of each accepted socket in bytes (0 = kernel default; small forces short, asynchronous sends)' },
  { name: 'zero-send-buffer', key: 'zeroSendBuffer', type: 'bool', init: false, side: 'server', describe: "SO_SNDBUF = 0 on each accepted socket, as the seeds do: every send completes asynchronously (not with --send-buffer)" },
  { name: 'probes', key: 'probes', type: 'bool', init: false, side: 'server', describe: 'probe thread: stale-id sendPacket/disconnect and, in echo mode, probe packets to live sessions' },
  { name: 'uring-buffers', key: 'uringBuffers', type: 'int', range: [0, URING_BUFFERS_MAX], init: URING_BUFFERS_DEFAULT, side: 'server', describe: URING_BUFFERS_HELP },
] as const satisfies ReadonlyArray<Flag & { key: keyof ServerOptions }>;

type ServerFlag = (typeof SERVER_FLAGS)[number];

/** The command-line spelling of every option, used in every message so the user sees the flag to fix. */
export const OPTION_FLAGS = Object.fromEntries(SERVER_FLAGS.map((f) => [f.key, `--${f.name}`])) as Readonly<Record<keyof ServerOptions, string>>;

/** The defaults: each flag's `init`, and what follows the machine (workers) or is random (seed), hence not pure. */
export function defaultServerOptions(): ServerOptions {
  const options: Record<string, unknown> = { allow: [], deny: [], workers: os.availableParallelism(), seed: randomInt(0, MAX_SEED) };
  for (const flag of SERVER_FLAGS) if ('init' in flag) options[flag.key] = flag.init;
  return options as unknown as ServerOptions;
}

/** Options as they come from a command line or a caller: any value may be a string or the wrong type. */
export type RawServerOptions = { [K in keyof ServerOptions]?: unknown };

export type ResolvedOptions =
  | { ok: true; options: ServerOptions; problems: [] }
  | { ok: false; problems: string[] };

function show(value: unknown): string {
  if (typeof value === 'string') return value === '' ? "''" : value;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Accepts a JS number or the decimal text a command line gives; anything else is NaN. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) {
    return Number(value);
  }
  return Number.NaN;
}

/**
 * Checks one CIDR ("10.0.0.0/8", "::1/128", or a bare address meaning a single host).
 * Returns the canonical text with an explicit prefix, or a reason it is not a CIDR.
 */
export function parseCidr(text: string): { cidr: string } | { error: string } {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = net.isIPv4(addr) ? 4 : net.isIPv6(addr) ? 6 : 0;
  if (family === 0) return { error: `'${addr}' is not an IPv4 or IPv6 address` };
  const maxPrefix = family === 4 ? 32 : 128;
  if (slash < 0) return { cidr: `${addr}/${maxPrefix}` };
  const prefixText = text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= maxPrefix)) {
    return { error: `prefix length '${prefixText}' is not an integer from 0 to ${maxPrefix}` };
  }
  return { cidr: `${addr}/${prefix}` };
}

/** A loopback literal of either family: the native server binds 127.0.0.0/8 or ::1 (an IPv6-only socket). */
function checkHost(host: unknown): string | null {
  if (typeof host !== 'string' || !net.isIP(host)) return `--host must be a loopback IP address (127.0.0.0/8 or ::1), got ${show(host)}`;
  if (!isLoopbackHost(host)) return `--host must be a loopback address (127.0.0.0/8 or ::1), got ${host}: this tool only serves loopback`;
  return null;
}

function integer(flag: Extract<ServerFlag, { type: 'int' }>, value: unknown, problems: string[]): number {
  const n = toNumber(value);
  const [min, max] = flag.range;
  if (!Number.isInteger(n) || n < min || n > max) problems.push(`--${flag.name} must be an integer from ${min} to ${max}, got ${show(value)}`);
  return n;
}

function probability(flag: ServerFlag, value: unknown, problems: string[]): number {
  const n = toNumber(value);
  if (!(n >= 0 && n <= 1)) problems.push(`--${flag.name} must be a probability from 0 to 1, got ${show(value)}`);
  return n;
}

function choice(flag: Extract<ServerFlag, { type: 'enum' }>, value: unknown, problems: string[]): unknown {
  const allowed: readonly string[] = flag.choices;
  if (typeof value !== 'string' || !allowed.includes(value)) problems.push(`--${flag.name} must be one of ${allowed.join(', ')}, got ${show(value)}`);
  return value;
}

function onOff(flag: ServerFlag, value: unknown, problems: string[]): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  problems.push(`--${flag.name} must be true or false, got ${show(value)}`);
  return false;
}

function cidrs(flag: ServerFlag, value: unknown, problems: string[]): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v): v is string => typeof v === 'string')) {
    problems.push(`--${flag.name} must be a list of CIDRs like 10.0.0.0/8, got ${show(value)}`);
    return [];
  }
  const out: string[] = [];
  for (const item of list) {
    const parsed = parseCidr(item);
    if ('error' in parsed) problems.push(`--${flag.name} must be a CIDR like 127.0.0.0/8, got ${show(item)}: ${parsed.error}`);
    else out.push(parsed.cidr);
  }
  return out;
}

/** A framing's spelling (dummy-client/framing.ts parses it), kept in its canonical form. */
function framing(value: unknown, problems: string[]): string {
  const parsed = typeof value === 'string' ? parseFraming(value) : { error: `must be ${FRAMING_GRAMMAR}` };
  if ('error' in parsed) {
    problems.push(`--framing ${show(value)}: ${parsed.error}`);
    return String(value);
  }
  return framingText(parsed.framing);
}

/** Checks one option by its flag's type; a problem names the flag. */
function readOption(flag: ServerFlag, value: unknown, problems: string[]): unknown {
  switch (flag.type) {
    case 'int': return integer(flag, value, problems);
    case 'number': return probability(flag, value, problems);
    case 'enum': return choice(flag, value, problems);
    case 'bool': return onOff(flag, value, problems);
    case 'string': {
      if ('repeatable' in flag) return cidrs(flag, value, problems);
      if (flag.key === 'framing') return framing(value, problems);
      const hostProblem = checkHost(value);
      if (hostProblem !== null) problems.push(hostProblem);
      return value;
    }
  }
}

/**
 * One whole packet, the framing's header included, must fit in the send queue, or every echo of
 * a large packet would be a disconnect. A framing that does not parse is reported on its own.
 */
function sendQueueProblem(o: ServerOptions): string[] {
  const parsed = parseFraming(o.framing);
  if ('error' in parsed || !Number.isInteger(o.sendQueueLimit) || !Number.isInteger(o.maxPayload)) return [];
  const header = framingHeaderBytes(parsed.framing);
  if (o.sendQueueLimit >= o.maxPayload + header) return [];
  return [`--send-queue-limit must be at least --max-payload + ${header} (${o.maxPayload + header}, the --framing ${o.framing} header included), got ${o.sendQueueLimit}`];
}

/**
 * --uring-buffers beyond its range check (the ring's index is a mask): why n is refused, or null.
 * Shared with `stress run`'s flag of the same name.
 */
export function uringBuffersRefusal(n: unknown): string | null {
  if (typeof n !== 'number' || !Number.isInteger(n) || n === 0 || n > URING_BUFFERS_MAX) return null;
  if (n >= URING_BUFFERS_MIN && (n & (n - 1)) === 0) return null;
  return `must be 0 (plain recv) or a power of two from ${URING_BUFFERS_MIN} to ${URING_BUFFERS_MAX}`;
}

function uringBuffersProblem(n: unknown): string[] {
  const why = uringBuffersRefusal(n);
  return why === null ? [] : [`--uring-buffers ${why}, got ${String(n)}`];
}

/**
 * Merges `raw` over `defaults` and checks every option, collecting every problem
 * rather than stopping at the first (like k6): the user fixes a command line in one go.
 * Pure: the same input always gives the same answer.
 */
export function resolveServerOptions(raw: RawServerOptions, defaults: ServerOptions): ResolvedOptions {
  const problems = Object.keys(raw).filter((key) => !(key in OPTION_FLAGS)).map((key) => `unknown server option '${key}'`);
  const checked: Record<string, unknown> = {};
  for (const flag of SERVER_FLAGS) {
    checked[flag.key] = readOption(flag, raw[flag.key] === undefined ? defaults[flag.key] : raw[flag.key], problems);
  }
  const options = checked as unknown as ServerOptions;
  problems.push(...sendQueueProblem(options));
  if (options.zeroSendBuffer === true && typeof options.sendBuffer === 'number' && options.sendBuffer > 0) {
    problems.push('--zero-send-buffer sets SO_SNDBUF to 0: give it or a --send-buffer size, not both');
  }
  problems.push(...uringBuffersProblem(options.uringBuffers));
  return problems.length === 0 ? { ok: true, options, problems: [] } : { ok: false, problems };
}

/** Thrown by LanServer when its options do not pass resolveServerOptions. */
export class ServerOptionsError extends Error {
  readonly code = 'ERR_SERVER_OPTIONS';
  constructor(readonly problems: string[]) {
    super(`invalid server options:\n  ${problems.join('\n  ')}`);
    this.name = 'ServerOptionsError';
  }
}
