/**
 * The run flags: one table (RUN_FLAGS) from which the yargs options and --help, the raw
 * arguments, the defaults, the parsing, the report's options record and the embedded
 * server's argv are derived. Pure: no I/O, so every rule is testable and every bad option
 * is reported at once (k6 style), each naming its flag.
 */
import * as net from 'node:net';
import { SERVER_MODES, NAMED_BACKENDS, type Backend, type NamedBackend, type ServerMode } from '../../server/types';
import { CHAOS_ACTIONS, FLEET_IO_CHOICES, TRAFFIC_KINDS, type TrafficKind } from '../../dummy-client/types';
import { FRAMING_GRAMMAR, LAN_FRAMING, framingHeaderBytes, framingRefuses, framingText, maxFramePayload, parseFraming, type Framing } from '../../dummy-client/framing';
import type { Flag, RawValue } from '../flags/table';
import { Problems, readChoice, readList, readNumber, readText } from '../flags/values';
import { parseSourceIps } from './source-ips';
import { formatShard, MAX_START_WAIT_MS, parseShard, parseStartAt, type Shard } from './shard';
import { isLoopbackHost, formatHostPort } from '../../server/loopback';
import { URING_BUFFERS_DEFAULT, URING_BUFFERS_HELP, URING_BUFFERS_MAX, uringBuffersRefusal } from '../../server/options';
import { formatStages, parseStages, SET_BY_RATED_STAGES, SET_BY_STAGES, stagesRated, type Stage } from './stages-option';
import { stagesDurationSec, stagesPeakClients } from '../../dummy-client/stages';
import { mixEnvelope, type MixEntry } from '../../dummy-client/payload-mix';
import type { BackendRequest, RunOptions, Target } from './option-types';

export { NAMED_BACKENDS, type NamedBackend };
export type { BackendRequest, RunOptions, Target };
/** A connect not complete within this many ms is a connect error (ETIMEDOUT): a SYN nobody answers is retried by the kernel for minutes. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** The server's default sendQueueLimit. */
export const DEFAULT_SEND_QUEUE_LIMIT = 1 << 20;

/** The verification header every payload carries: serial u32, sequence u32, send time u64. */
export const MIN_PAYLOAD = 16;
/** The server's default maxPayload; the wire format caps it at 65535. */
export const DEFAULT_MAX_PAYLOAD = 8192;
const WIRE_MAX_PAYLOAD = 65535;
const MAX_SEED = 2 ** 32 - 1;
const DAY_S = 24 * 3600;

export interface Environment {
  cores: number;
  /** Used only when --seed is absent; recorded in the report so the run can be replayed. */
  randomSeed: number;
}

/** The command line spells traffic kinds as the scenarios do (bad-input); the fleet's names stay camelCase. */
export const trafficFlagValue = (kind: TrafficKind): string => kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const TRAFFIC_BY_FLAG_VALUE = new Map(TRAFFIC_KINDS.map((k) => [trafficFlagValue(k), k]));
const TRAFFIC_OLD_SPELLINGS = Object.fromEntries(TRAFFIC_KINDS.filter((k) => trafficFlagValue(k) !== k).map((k) => [k, trafficFlagValue(k)]));

/**
 * A run flag: `id` is its key in RawRunArgs and in the report's options record (stable across
 * renames), `key` the RunOptions field it sets, `init` its built-in default, `server` the
 * `stress server` / standalone lanserver flag it becomes in the embedded server's argv.
 */
interface RunFlag extends Flag {
  readonly id: string;
  readonly key: keyof RunOptions;
  readonly init: unknown;
  readonly server?: string;
}

const cores = (env: Environment): number => env.cores;

