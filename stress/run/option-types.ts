/**
 * The resolved options of a run: what the flags (stress/run/options.ts) produce and what scenarios
 * (scenarios/) set as defaults, adjust and gate on. A leaf module of types, so scenarios/ and
 * stress/run/ both read it without scenarios/ depending on the flag parsing that imports them.
 */
import type { Backend, ServerMode } from '../../server/types';
import type { ChaosAction, FleetIoChoice, TrafficKind } from '../../dummy-client/types';
import type { Framing } from '../../dummy-client/framing';
import type { Shard } from './shard';
import type { FleetStage } from '../../dummy-client/stages';
import type { MixEntry } from '../../dummy-client/payload-mix';

export type Target = { kind: 'embedded' } | { kind: 'external'; host: string; port: number };

/**
 * What --backend asks for: one backend ('auto' lets the server pick), 'all' (every backend this
 * kernel offers) or a list; more than one means one whole run per backend, one after the other.
 */
export type BackendRequest = Backend | 'all' | Array<Exclude<Backend, 'auto'>>;

export interface RunOptions {
  clients: number;
  durationSec: number;
  rampUpSec: number;
  /** The first seconds of the load left out of the statistics (latency histograms, throughput counts). */
  warmUpSec: number;
  connectRate: number;
  payload: { min: number; max: number };
  /** At most one of pipeline / rate / totalRate is set; none only when rated stages set the rate. */
  pipeline: number | null;
  rate: number | null;
  /** Echo traffic: payload sizes by weight (dummy-client/payload-mix.ts); empty = uniform over payload. Non-empty sets payload to its envelope. */
  mix: MixEntry[];
  /** Closed loop: ms between an echo coming back and the next packet. */
  thinkTimeMs: number;
  /** Open loop: packets per second across the fleet, split over the live connections. */
  totalRate: number | null;
  /** Load over time (stress/run/stages-option.ts); empty = every client for the whole run. Non-empty sets clients and durationSec. */
  stages: FleetStage[];
  chaos: number;
  chaosActions: ChaosAction[];
  seed: number;
  target: Target;
  /** The embedded server's listen address (127.0.0.0/8 or ::1); the fleet connects where it listens. */
  host: string;
  backend: BackendRequest;
  mode: ServerMode;
  /** How packets are framed on the wire, for the fleet and the embedded server (dummy-client/framing.ts). */
  framing: Framing;
  serverWorkers: number;
  maxPayload: number;
  maxSessions: number;
  serverKick: number;
  /** broadcast mode: sessions per room (0 = one room holding every session). */
  room: number;
  /** Microseconds the embedded server waits before each echo: a deliberately slower build, for compare. */
  serverEchoDelayUs: number;
  /** A native standalone `lanserver` (sanitizer or fault build) as the embedded server, or null for `stress server`. */
  serverBin: string | null;
  /** A command line that runs a standalone lanserver through a launcher (`wine .../lanserver.exe`), or null. */
  serverCmd: string | null;
  /** Embedded server: SO_SNDBUF of each accepted socket (0 = kernel default; small forces short, asynchronous sends). */
  serverSendBuffer: number;
  /** Embedded server: SO_SNDBUF = 0 on each accepted socket (the seeds' setting). */
  serverZeroSendBuffer: boolean;
  /** Embedded server: run its probe thread (stale-id calls, probe packets to live echo sessions). */
  serverProbes: boolean;
  workers: number;
  traffic: TrafficKind;
  /** A protocol module (dummy-client/protocol.ts) that speaks for every connection instead of `traffic`, as given; null = lan framing. */
  protocol: string | null;
  /** Churn: close and reconnect each connection after this many ms (0 = keep alive). */
  lifetimeMs: number;
  /** Loopback source addresses to spread connections over (empty = the kernel's choice). */
  sourceIps: string[];
  /** Embedded server: bytes queued per session before a slow reader is disconnected (sendQueueFull). */
  sendQueueLimit: number;
  /** The embedded server's io_uring provided buffers per ring (0 = plain recv). */
  uringBuffers: number;
  /** badInput / slowReader traffic: share of connections that misbehave (the rest send echoes). */
  offenderFraction: number;
  /** Set by a scenario that overfills the server (max-sessions): connections closed before any byte are refusals, not errors. */
  expectRefused: boolean;
  out: string;
  gate: boolean;
  thresholds: string[];
  /** Stop the run as soon as a threshold is lost for good (stress/thresholds/live.ts). */
  abortOnFail: boolean;
  /** CI outputs (stress/ci-output): JUnit XML and a Markdown summary, or null. */
  junit: string | null;
  markdown: string | null;
  json: boolean;
  /** The full summary tables instead of the compact summary. */
  verbose: boolean;
  echoTimeoutMs: number;
  drainTimeoutMs: number;
  connectTimeoutMs: number;
  /** The fleet's sockets: Node's net, the addon's native engine, or auto until runScenario resolves it. */
  io: FleetIoChoice;
  /** This process is part `index` of `count` (--shard): its share of --clients and --connect-rate; null = the whole fleet. */
  shard: Shard | null;
  /** Epoch ms at which the load starts (--start-at), so every part of a sharded fleet starts together; null = at once. */
  startAtMs: number | null;
  /** Serve live counters in Prometheus text format on this port while the run goes (--metrics-port); null = off. */
  metricsPort: number | null;
}

/**
 * The flags given on the command line, raw (RawRunArgs of stress/run/options.ts). A scenario only
 * asks whether a flag was given, by the id it shares with its RunOptions field.
 */
export type GivenFlags = { readonly [K in keyof RunOptions]?: unknown };
