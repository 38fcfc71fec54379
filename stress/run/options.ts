/**
 * The run flags of SPEC section 4: raw strings from the command line in,
 * resolved and checked options out. Pure: no I/O, so every rule is testable
 * and every bad option is reported at once (k6 style), each naming its flag.
 */
import { NAMED_BACKENDS, SERVER_MODES as MODES, type NamedBackend } from '../../server/types';
import { CHAOS_ACTIONS, TRAFFIC_KINDS as TRAFFIC, type ChaosAction, type TrafficKind } from '../../dummy-client/types';
import { parseSourceIps } from './source-ips';

export { CHAOS_ACTIONS, NAMED_BACKENDS, type NamedBackend };
/** A connect not complete within this many ms is a connect error (ETIMEDOUT): a SYN nobody answers is retried by the kernel for minutes. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** The server's default sendQueueLimit (SPEC 2). */
export const DEFAULT_SEND_QUEUE_LIMIT = 1 << 20;

/** The verification header every payload carries: serial u32, sequence u32, send time u64. */
export const MIN_PAYLOAD = 16;
/** The server's default maxPayload (SPEC 1); the wire format caps it at 65535. */
export const DEFAULT_MAX_PAYLOAD = 8192;
const WIRE_MAX_PAYLOAD = 65535;

import type { BackendRequest, RunOptions, Target } from './option-types';

export type { BackendRequest, RunOptions, Target };

/** What yargs hands over: every value still a string, so a bad one can be quoted back. */
export interface RawRunArgs {
  clients?: string;
  duration?: string;
  rampUp?: string;
  connectRate?: string;
  payload?: string;
  pipeline?: string;
  rate?: string;
  chaos?: string;
  chaosActions?: string;
  seed?: string;
  target?: string;
  backend?: string;
  mode?: string;
  serverWorkers?: string;
  maxPayload?: string;
  maxSessions?: string;
  serverKick?: string;
  room?: string;
  serverEchoDelayUs?: string;
  serverBin?: string;
  serverSendBuffer?: string;
  serverProbes?: boolean;
  workers?: string;
  traffic?: string;
  lifetime?: string;
  sourceIps?: string;
  sendQueueLimit?: string;
  offenders?: string;
  out?: string;
  gate?: boolean;
  threshold?: string[];
  abortOnFail?: boolean;
  junit?: string;
  markdown?: string;
  json?: boolean;
  echoTimeout?: string;
  drainTimeout?: string;
  connectTimeout?: string;
}

export interface Environment {
  cores: number;
  /** Used only when --seed is absent; recorded in the report so the run can be replayed. */
  randomSeed: number;
}

export type Resolved = { ok: true; options: RunOptions } | { ok: false; errors: string[] };

/** Collects one message per bad flag instead of stopping at the first. */
class Problems {
  readonly errors: string[] = [];
  add(flag: string, raw: string, why: string): void {
    this.errors.push(`--${flag} ${JSON.stringify(raw)}: ${why}`);
  }
}

function parseNumber(text: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim())) return null;
  return Number(text);
}

function integer(p: Problems, flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = parseNumber(raw);
  if (n === null || !Number.isInteger(n)) {
    p.add(flag, raw, 'must be a whole number');
    return fallback;
  }
  if (n < min || n > max) {
    p.add(flag, raw, `must be between ${min} and ${max}`);
    return fallback;
  }
  return n;
}

function real(p: Problems, flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = parseNumber(raw);
  if (n === null || !Number.isFinite(n)) {
    p.add(flag, raw, 'must be a number');
    return fallback;
  }
  if (n < min || n > max) {
    p.add(flag, raw, `must be between ${min} and ${max}`);
    return fallback;
  }
  return n;
}

function choice<T extends string>(p: Problems, flag: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  p.add(flag, raw, `must be one of ${allowed.join(', ')}`);
  return fallback;
}