// One line per flag. side: fleet (the clients), server (the embedded server only: refused with an
// external --target), both (the fleet and the embedded server), run (the run as a whole), output.
export const RUN_FLAGS = [
  { name: 'clients', id: 'clients', key: 'clients', type: 'int', range: [1, 1_000_000], init: 1000, side: 'fleet', describe: 'connections to open' },
  { name: 'duration', id: 'duration', key: 'durationSec', type: 'duration', unit: 's', range: [1, DAY_S], init: 10, side: 'run', describe: 'load time after the ramp-up starts' },
  { name: 'warm-up', id: 'warmUp', key: 'warmUpSec', type: 'duration', unit: 's', range: [0, DAY_S], init: 0, side: 'run', describe: 'leave the first seconds of the load (whole seconds) out of the latency histograms and the throughput counts; the series and integrity keep them' },
  { name: 'ramp-up', id: 'rampUp', key: 'rampUpSec', type: 'duration', unit: 's', range: [0, DAY_S], init: 0, side: 'fleet', describe: 'spread opening the connections over this time' },
  { name: 'connect-rate', id: 'connectRate', key: 'connectRate', type: 'number', range: [1, 1_000_000], init: 2000, side: 'fleet', describe: 'new connections per second, across the fleet' },
  { name: 'payload', id: 'payload', key: 'payload', type: 'string', init: { min: MIN_PAYLOAD, max: MIN_PAYLOAD }, shown: String(MIN_PAYLOAD), side: 'fleet', describe: 'payload bytes: N or MIN-MAX (min 16, max --max-payload)' },
  { name: 'mix', id: 'mix', key: 'mix', type: 'string', init: [], shown: 'none', side: 'fleet', describe: 'echo payload sizes by weight: a comma list of WEIGHT:SIZE[-SIZE], e.g. 9:16-64,1:4096 (nine small packets to one large); sets --payload to their envelope' },
  { name: 'pipeline', id: 'pipeline', key: 'pipeline', type: 'int', range: [1, 10_000], init: 1, side: 'fleet', describe: 'closed loop: packets in flight per connection' },
  { name: 'think-time', id: 'thinkTime', key: 'thinkTimeMs', type: 'duration', unit: 'ms', range: [0, 600_000], init: 0, side: 'fleet', describe: 'closed loop: wait this long after an echo comes back before sending the next packet' },
  { name: 'rate', id: 'rate', key: 'rate', type: 'number', range: [0.001, 1_000_000], init: null, shown: 'none', side: 'fleet', describe: 'open loop: packets per second per connection (excludes --pipeline, --total-rate)' },
  { name: 'total-rate', id: 'totalRate', key: 'totalRate', type: 'number', range: [0.001, 1_000_000_000], init: null, shown: 'none', side: 'fleet', describe: 'open loop: packets per second across the fleet, split over the live connections (excludes --pipeline, --rate)' },
  { name: 'stages', id: 'stages', key: 'stages', type: 'string', init: [], shown: 'none', side: 'fleet', describe: "load over time, k6-style: a comma list of DURATION:CLIENTS[:RATE], each ramping linearly from the previous stage's target (the first from 0), RATE per connection or total=N across the fleet, e.g. 5s:200:10,10s:500:50,5s:0:0; sets --clients (the peak), --duration (the sum) and, with rates, the send model" },
  { name: 'chaos', id: 'chaos', key: 'chaos', type: 'number', range: [0, 1], init: 0, side: 'fleet', describe: 'probability per connection-second of a chaos cut' },
  { name: 'chaos-actions', id: 'chaosActions', key: 'chaosActions', type: 'list', choices: CHAOS_ACTIONS, init: CHAOS_ACTIONS, shown: 'all', side: 'fleet', describe: 'chaos actions to draw from' },
  { name: 'seed', id: 'seed', key: 'seed', type: 'int', range: [0, MAX_SEED], init: (env: Environment) => env.randomSeed, shown: 'random', side: 'both', server: '--seed', describe: 'seed for payloads and chaos, client and server side (printed in the report for replay)' },
  { name: 'target', id: 'target', key: 'target', type: 'string', init: { kind: 'embedded' }, shown: 'embedded', side: 'run', describe: "'embedded' (start the shipped server) or a loopback host:port" },
  { name: 'host', id: 'host', key: 'host', type: 'string', init: '127.0.0.1', side: 'server', server: '--host', describe: "embedded server's listen address, where the fleet connects: 127.0.0.0/8 or ::1" },
  { name: 'backend', id: 'backend', key: 'backend', type: 'list', choices: ['auto', 'all', ...NAMED_BACKENDS], init: 'auto', shown: 'auto (chaos: all)', side: 'server', server: '--backend', describe: 'embedded server backend; all = every backend this kernel has; several = one whole run per backend, one report each, the worst exit code' },
  { name: 'mode', id: 'mode', key: 'mode', type: 'enum', choices: SERVER_MODES, init: 'echo', side: 'both', server: '--mode', describe: 'embedded server mode (broadcast also makes the fleet check broadcasts)' },
  { name: 'framing', id: 'framing', key: 'framing', type: 'string', init: LAN_FRAMING, shown: 'lan', side: 'both', server: '--framing', describe: `how packets are framed on the wire, for the fleet and the embedded server: ${FRAMING_GRAMMAR}; lan = len:2:le, servercore = len:2:le:incl:hdr2 (u16 size counting the 4-byte header, u16 id), raw = no framing (docs/protocol.md)` },
  { name: 'server-workers', id: 'serverWorkers', key: 'serverWorkers', type: 'int', range: [1, 256], init: cores, shown: 'CPU cores', side: 'server', server: '--workers', describe: 'embedded server worker threads (`stress server --workers`)' },
  { name: 'max-payload', id: 'maxPayload', key: 'maxPayload', type: 'size', range: [MIN_PAYLOAD, WIRE_MAX_PAYLOAD], init: DEFAULT_MAX_PAYLOAD, side: 'both', server: '--max-payload', describe: "embedded server's largest accepted payload" },
  { name: 'max-sessions', id: 'maxSessions', key: 'maxSessions', type: 'int', range: [1, 1_000_000], init: 10_000, shown: 'max(10000, clients)', side: 'server', server: '--max-sessions', describe: "embedded server's session cap" },
  { name: 'kick', id: 'serverKick', key: 'serverKick', type: 'number', range: [0, 1], init: 0, side: 'server', server: '--kick', deprecated: ['server-kick'], describe: 'probability per packet that the embedded server kicks the session' },
  { name: 'room', id: 'room', key: 'room', type: 'int', range: [0, 1_000_000], init: 0, side: 'server', server: '--room', describe: 'embedded server, broadcast mode: sessions per room (0 = one room of everyone)' },
  { name: 'echo-delay-us', id: 'serverEchoDelayUs', key: 'serverEchoDelayUs', type: 'int', range: [0, 10_000_000], init: 0, side: 'server', server: '--echo-delay-us', deprecated: ['server-echo-delay-us'], describe: 'embedded server waits this many microseconds before each echo (a slower build to compare)' },
  { name: 'server-cmd', id: 'serverCmd', key: 'serverCmd', type: 'string', init: null, shown: 'none', side: 'server', describe: "run this command line as the embedded server: a launcher and a standalone lanserver, e.g. 'wine addon/out/windows-release/lanserver.exe' (the IOCP build under Wine); words split on spaces, the server flags appended; stopped with SIGINT (Ctrl-C under Wine)" },
  { name: 'server-bin', id: 'serverBin', key: 'serverBin', type: 'string', init: null, shown: 'none', side: 'server', describe: 'run this standalone lanserver (e.g. addon/out/asan/lanserver) as the embedded server; its sanitizer reports fail the server.sanitizer gate' },
  { name: 'send-buffer', id: 'serverSendBuffer', key: 'serverSendBuffer', type: 'size', range: [0, 16 * 1024 * 1024], init: 0, side: 'server', server: '--send-buffer', deprecated: ['server-send-buffer'], describe: "embedded server's SO_SNDBUF per accepted socket (0 = kernel default; small forces short, asynchronous sends)" },
  { name: 'zero-send-buffer', id: 'serverZeroSendBuffer', key: 'serverZeroSendBuffer', type: 'bool', init: false, side: 'server', server: '--zero-send-buffer', describe: "embedded server sets SO_SNDBUF = 0 on each accepted socket, as the seeds do: every send completes asynchronously" },
  { name: 'probes', id: 'serverProbes', key: 'serverProbes', type: 'bool', init: false, side: 'server', server: '--probes', deprecated: ['server-probes'], describe: 'embedded server runs its probe thread: stale-id sendPacket/disconnect (staleIdAccepted) and probe packets to live echo sessions' },
  { name: 'client-workers', id: 'workers', key: 'workers', type: 'int', range: [1, 256], init: cores, shown: 'CPU cores', side: 'fleet', deprecated: ['workers'], describe: 'client worker threads' },
  { name: 'traffic', id: 'traffic', key: 'traffic', type: 'enum', choices: TRAFFIC_KINDS.map(trafficFlagValue), init: 'echo', shown: 'echo (chaos: chaos)', side: 'fleet', describe: 'what the fleet sends' },
  { name: 'protocol', id: 'protocol', key: 'protocol', type: 'string', init: null, shown: 'none', side: 'fleet', describe: "a protocol module (.js/.mjs) that frames, sends and checks a request/response server's own messages instead of echo packets: exports frame, request, check and optionally open (see README, examples/chat); needs --target" },
  { name: 'io', id: 'io', key: 'io', type: 'enum', choices: FLEET_IO_CHOICES, init: 'auto', side: 'fleet', describe: "the fleet's sockets: native (the addon's epoll engine, one per client worker, events in batches; Linux), net (Node's net module), or auto: native where the addon has the engine, net elsewhere. The report's options say which ran. --protocol and bad-input / slow-reader offenders stay on net" },
  { name: 'lifetime', id: 'lifetime', key: 'lifetimeMs', type: 'duration', unit: 'ms', range: [0, DAY_S * 1000], init: 0, side: 'fleet', describe: 'churn: reconnect each connection after this time (0 = keep)' },
  { name: 'source-ips', id: 'sourceIps', key: 'sourceIps', type: 'string', init: [], shown: 'none', side: 'fleet', describe: 'spread connections over loopback sources: a count, A-B range or comma list (past ~28k ports of one address)' },
  { name: 'uring-buffers', id: 'uringBuffers', key: 'uringBuffers', type: 'int', range: [0, URING_BUFFERS_MAX], init: URING_BUFFERS_DEFAULT, side: 'server', server: '--uring-buffers', describe: `embedded server, ${URING_BUFFERS_HELP}` },
  { name: 'send-queue-limit', id: 'sendQueueLimit', key: 'sendQueueLimit', type: 'size', range: [1, 1 << 30], init: DEFAULT_SEND_QUEUE_LIMIT, side: 'server', server: '--send-queue-limit', describe: "embedded server's bytes queued per session before a slow reader is cut" },
  { name: 'offenders', id: 'offenders', key: 'offenderFraction', type: 'number', range: [0, 1], init: 1, side: 'fleet', describe: 'bad-input / slow-reader traffic: share of connections that misbehave' },
  { name: 'out', id: 'out', key: 'out', type: 'string', init: 'reports', side: 'output', describe: 'directory for the JSON report' },
  { name: 'gate', id: 'gate', key: 'gate', type: 'bool', init: false, side: 'run', describe: 'exit 1 when any gate fails (integrity, leaks, anomalies, thresholds)' },
  { name: 'threshold', id: 'threshold', key: 'thresholds', type: 'string', repeatable: true, init: [], shown: 'none', side: 'run', describe: "user gate: 'p99<20ms', 'throughput>100000', 'connectErrors==0'" },
  { name: 'abort-on-fail', id: 'abortOnFail', key: 'abortOnFail', type: 'bool', init: false, side: 'run', describe: 'stop the run as soon as a threshold is lost for good (errors, lost, max latency...)' },
  { name: 'junit', id: 'junit', key: 'junit', type: 'string', init: null, shown: 'none', side: 'output', describe: 'also write JUnit XML to this path: one test case per gate and threshold' },
  { name: 'markdown', id: 'markdown', key: 'markdown', type: 'string', init: null, shown: 'none', side: 'output', describe: 'also write a Markdown summary to this path (for a CI step summary)' },
  { name: 'json', id: 'json', key: 'json', type: 'bool', init: false, side: 'output', describe: 'print {report, summary} as JSON and nothing else on stdout' },
  { name: 'verbose', id: 'verbose', key: 'verbose', type: 'bool', init: false, side: 'output', describe: 'print every summary table in full (every gate, every server counter) instead of the compact summary' },
  { name: 'echo-timeout', id: 'echoTimeout', key: 'echoTimeoutMs', type: 'duration', unit: 'ms', range: [1, 600_000], init: 5000, side: 'fleet', describe: 'an echo never seen after this long counts as lost' },
  { name: 'drain-timeout', id: 'drainTimeout', key: 'drainTimeoutMs', type: 'duration', unit: 'ms', range: [0, 600_000], init: 5000, side: 'fleet', describe: 'wait this long for in-flight echoes at the end' },
  { name: 'connect-timeout', id: 'connectTimeout', key: 'connectTimeoutMs', type: 'duration', unit: 'ms', range: [1, 600_000], init: DEFAULT_CONNECT_TIMEOUT_MS, side: 'fleet', describe: 'a connect not complete after this long counts as a connect error (ETIMEDOUT)' },
  { name: 'shard', id: 'shard', key: 'shard', type: 'string', init: null, shown: 'none', side: 'run', describe: "I/N: be part I (0-based) of an N-part fleet: its share of --clients (and their serials) and of --connect-rate; --rate stays per connection. Each part writes its own report; `stress merge` joins them" },
  { name: 'start-at', id: 'startAt', key: 'startAtMs', type: 'string', init: null, shown: 'at once', side: 'run', describe: 'start the load at this time (ISO 8601 with zone, or epoch ms) so every part of a sharded fleet starts together' },
  { name: 'metrics-port', id: 'metricsPort', key: 'metricsPort', type: 'int', range: [0, 65535], init: null, shown: 'off', side: 'output', describe: 'serve live fleet and server counters and latency in Prometheus text format on 0.0.0.0:PORT/metrics while the run goes (0 = a free port, said on stderr)' },
] as const satisfies readonly RunFlag[];

