import type { Framing } from './framing';

/**
 * The contract between the fleet (dummy-client/) and the stress command.
 * The main thread builds a FleetConfig, the fleet reports one FleetTick a second
 * and a FleetResult at the end. Latency is in microseconds inside histograms;
 * histograms cross threads encoded (base64 HDR), never as samples.
 */

import type { FleetStage } from './stages';
import type { MixEntry } from './payload-mix';

export type SendModel =
  | { kind: 'closed'; pipeline: number }
  | { kind: 'open'; rate: number };

/** What a chaos cut does to a connection, in --help order. */
export const CHAOS_ACTIONS = ['rstMidBurst', 'finInFlight', 'closeAfterConnect', 'closeMidPacket', 'silence'] as const;
export type ChaosAction = (typeof CHAOS_ACTIONS)[number];

export interface ChaosConfig {
  /** Probability per connection per second of life that one action fires (0 = off). */
  probability: number;
  /** Actions to choose from, uniformly. */
  actions: ChaosAction[];
  /** Reconnect delay range after a cut, in ms. */
  reconnectDelayMs: { min: number; max: number };
}

/**
 * What the fleet sends: verifiable echo payloads in the run's framing, or self-checking broadcast payloads.
 * badInput and slowReader make a share of the connections (offenderFraction) misbehave: badInput sends
 * garbage, an oversize or half header and then stays silent; slowReader floods echo packets and never
 * reads. The other connections send echo traffic beside them. chaos is echo traffic that reaches
 * every server path (chaos-traffic.ts): mixed sizes from 0 to exactly serverMaxPayload and across
 * the server's receive-ring wrap, coalesced bursts, split writes, and connections that stop
 * reading for a while.
 */
export const TRAFFIC_KINDS = ['echo', 'broadcast', 'badInput', 'slowReader', 'chaos'] as const;
export type TrafficKind = (typeof TRAFFIC_KINDS)[number];

/** The fleet's socket layers (dummy-client/transport.ts): Node's net, or the addon's engine (native-socket.ts). */
export const FLEET_IO = ['net', 'native'] as const;
export type FleetIo = (typeof FLEET_IO)[number];
/** What --io takes: a socket layer, or auto (native where this addon build has the engine, net elsewhere). */
export const FLEET_IO_CHOICES = ['auto', ...FLEET_IO] as const;
export type FleetIoChoice = (typeof FLEET_IO_CHOICES)[number];

export interface FleetConfig {
  host: string;
  port: number;
  /** Source addresses to spread connections over (127.0.0.0/8 only); empty = kernel's choice. */
  sourceIps: string[];
  clients: number;
  /** New connections per second across the fleet. */
  connectRate: number;
  /** Spread the opening over this many seconds (0 = as fast as connectRate allows). */
  rampUpSec: number;
  durationSec: number;
  /** How packets are framed on the wire (length-prefixed in some shape, or a raw stream). */
  framing: Framing;
  /** Payload size range in bytes (min 16: the verification header). */
  payload: { min: number; max: number };
  /**
   * The server's maxPayload (for an external target: the largest payload the user allows). chaos
   * traffic sends exactly this size and aims at the server's receive ring, whose size follows from it.
   */
  serverMaxPayload: number;
  /** A connect not complete within this many ms is destroyed and counted as a connect error (ETIMEDOUT). */
  connectTimeoutMs: number;
  /** Which socket layer the lan-framing connections use; absent = net. */
  io?: FleetIo;
  sendModel: SendModel;
  /** Worker threads (default: one per core). */
  workers: number;
  seed: number;
  traffic: TrafficKind;
  chaos: ChaosConfig;
  /** An echo not back within this many ms on a connection nobody cut is counted lost (0 = only at the end). */
  echoTimeoutMs: number;
  /** Bound on draining in-flight packets at the end. */
  drainTimeoutMs: number;
  /** Churn: close each connection after this many ms and reconnect (0 = keep alive). */
  connectionLifetimeMs: number;
  /**
   * The server is told to disconnect sessions on purpose (server-side kick): packets in flight on a
   * connection the server closes count as abandoned, not lost. Absent/false: such a close is an error.
   */
  serverMayCut?: boolean;
  /**
   * The server is expected to refuse connections (past maxSessions): a connection the server closes
   * before sending it a single byte counts as `refused` (tallied in errors, not an error) and its
   * packets abandoned; the slot retries after a short delay.
   */
  serverMayRefuse?: boolean;
  /** badInput / slowReader traffic: share of connections (0..1, drawn per serial from the seed) that misbehave; absent = all. */
  offenderFraction?: number;
  /**
   * This process is one part of a larger fleet (stress run --shard): its slots are the fleet's
   * [firstSlot, firstSlot + clients) and serials are g * fleetClients + fleet slot, the very
   * serials one process running the whole fleet would use. Absent: the fleet is this process.
   */
  shard?: { firstSlot: number; fleetClients: number };
  /**
   * Load over time (stages.ts): the open connections, and in open loop the rate, follow these
   * targets; `clients` is the most slots any stage opens. A total rate is split over the live
   * connections. Absent: every slot opens at once (paced by connectRate) at sendModel's rate.
   */
  stages?: FleetStage[];
  /** Echo traffic: payload sizes by weight (payload-mix.ts) instead of uniformly over `payload`, which is their envelope. */
  mix?: MixEntry[];
  /** Closed loop: ms between an echo coming back and the next packet (absent = 0). */
  thinkTimeMs?: number;
  /** Seconds of the series (rounded up) whose latencies stay out of the run's histograms (absent = 0). */
  warmUpSec?: number;
  /**
   * Absolute path of a protocol module (dummy-client/protocol.ts) that speaks for every connection
   * instead of the lan-framing traffic (`traffic` and `payload` are then unused). Absent: lan framing.
   */
  protocol?: string;
}