/** 127.0.0.0/8, localhost and ::1: this tool only ever loads the loopback interface. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

function target(p: Problems, raw: string | undefined, fallback: Target): Target {
  if (raw === undefined) return fallback;
  if (raw === 'embedded') return { kind: 'embedded' };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(raw) ?? /^([^:]+):(\d+)$/.exec(raw);
  if (m === null) {
    p.add('target', raw, "must be 'embedded' or host:port (for IPv6: [::1]:port)");
    return fallback;
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
  return ok ? { kind: 'external', host, port } : fallback;
}

function payloadRange(p: Problems, raw: string | undefined, fallback: { min: number; max: number }, maxPayload: number): { min: number; max: number } {
  const range = raw === undefined ? fallback : parseRange(p, raw);
  if (range === null) return fallback;
  const text = raw ?? `${range.min}-${range.max}`;
  let ok = true;
  if (range.min < MIN_PAYLOAD) {
    p.add('payload', text, `must be at least ${MIN_PAYLOAD} bytes (the verification header)`);
    ok = false;
  }
  if (range.max > maxPayload) {
    p.add('payload', text, `must be at most ${maxPayload} bytes (the server's --max-payload)`);
    ok = false;
  }
  return ok ? range : fallback;
}

function parseRange(p: Problems, raw: string): { min: number; max: number } | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw.trim());
  if (m === null) {
    p.add('payload', raw, 'must be a size N or a range MIN-MAX in bytes');
    return null;
  }
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min > max) {
    p.add('payload', raw, `range is reversed: ${min} > ${max}`);
    return null;
  }
  return { min, max };
}

function backendRequest(p: Problems, raw: string | undefined, fallback: BackendRequest): BackendRequest {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  if (text === 'auto' || text === 'all') return text;
  const names = text.split(',').map((s) => s.trim());
  const bad = names.filter((n) => !(NAMED_BACKENDS as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    p.add('backend', raw, `must be auto, all, or one or a comma list of ${NAMED_BACKENDS.join(', ')}`);
    return fallback;
  }
  const list = [...new Set(names)] as NamedBackend[];
  return list.length === 1 ? list[0]! : list;
}

function chaosActions(p: Problems, raw: string | undefined, fallback: ChaosAction[]): ChaosAction[] {
  if (raw === undefined) return fallback;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = names.filter((n) => !(CHAOS_ACTIONS as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    p.add('chaos-actions', raw, `must be a comma list of ${CHAOS_ACTIONS.join(', ')}`);
    return fallback;
  }
  return [...new Set(names)] as ChaosAction[];
}

function sourceIps(p: Problems, raw: string | undefined, fallback: string[]): string[] {
  if (raw === undefined) return fallback;
  const r = parseSourceIps(raw);
  if ('error' in r) {
    p.add('source-ips', raw, `${r.error}; give a count (e.g. 8), a range like 127.0.0.2-127.0.0.9, or a comma list`);
    return fallback;
  }
  return r.ips;
}

/** A long list is recorded as its ends and size: the report keeps every option, not every address. */
function sourceIpsRecord(ips: string[]): string | string[] | null {
  if (ips.length === 0) return null;
  if (ips.length <= 8) return ips;
  return `${ips[0]}..${ips[ips.length - 1]} (${ips.length} addresses)`;
}