type RunFlagEntry = (typeof RUN_FLAGS)[number];

/** Every RunOptions field is set by a flag, except what only a scenario decides. */
type Uncovered = Exclude<keyof RunOptions, RunFlagEntry['key'] | (typeof SCENARIO_ONLY_OPTIONS)[number]>;
export type RunFlagsCoverRunOptions = Uncovered extends never ? true : { missing: Uncovered };

/** The flags as typed: text, a switch, or every occurrence of a repeatable flag. */
export type RawRunArgs = {
  [E in RunFlagEntry as E['id']]?: E['type'] extends 'bool' ? boolean : E extends { repeatable: true } ? string[] : string;
};

export type Resolved = { ok: true; options: RunOptions } | { ok: false; errors: string[] };

function target(p: Problems, raw: string): Target | undefined {
  if (raw === 'embedded') return { kind: 'embedded' };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(raw) ?? /^([^:]+):(\d+)$/.exec(raw);
  if (m === null) {
    p.add('target', raw, "must be 'embedded' or host:port (for IPv6: [::1]:port)");
    return undefined;
  }
  const host = m[1]!;
  const port = Number(m[2]);
  let ok = true;
  if (!isLoopbackHost(host)) {
    p.add('target', raw, `${host} is not loopback: only 127.0.0.0/8, localhost and ::1 may be load targets`);
    ok = false;
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    p.add('target', raw, 'port must be between 1 and 65535');
    ok = false;
  }
  return ok ? { kind: 'external', host, port } : undefined;
}