/** How each sent packet ended, in report order. */
export const INTEGRITY_CLASSES = ['ok', 'corrupted', 'reordered', 'duplicated', 'unexpected', 'lost', 'abandoned'] as const;
export type IntegrityClass = (typeof INTEGRITY_CLASSES)[number];
/** The classes that must be 0: ok is the good count and abandoned is expected under chaos (cut on purpose). */
export const INTEGRITY_ERRORS = ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const satisfies readonly IntegrityClass[];
export type IntegrityError = (typeof INTEGRITY_ERRORS)[number];
const INTEGRITY_ERROR_SET: ReadonlySet<string> = new Set(INTEGRITY_ERRORS);
export function isIntegrityError(name: string): name is IntegrityError {
  return INTEGRITY_ERROR_SET.has(name);
}

export type IntegrityCounts = Record<IntegrityClass, number>;

export type ChaosCounts = Record<ChaosAction, number>;

/**
 * Client event codes a scenario causes on purpose (offenders' tallies, refusals and server cuts
 * it expects, stalls): counted beside the client errors, never as errors. One list: the pool
 * counts errors by it; the summary, HTML and live line split by it.
 */
const EXPECTED_EVENT_PREFIXES = ['badInput.', 'slowReader.', 'stall.'] as const;
const EXPECTED_EVENT_CODES: ReadonlySet<string> = new Set(['serverClosed', 'refused', 'junkFrame']);

export function isExpectedClientEvent(code: string): boolean {
  return EXPECTED_EVENT_CODES.has(code) || EXPECTED_EVENT_PREFIXES.some((p) => code.startsWith(p));
}

/** One second of the run, merged over workers. */
/** Counters a worker reports each interval and the fleet merges into a tick. */
export interface TrafficCounters {
  connections: number;
  connecting: number;
  sent: number;
  echoed: number;
  bytesSent: number;
  bytesEchoed: number;
}

export interface FleetTick extends TrafficCounters {
  /** Seconds since the fleet started (1, 2, ...). */
  t: number;
  /** This second's latency percentiles in ms (corrected); null when nothing was echoed. */
  p50: number | null;
  p99: number | null;
  errors: number;
  /** Worst event-loop lag seen in any worker this second, ms. */
  lagMs: number;
  /** Client process CPU this second, percent of one core (may exceed 100 with several workers). */
  cpuPercent: number;
  /** Sends that fell behind the open-loop schedule this second. */
  behindSchedule: number;
  /** Chaos cuts made this second, by action (absent in older reports). */
  cuts?: ChaosCounts;
}

export interface ChaosCut {
  serial: number;
  action: ChaosAction;
  /** Sequence number of the next packet that would have been sent. */
  seq: number;
  inFlight: number;
  /** Frame bytes (headers and payloads) of the packets in flight at the cut (always set by the fleet; absent in older reports). */
  bytesInFlight?: number;
  atMs: number;
}

export interface FleetResult {
  ticks: FleetTick[];
  /**
   * late: echoes that came after echoTimeout, already counted ok (or reordered) in `integrity`:
   * how often the server was slower than the timeout, not an error (the fleet always sets it).
   */
  /** probes: valid server probe packets received (codec.ts), not echoes and not an integrity class (the fleet always sets it). */
  /**
   * delivered: protocol traffic (--protocol), correct messages another connection's request caused
   * (a chat relay), not an integrity class: no request of the receiver awaits them (the fleet always sets it).
   */
  totals: { sent: number; echoed: number; bytesSent: number; bytesEchoed: number; behindSchedule: number; late?: number; probes?: number; delivered?: number };
  connections: { target: number; opened: number; peak: number; reconnects: number; connectErrors: number };
  integrity: IntegrityCounts;
  chaos: ChaosCounts;
  /** The first cuts, in order, for replay checks (bounded list). */
  cuts: ChaosCut[];
  /** Client errors by code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...). */
  errors: Record<string, number>;
  /**
   * Base64 HDR histograms, merged over workers; values in microseconds. lag: the workers' event-loop
   * lag, sampled by their housekeeping timer (how late it ran), not a latency.
   */
  histograms: { corrected: string; uncorrected: string; connect: string; lag: string };
  client: { maxLagMs: number; meanCpuPercent: number; workers: number };
}