export function defaultOptions(env: Environment): RunOptions {
  return {
    clients: 1000,
    durationSec: 10,
    rampUpSec: 0,
    connectRate: 2000,
    payload: { min: MIN_PAYLOAD, max: MIN_PAYLOAD },
    pipeline: 1,
    rate: null,
    chaos: 0,
    chaosActions: [...CHAOS_ACTIONS],
    seed: env.randomSeed,
    target: { kind: 'embedded' },
    backend: 'auto',
    mode: 'echo',
    serverWorkers: env.cores,
    maxPayload: DEFAULT_MAX_PAYLOAD,
    maxSessions: 10000,
    serverKick: 0,
    room: 0,
    serverEchoDelayUs: 0,
    serverBin: null,
    serverSendBuffer: 0,
    serverProbes: false,
    workers: env.cores,
    traffic: 'echo',
    lifetimeMs: 0,
    sourceIps: [],
    sendQueueLimit: DEFAULT_SEND_QUEUE_LIMIT,
    offenderFraction: 1,
    expectRefused: false,
    out: 'reports',
    gate: false,
    thresholds: [],
    abortOnFail: false,
    junit: null,
    markdown: null,
    json: false,
    echoTimeoutMs: 5000,
    drainTimeoutMs: 5000,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

/**
 * Flags win over scenario defaults, which win over the built-in defaults.
 * Every rule is checked and every failure reported, each naming its flag.
 */
export function resolveRunOptions(raw: RawRunArgs, scenarioDefaults: Partial<RunOptions>, env: Environment): Resolved {
  const base: RunOptions = { ...defaultOptions(env), ...scenarioDefaults };
  const p = new Problems();
  const maxPayload = integer(p, 'max-payload', raw.maxPayload, base.maxPayload, MIN_PAYLOAD, WIRE_MAX_PAYLOAD);
  const durationSec = real(p, 'duration', raw.duration, base.durationSec, 1, 24 * 3600);
  const rampUpSec = real(p, 'ramp-up', raw.rampUp, base.rampUpSec, 0, 24 * 3600);
  if (raw.rampUp !== undefined && rampUpSec >= durationSec && durationSec > 0) {
    p.add('ramp-up', raw.rampUp, `must be shorter than --duration (${durationSec} s)`);
  }

  let pipeline = base.pipeline;
  let rate = base.rate;
  if (raw.pipeline !== undefined && raw.rate !== undefined) {
    p.add('pipeline', raw.pipeline, '--pipeline (closed loop) and --rate (open loop) cannot be used together');
  } else if (raw.pipeline !== undefined) {
    pipeline = integer(p, 'pipeline', raw.pipeline, 1, 1, 10000);
    rate = null;
  } else if (raw.rate !== undefined) {
    rate = real(p, 'rate', raw.rate, 1, 0.001, 1_000_000);
    pipeline = null;
  }
  if (pipeline === null && rate === null) pipeline = 1;

  const clients = integer(p, 'clients', raw.clients, base.clients, 1, 1_000_000);
  // Room for every client unless a scenario or the user sets the cap on purpose (max-sessions).
  if (scenarioDefaults.maxSessions === undefined) base.maxSessions = Math.max(base.maxSessions, clients);
  const mode = choice(p, 'mode', raw.mode, base.mode, MODES);
  // A broadcast server sends every packet to its room: only the broadcast payload checks can verify
  // that, and an echo server never answers them. So --mode alone also picks what the fleet sends.
  const trafficDefault: TrafficKind =
    raw.mode === undefined ? base.traffic : mode === 'broadcast' ? 'broadcast' : base.traffic === 'broadcast' ? 'echo' : base.traffic;
  const options: RunOptions = {
    clients,
    durationSec,
    rampUpSec,
    connectRate: real(p, 'connect-rate', raw.connectRate, base.connectRate, 1, 1_000_000),
    payload: payloadRange(p, raw.payload, base.payload, maxPayload),
    pipeline,
    rate,
    chaos: real(p, 'chaos', raw.chaos, base.chaos, 0, 1),
    chaosActions: chaosActions(p, raw.chaosActions, base.chaosActions),
    seed: integer(p, 'seed', raw.seed, base.seed, 0, 2 ** 32 - 1),
    target: target(p, raw.target, base.target),
    backend: backendRequest(p, raw.backend, base.backend),
    mode,
    serverWorkers: integer(p, 'server-workers', raw.serverWorkers, base.serverWorkers, 1, 256),
    maxPayload,
    maxSessions: integer(p, 'max-sessions', raw.maxSessions, base.maxSessions, 1, 1_000_000),
    serverKick: real(p, 'server-kick', raw.serverKick, base.serverKick, 0, 1),
    room: integer(p, 'room', raw.room, base.room, 0, 1_000_000),
    serverEchoDelayUs: integer(p, 'server-echo-delay-us', raw.serverEchoDelayUs, base.serverEchoDelayUs, 0, 10_000_000),
    serverBin: raw.serverBin ?? base.serverBin,
    serverSendBuffer: integer(p, 'server-send-buffer', raw.serverSendBuffer, base.serverSendBuffer, 0, 16 * 1024 * 1024),
    serverProbes: raw.serverProbes ?? base.serverProbes,
    workers: integer(p, 'workers', raw.workers, base.workers, 1, 256),
    traffic: choice(p, 'traffic', raw.traffic, trafficDefault, TRAFFIC),
    lifetimeMs: integer(p, 'lifetime', raw.lifetime, base.lifetimeMs, 0, 24 * 3600 * 1000),
    sourceIps: sourceIps(p, raw.sourceIps, base.sourceIps),
    sendQueueLimit: integer(p, 'send-queue-limit', raw.sendQueueLimit, base.sendQueueLimit, 1, 1 << 30),
    offenderFraction: real(p, 'offenders', raw.offenders, base.offenderFraction, 0, 1),
    expectRefused: base.expectRefused,
    out: raw.out === undefined ? base.out : raw.out,
    gate: raw.gate ?? base.gate,
    thresholds: raw.threshold ?? base.thresholds,
    abortOnFail: raw.abortOnFail ?? base.abortOnFail,
    junit: raw.junit ?? base.junit,
    markdown: raw.markdown ?? base.markdown,
    json: raw.json ?? base.json,
    echoTimeoutMs: integer(p, 'echo-timeout', raw.echoTimeout, base.echoTimeoutMs, 1, 600_000),
    drainTimeoutMs: integer(p, 'drain-timeout', raw.drainTimeout, base.drainTimeoutMs, 0, 600_000),
    connectTimeoutMs: integer(p, 'connect-timeout', raw.connectTimeout, base.connectTimeoutMs, 1, 600_000),
  };
  if (options.sendQueueLimit < options.maxPayload + 2) {
    p.add('send-queue-limit', raw.sendQueueLimit ?? String(options.sendQueueLimit), `must hold one whole packet: at least --max-payload + 2 (${options.maxPayload + 2})`);
  }
  if (raw.serverBin !== undefined && raw.serverBin.trim() === '') p.add('server-bin', raw.serverBin, 'must be the path of a standalone lanserver');
  if (options.serverBin !== null && options.mode === 'js') {
    p.add('server-bin', options.serverBin, 'the standalone lanserver has no js mode (it needs Node): use echo or broadcast');
  }
  if (raw.out !== undefined && raw.out.trim() === '') p.add('out', raw.out, 'must be a directory path');
  if (raw.junit !== undefined && raw.junit.trim() === '') p.add('junit', raw.junit, 'must be a file path');
  if (raw.markdown !== undefined && raw.markdown.trim() === '') p.add('markdown', raw.markdown, 'must be a file path');
  if (options.target.kind === 'external') {
    const serverOnly: Array<[string, string | undefined]> = [
      ['backend', raw.backend],
      ['server-workers', raw.serverWorkers],
      ['server-kick', raw.serverKick],
      ['room', raw.room],
      ['server-echo-delay-us', raw.serverEchoDelayUs],
      ['max-sessions', raw.maxSessions],
      ['server-bin', raw.serverBin],
      ['server-send-buffer', raw.serverSendBuffer],
      ['server-probes', raw.serverProbes === undefined ? undefined : String(raw.serverProbes)],
      ['send-queue-limit', raw.sendQueueLimit],
    ];
    for (const [flag, value] of serverOnly) {
      if (value !== undefined) p.add(flag, value, 'configures the embedded server, but --target names an external one');
    }
  }
  return p.errors.length > 0 ? { ok: false, errors: p.errors } : { ok: true, options };
}

/** The report's flat view of the options: strings, numbers, booleans, lists. */
export function optionsRecord(o: RunOptions): Record<string, string | number | boolean | string[] | null> {
  return {
    clients: o.clients,
    duration: o.durationSec,
    rampUp: o.rampUpSec,
    connectRate: o.connectRate,
    payload: o.payload.min === o.payload.max ? String(o.payload.min) : `${o.payload.min}-${o.payload.max}`,
    pipeline: o.pipeline,
    rate: o.rate,
    chaos: o.chaos,
    chaosActions: o.chaosActions,
    seed: o.seed,
    target: o.target.kind === 'embedded' ? 'embedded' : `${o.target.host}:${o.target.port}`,
    backend: o.backend,
    mode: o.mode,
    serverWorkers: o.serverWorkers,
    maxPayload: o.maxPayload,
    maxSessions: o.maxSessions,
    serverKick: o.serverKick,
    room: o.room,
    serverEchoDelayUs: o.serverEchoDelayUs,
    serverBin: o.serverBin,
    serverSendBuffer: o.serverSendBuffer,
    serverProbes: o.serverProbes,
    workers: o.workers,
    traffic: o.traffic,
    lifetime: o.lifetimeMs,
    sourceIps: sourceIpsRecord(o.sourceIps),
    sendQueueLimit: o.sendQueueLimit,
    offenders: o.offenderFraction,
    expectRefused: o.expectRefused,
    out: o.out,
    gate: o.gate,
    threshold: o.thresholds,
    abortOnFail: o.abortOnFail,
    junit: o.junit,
    markdown: o.markdown,
    json: o.json,
    echoTimeout: o.echoTimeoutMs,
    drainTimeout: o.drainTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
  };
}