/** A loopback literal of either family (what `stress server --host` accepts). */
function listenHost(p: Problems, raw: string): string | undefined {
  if (net.isIP(raw) !== 0 && isLoopbackHost(raw)) return raw;
  p.add('host', raw, 'must be a loopback address: 127.0.0.0/8 or ::1');
  return undefined;
}

function payloadRange(p: Problems, raw: string): { min: number; max: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw.trim());
  if (m === null) {
    p.add('payload', raw, 'must be a size N or a range MIN-MAX in bytes');
    return undefined;
  }
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min > max) {
    p.add('payload', raw, `range is reversed: ${min} > ${max}`);
    return undefined;
  }
  return { min, max };
}

function backendRequest(p: Problems, raw: string): BackendRequest | undefined {
  const text = raw.trim();
  if (text === 'auto' || text === 'all') return text;
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => !(NAMED_BACKENDS as readonly string[]).includes(n))) {
    p.add('backend', raw, `must be auto, all, or one or a comma list of ${NAMED_BACKENDS.join(', ')}`);
    return undefined;
  }
  const list = [...new Set(names)] as NamedBackend[];
  return list.length === 1 ? list[0]! : list;
}

function framing(p: Problems, raw: string): Framing | undefined {
  const r = parseFraming(raw.trim());
  if ('framing' in r) return r.framing;
  p.add('framing', raw, r.error);
  return undefined;
}

function shard(p: Problems, raw: string): Shard | undefined {
  const r = parseShard(raw);
  if (!('error' in r)) return r;
  p.add('shard', raw, r.error);
  return undefined;
}

/** A time already past is accepted (a late part starts at once and says so); one more than a day ahead is a typo. */
function startAt(p: Problems, raw: string, now: number): number | undefined {
  const r = parseStartAt(raw);
  if (typeof r !== 'number') p.add('start-at', raw, r.error);
  else if (r - now > MAX_START_WAIT_MS) p.add('start-at', raw, `lies more than ${MAX_START_WAIT_MS / 3_600_000} h ahead`);
  else return r;
  return undefined;
}

/** --mix: WEIGHT:SIZE[-SIZE],...; each range read as --payload reads one. */
function mix(p: Problems, raw: string): MixEntry[] | undefined {
  const entries: MixEntry[] = [];
  for (const piece of raw.split(',')) {
    const m = /^\s*(\d+(?:\.\d+)?):(.+)$/.exec(piece);
    const weight = m === null ? NaN : Number(m[1]);
    if (m === null || !(weight > 0)) {
      p.add('mix', raw, `'${piece.trim()}' is not WEIGHT:SIZE[-SIZE] with a weight above 0 (e.g. 9:16-64,1:4096)`);
      return undefined;
    }
    const sizes = payloadRange(new Problems(), m[2]!);
    if (sizes === undefined) {
      p.add('mix', raw, `'${m[2]!.trim()}' is not a size N or a range MIN-MAX in bytes`);
      return undefined;
    }
    entries.push({ weight, payload: sizes });
  }
  return entries;
}

export function formatMix(entries: readonly MixEntry[]): string {
  return entries.map((e) => `${e.weight}:${e.payload.min === e.payload.max ? e.payload.min : `${e.payload.min}-${e.payload.max}`}`).join(',');
}

function stages(p: Problems, raw: string): Stage[] | undefined {
  const r = parseStages(raw);
  if (!('error' in r)) return r;
  p.add('stages', raw, r.error);
  return undefined;
}

function sourceIps(p: Problems, raw: string): string[] | undefined {
  const r = parseSourceIps(raw);
  if ('error' in r) {
    p.add('source-ips', raw, `${r.error}; give a count (e.g. 8), a range like 127.0.0.2-127.0.0.9, or a comma list`);
    return undefined;
  }
  return r.ips;
}

const TEXT_WHAT: Partial<Record<keyof RunOptions, string>> = {
  out: 'a directory path',
  junit: 'a file path',
  markdown: 'a file path',
  serverBin: 'the path of a standalone lanserver',
  serverCmd: 'a command line (launcher and lanserver)',
  protocol: 'the path of a protocol module',
};

/** Flags that shape the lan-framing traffic a protocol module replaces. */
const LAN_TRAFFIC_FLAGS = ['traffic', 'payload', 'mode', 'offenders', 'mix', 'thinkTime', 'framing'] as const satisfies ReadonlyArray<RunFlagEntry['id']>;

/** Parses one given flag by its table type (or its own grammar); undefined when bad (the problem is recorded). */
function parseFlag(p: Problems, flag: RunFlagEntry, raw: string | boolean | string[], warn: (text: string) => void): unknown {
  if (typeof raw === 'boolean' || Array.isArray(raw)) return raw;
  switch (flag.key) {
    case 'payload': return payloadRange(p, raw);
    case 'target': return target(p, raw);
    case 'host': return listenHost(p, raw);
    case 'backend': return backendRequest(p, raw);
    case 'framing': return framing(p, raw);
    case 'sourceIps': return sourceIps(p, raw);
    case 'shard': return shard(p, raw);
    case 'startAtMs': return startAt(p, raw, Date.now());
    case 'stages': return stages(p, raw);
    case 'mix': return mix(p, raw);
    case 'traffic': {
      const value = readChoice(p, flag, raw, warn, TRAFFIC_OLD_SPELLINGS);
      return value === undefined ? undefined : TRAFFIC_BY_FLAG_VALUE.get(value);
    }
  }
  switch (flag.type) {
    case 'int': case 'number': case 'duration': case 'size': return readNumber(p, flag, raw);
    case 'enum': return readChoice(p, flag, raw, warn);
    case 'list': return readList(p, flag, raw);
    case 'string': return readText(p, flag, raw, TEXT_WHAT[flag.key] ?? 'given');
  }
  return raw;
}

export function defaultOptions(env: Environment): RunOptions {
  const options: Record<string, unknown> = { expectRefused: false };
  for (const flag of RUN_FLAGS) {
    const init: unknown = flag.init;
    options[flag.key] = typeof init === 'function' ? (init as (e: Environment) => unknown)(env) : Array.isArray(init) ? [...(init as unknown[])] : init;
  }
  return options as unknown as RunOptions;
}

/** The flags given on the command line, parsed, keyed by RunOptions field; every bad one recorded. */
function givenOptions(p: Problems, raw: RawRunArgs, warn: (text: string) => void): Partial<RunOptions> {
  const given: Record<string, unknown> = {};
  const values = raw as Readonly<Record<string, RawValue>>;
  for (const flag of RUN_FLAGS) {
    const value = values[flag.id];
    if (value === undefined) continue;
    const parsed = parseFlag(p, flag, value, warn);
    if (parsed !== undefined) given[flag.key] = parsed;
  }
  return given as Partial<RunOptions>;
}

/**
 * A scenario's own options (a scenario file's, as flag text by id): parsed as the flags are, the
 * send model's flags excluding each other, and `mode` picking the traffic, as on the command line.
 */
export function scenarioDefaultsFrom(p: Problems, raw: RawRunArgs, warn: (text: string) => void): Partial<RunOptions> {
  const given = givenOptions(p, raw, warn);
  if (SEND_MODEL_FLAGS.some(([id]) => raw[id] !== undefined)) Object.assign(given, sendModel(p, raw, given, { pipeline: null, rate: null, totalRate: null }));
  if (given.mode !== undefined && raw.traffic === undefined) given.traffic = trafficFor(raw, given.mode, { traffic: 'echo' });
  return given;
}

/** A mix sets the payload range to its envelope; --payload beside a --mix given on the command line is refused. */
function applyMix(p: Problems, o: RunOptions, raw: RawRunArgs): RunOptions {
  if (o.mix.length === 0) return o;
  if (raw.payload !== undefined && raw.mix !== undefined) p.add('payload', raw.payload, '--mix sets the payload sizes: give the sizes there');
  // --payload on the command line wins over a scenario's mix.
  if (raw.payload !== undefined && raw.mix === undefined) return { ...o, mix: [] };
  if (o.traffic === 'chaos' || o.traffic === 'broadcast') p.add('mix', raw.mix ?? formatMix(o.mix), `weighs echo payloads: ${trafficFlagValue(o.traffic)} traffic draws its own sizes`);
  return { ...o, payload: mixEnvelope(o.mix) };
}

/** The flags given, as typed, by id. */
function givenTexts(raw: RawRunArgs): Map<string, string> {
  return new Map(Object.entries(raw).filter(([, v]) => v !== undefined).map(([id, v]) => [id, String(v)]));
}

/** The rules between flags, each naming the flag to fix. */
function crossChecks(p: Problems, raw: RawRunArgs, o: RunOptions): void {
  if (raw.rampUp !== undefined && o.rampUpSec >= o.durationSec && o.durationSec > 0) {
    p.add('ramp-up', raw.rampUp, `must be shorter than --duration (${o.durationSec} s)`);
  }
  if (o.payload.min < MIN_PAYLOAD) p.add('payload', raw.payload ?? `${o.payload.min}-${o.payload.max}`, `must be at least ${MIN_PAYLOAD} bytes (the verification header)`);
  if (o.payload.max > o.maxPayload) {
    const capped = raw.maxPayload === undefined && o.framing.kind !== 'raw' && o.maxPayload === maxFramePayload(o.framing);
    const why = capped ? `the longest payload --framing ${raw.framing ?? framingText(o.framing)} can announce` : "the server's --max-payload";
    p.add('payload', raw.payload ?? `${o.payload.min}-${o.payload.max}`, `must be at most ${o.maxPayload} bytes (${why})`);
  }
  framingChecks(p, raw, o);
  const header = framingHeaderBytes(o.framing);
  if (o.sendQueueLimit < o.maxPayload + header) {
    p.add('send-queue-limit', raw.sendQueueLimit ?? String(o.sendQueueLimit), `must hold one whole packet: at least --max-payload + ${header} (${o.maxPayload + header}, the --framing ${framingText(o.framing)} header included)`);
  }
  const uringRefusal = uringBuffersRefusal(o.uringBuffers);
  if (uringRefusal !== null) p.add('uring-buffers', raw.uringBuffers ?? String(o.uringBuffers), uringRefusal);
  if (o.serverZeroSendBuffer && o.serverSendBuffer > 0 && raw.serverSendBuffer !== undefined) {
    p.add('zero-send-buffer', 'true', `sets SO_SNDBUF to 0: give it or --send-buffer (${o.serverSendBuffer}), not both`);
  }
  if (o.serverBin !== null && o.mode === 'js') {
    p.add('server-bin', o.serverBin, 'the standalone lanserver has no js mode (it needs Node): use echo or broadcast');
  }
  if (o.shard !== null && o.shard.count > o.clients) {
    p.add('shard', raw.shard ?? formatShard(o.shard), `${o.shard.count} parts need at least as many --clients (${o.clients}): each part owns one or more`);
  }
  if (o.thinkTimeMs > 0 && (o.pipeline === null || stagesRated(o.stages))) p.add('think-time', raw.thinkTime ?? `${o.thinkTimeMs}ms`, 'applies to the closed loop (--pipeline) only: an open loop sends on its own schedule');
  if (o.warmUpSec > 0 && Math.ceil(o.warmUpSec) >= o.durationSec) p.add('warm-up', raw.warmUp ?? `${o.warmUpSec}s`, `must leave some of --duration (${o.durationSec} s) measured: the warm-up counts in whole seconds`);
  if (o.stages.length > 0 && o.shard !== null) p.add('stages', formatStages(o.stages), 'cannot be split over --shard parts yet: run the stages from one process');
  if (stagesRated(o.stages) && o.traffic === 'broadcast') p.add('stages', formatStages(o.stages), 'rates ramp echo traffic only: broadcast sends at its own rate');
  if (o.totalRate !== null && o.traffic === 'broadcast') p.add('total-rate', String(o.totalRate), 'applies to echo traffic only: broadcast sends at its own rate');
  if (o.serverCmd !== null && o.mode === 'js') {
    p.add('server-cmd', o.serverCmd, 'the standalone lanserver has no js mode (it needs Node): use echo or broadcast');
  }
  if (o.serverCmd !== null && o.serverBin !== null) {
    p.add('server-cmd', o.serverCmd, 'names the server as --server-bin does: give one of them');
  }
  const ipv6 = net.isIPv6(o.target.kind === 'external' ? o.target.host : o.host);
  if (ipv6 && o.sourceIps.length > 0) {
    // IPv6 has one loopback address: there is nothing to spread the fleet's source ports over.
    p.add('source-ips', raw.sourceIps ?? o.sourceIps.join(','), 'spreads connections over IPv4 loopback sources (127.0.0.0/8); an IPv6 target has one loopback address (::1): give no --source-ips');
  }
  if (o.protocol !== null) protocolChecks(p, raw, o, o.protocol);
  if (o.target.kind === 'external') {
    const values = raw as Readonly<Record<string, RawValue>>;
    for (const flag of RUN_FLAGS) {
      const value = values[flag.id];
      if (flag.side === 'server' && value !== undefined) p.add(flag.name, String(value), 'configures the embedded server, but --target names an external one');
    }
  }
}

/** --protocol speaks to a server of the user's (--target) and replaces the lan-framing traffic. */
function protocolChecks(p: Problems, raw: RawRunArgs, o: RunOptions, protocol: string): void {
  if (o.target.kind === 'embedded') {
    p.add('protocol', protocol, "needs --target HOST:PORT: the embedded server speaks the lan framing (echo, broadcast), not a protocol module's; examples/chat/server.mjs serves examples/chat/protocol.mjs");
  }
  const values = raw as Readonly<Record<string, RawValue>>;
  for (const id of LAN_TRAFFIC_FLAGS) {
    const value = values[id];
    if (value !== undefined) p.add(id, String(value), 'shapes the lan-framing traffic, which --protocol replaces: give one of them');
  }
  if (raw.traffic === undefined && o.traffic !== 'echo') p.add('protocol', protocol, `the scenario sends its own traffic (${o.traffic}): use --protocol with the default scenario`);
}

/**
 * What a framing cannot carry: a payload longer than its length field can say, and traffic that
 * needs frames (broadcast's per-packet checks, chaos traffic's aim at frame reassembly, bad input's
 * lan headers) over a raw stream or another shape. Each names --framing and the other flag.
 */
function framingChecks(p: Problems, raw: RawRunArgs, o: RunOptions): void {
  const f = o.framing;
  const text = raw.framing ?? framingText(f);
  if (f.kind !== 'raw' && o.maxPayload > maxFramePayload(f)) {
    p.add('max-payload', raw.maxPayload ?? String(o.maxPayload), `must be at most ${maxFramePayload(f)} bytes: the longest payload --framing ${text} can announce`);
  }
  const refused = framingRefuses(f, o.traffic);
  if (refused !== null) p.add('framing', text, refused);
}

type SendModelOptions = Pick<RunOptions, 'pipeline' | 'rate' | 'totalRate'>;
const SEND_MODEL_FLAGS = [['pipeline', 'closed loop'], ['rate', 'open loop'], ['totalRate', 'open loop']] as const;

/**
 * --pipeline (closed loop), --rate and --total-rate (open loop) exclude each other; giving one
 * clears the others. Exported for scenario files, whose options follow the same rule.
 */
export function sendModel(p: Problems, raw: RawRunArgs, given: Partial<RunOptions>, base: SendModelOptions): SendModelOptions {
  const named = SEND_MODEL_FLAGS.filter(([id]) => raw[id] !== undefined);
  if (named.length > 1) {
    const [first, second] = named;
    p.add(flagName(first![0]), String(raw[first![0]]), `--${flagName(first![0])} (${first![1]}) and --${flagName(second![0])} (${second![1]}) cannot be used together`);
    return { pipeline: base.pipeline, rate: base.rate, totalRate: base.totalRate };
  }
  const none = { pipeline: null, rate: null, totalRate: null };
  if (raw.pipeline !== undefined) return { ...none, pipeline: given.pipeline ?? 1 };
  if (raw.rate !== undefined) return { ...none, rate: given.rate ?? 1 };
  if (raw.totalRate !== undefined) return { ...none, totalRate: given.totalRate ?? 1 };
  return base.pipeline === null && base.rate === null && base.totalRate === null ? { ...none, pipeline: 1 } : { pipeline: base.pipeline, rate: base.rate, totalRate: base.totalRate };
}

function flagName(id: string): string {
  return RUN_FLAGS.find((f) => f.id === id)?.name ?? id;
}

/**
 * Stages set the connections (their peak), the duration (their sum) and, when they carry rates,
 * the send model: those flags may not be given beside them (`given` are the flag ids given
 * beside the stages, on the command line or in the same file).
 */
export function applyStages(p: Problems, o: RunOptions, given: ReadonlyMap<string, string>): RunOptions {
  if (o.stages.length === 0) return o;
  const rated = stagesRated(o.stages);
  const decided: readonly string[] = rated ? [...SET_BY_STAGES, ...SET_BY_RATED_STAGES] : SET_BY_STAGES;
  for (const id of decided) {
    const text = given.get(id);
    if (text !== undefined) p.add(flagName(id), text, `cannot be given beside --stages, which set it (${formatStages(o.stages)})`);
  }
  const model = rated ? { pipeline: null, rate: null, totalRate: null } : { pipeline: o.pipeline ?? 1, rate: null, totalRate: null };
  return { ...o, ...model, clients: stagesPeakClients(o.stages), durationSec: stagesDurationSec(o.stages), rampUpSec: 0 };
}

/**
 * A broadcast server sends every packet to its room: only the broadcast payload checks can verify
 * that, and an echo server never answers them. So --mode alone also picks what the fleet sends.
 */
function trafficFor(raw: RawRunArgs, mode: ServerMode, base: Pick<RunOptions, 'traffic'>): TrafficKind {
  if (raw.mode === undefined) return base.traffic;
  if (mode === 'broadcast') return 'broadcast';
  return base.traffic === 'broadcast' ? 'echo' : base.traffic;
}

/**
 * Flags win over scenario defaults, which win over the built-in defaults.
 * Every rule is checked and every failure reported, each naming its flag.
 * `warn` hears the deprecated values used (--traffic badInput).
 */
export function resolveRunOptions(raw: RawRunArgs, scenarioDefaults: Partial<RunOptions>, env: Environment, warn: (text: string) => void = () => {}): Resolved {
  const base: RunOptions = { ...defaultOptions(env), ...scenarioDefaults };
  const p = new Problems();
  const given = givenOptions(p, raw, warn);
  const clients = given.clients ?? base.clients;
  // Room for every client unless a scenario or the user sets the cap on purpose (max-sessions).
  if (scenarioDefaults.maxSessions === undefined) base.maxSessions = Math.max(base.maxSessions, clients);
  const mode = given.mode ?? base.mode;
  // The default --max-payload follows a framing whose length field cannot say it (len:1: 255 at most).
  const f = given.framing ?? base.framing;
  if (given.maxPayload === undefined && f.kind !== 'raw') base.maxPayload = Math.min(base.maxPayload, maxFramePayload(f));
  const flagged: RunOptions = {
    ...base,
    traffic: trafficFor(raw, mode, base),
    ...given,
    ...sendModel(p, raw, given, base),
    // A scenario's send buffer (chaos sets one) gives way to --zero-send-buffer; one given by the user does not.
    ...(given.serverZeroSendBuffer === true && given.serverSendBuffer === undefined ? { serverSendBuffer: 0 } : {}),
  };
  const options = applyMix(p, applyStages(p, flagged, givenTexts(raw)), raw);
  crossChecks(p, raw, options);
  return p.errors.length > 0 ? { ok: false, errors: p.errors } : { ok: true, options };
}

/** A long list is recorded as its ends and size: the report keeps every option, not every address. */
function sourceIpsRecord(ips: string[]): string | string[] | null {
  if (ips.length === 0) return null;
  if (ips.length <= 8) return ips;
  return `${ips[0]}..${ips[ips.length - 1]} (${ips.length} addresses)`;
}

export type RecordValue = string | number | boolean | string[] | null;

export function recordValue(o: RunOptions, key: keyof RunOptions): RecordValue {
  switch (key) {
    case 'payload': return o.payload.min === o.payload.max ? String(o.payload.min) : `${o.payload.min}-${o.payload.max}`;
    case 'target': return o.target.kind === 'embedded' ? 'embedded' : formatHostPort(o.target.host, o.target.port);
    case 'framing': return framingText(o.framing);
    case 'sourceIps': return sourceIpsRecord(o.sourceIps);
    case 'shard': return o.shard === null ? null : formatShard(o.shard);
    case 'startAtMs': return o.startAtMs === null ? null : new Date(o.startAtMs).toISOString();
    case 'stages': return o.stages.length === 0 ? null : formatStages(o.stages);
    case 'mix': return o.mix.length === 0 ? null : formatMix(o.mix);
    default: return o[key] as RecordValue;
  }
}

/** The options only a scenario sets (no flag): their id is their RunOptions key. */
export const SCENARIO_ONLY_OPTIONS = ['expectRefused'] as const satisfies ReadonlyArray<keyof RunOptions>;

/** Every option id: the keys of the report's options record, the names scenario files and expressions use. */
export const OPTION_IDS: ReadonlySet<string> = new Set([...RUN_FLAGS.map((f) => f.id), ...SCENARIO_ONLY_OPTIONS]);

/** The RunOptions field an option id sets. */
export function optionKey(id: string): keyof RunOptions | undefined {
  const flag = RUN_FLAGS.find((f) => f.id === id);
  if (flag !== undefined) return flag.key;
  return (SCENARIO_ONLY_OPTIONS as readonly string[]).includes(id) ? (id as keyof RunOptions) : undefined;
}

/** The report's flat view of the options: strings, numbers, booleans, lists, keyed by each flag's stable id. */
export function optionsRecord(o: RunOptions): Record<string, RecordValue> {
  const record: Record<string, RecordValue> = {};
  for (const flag of RUN_FLAGS) record[flag.id] = recordValue(o, flag.key);
  record.expectRefused = o.expectRefused;
  return record;
}

/** One recorded option back as its RunOptions value (recordValue's inverse); undefined when bad (the problem is recorded). */
function fromRecordValue(p: Problems, flag: RunFlagEntry, value: RecordValue): unknown {
  switch (flag.key) {
    case 'payload': return typeof value === 'string' ? payloadRange(p, value) : undefined;
    case 'target': return typeof value === 'string' ? target(p, value) : undefined;
    case 'framing': return typeof value === 'string' ? framing(p, value) : undefined;
    // A long list was recorded as its ends and size: the addresses do not change a verdict, so none are restored.
    case 'sourceIps': return Array.isArray(value) ? value : [];
    case 'shard': return typeof value === 'string' ? shard(p, value) : null;
    case 'startAtMs': return typeof value === 'string' ? Date.parse(value) : null;
    case 'stages': return typeof value === 'string' ? stages(p, value) : [];
    case 'mix': return typeof value === 'string' ? mix(p, value) : [];
    default: return value;
  }
}

/**
 * The options a report's record was made from (optionsRecord's inverse), so a saved or merged run
 * can be judged again with its scenario's gates. An option an older report lacks takes its default.
 */
export function optionsFromRecord(record: Readonly<Record<string, RecordValue>>, env: Environment): Resolved {
  const p = new Problems();
  const options: Record<string, unknown> = { ...defaultOptions(env), expectRefused: record.expectRefused === true };
  for (const flag of RUN_FLAGS) {
    const value = record[flag.id];
    if (value === undefined) continue;
    const parsed = fromRecordValue(p, flag, value);
    if (parsed !== undefined) options[flag.key] = parsed;
  }
  return p.errors.length > 0 ? { ok: false, errors: p.errors } : { ok: true, options: options as unknown as RunOptions };
}

/** The embedded server's flags for these options, each under its `stress server` / standalone spelling. */
export function embeddedServerFlags(o: RunOptions & { backend: Backend }): string[] {
  const argv: string[] = [];
  for (const flag of RUN_FLAGS) {
    if (!('server' in flag)) continue;
    const value = flag.key === 'framing' ? framingText(o.framing) : o[flag.key];
    if (typeof value === 'boolean') {
      if (value) argv.push(flag.server);
    } else argv.push(flag.server, String(value));
  }
  return argv;
}
