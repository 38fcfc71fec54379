/**
 * The contract between the native addon and everything written in TypeScript.
 * Names follow docs/server.md and docs/stats.md; the addon (addon/src/binding) must return exactly
 * these shapes, and the standalone `lanserver` prints the same stats object.
 */

/** The backends a server can be told to use by name, in the order `--backend all` runs them. */
export const NAMED_BACKENDS = ['epoll', 'io_uring', 'iocp'] as const;
export type NamedBackend = (typeof NAMED_BACKENDS)[number];
/** auto: the best backend this kernel offers (ListenInfo says which). */
export const BACKENDS = ['auto', ...NAMED_BACKENDS] as const;
export type Backend = (typeof BACKENDS)[number];

export const SERVER_MODES = ['echo', 'broadcast', 'js'] as const;
export type ServerMode = (typeof SERVER_MODES)[number];

/** Why a session was released, in the order the addon's stats list them. */
export const DISCONNECT_REASONS = ['peerClosed', 'peerReset', 'protocol', 'sendQueueFull', 'kicked', 'stopping', 'ioError'] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

/**
 * Every server anomaly counter: each must stay 0 on a correct server (the always-on gate checks each one).
 * - doubleRelease, ioCountUnderflow, releaseWithPendingIo: the session life cycle broke its own rules.
 * - staleIdAccepted: a probe's sendPacket/disconnect on a released id returned true (a stale id reached a live session).
 * - strandedSend: a live session kept packets queued with no send in flight for over a second (periodic sweep).
 * - releaseStalled: a session marked for disconnect (and shut down) was still not released 3 s later.
 * - dirtySlot: a reused slot was not clean (socket, queued packets or bytes, sendFlag left by release).
 */
export const ANOMALIES = [
  'doubleRelease', 'ioCountUnderflow', 'releaseWithPendingIo', 'staleIdAccepted', 'strandedSend', 'releaseStalled', 'dirtySlot',
] as const;
export type Anomaly = (typeof ANOMALIES)[number];

export interface ServerOptions {
  host: string;
  /** 0 asks the kernel for a free port; the bound port is returned by start(). */
  port: number;
  workers: number;
  maxSessions: number;
  maxPayload: number;
  sendQueueLimit: number;
  backlog: number;
  backend: Backend;
  mode: ServerMode;
  /** How packets are framed: a spelling of dummy-client/framing.ts (lan, servercore, raw, len:4:be, ...). */
  framing: string;
  /** CIDRs; when non-empty only these peers pass onConnectionRequest. */
  allow: string[];
  /** CIDRs refused by onConnectionRequest (checked before allow). */
  deny: string[];
  /** broadcast mode: sessions per room (0 = one room holding every session). */
  room: number;
  /** Server-side chaos: probability per received packet / accept that the server kicks that session. */
  kick: number;
  /** Added delay in microseconds before each echo (to make a deliberately slower build). */
  echoDelayUs: number;
  /** Seed for server-side chaos. */
  seed: number;
  /** SO_SNDBUF of every accepted socket in bytes (0 = the kernel default); small makes sends short and asynchronous. */
  sendBuffer: number;
  /** SO_SNDBUF = 0 on every accepted socket (the seeds' setting): no send completes inline. */
  zeroSendBuffer: boolean;
  /**
   * Runs the server's probe thread: sendPacket/disconnect on just-released ids (each must fail) and, in echo
   * mode, bursts of probe packets to live sessions (serial 0xFFFFFFFF, see addon/src/core/prober.h).
   */
  probes: boolean;
  /**
   * io_uring only: 4 KiB provided buffers per worker's ring for the multishot recv (0 or a power of two from 8
   * to 32768; 0 = a plain recv per read, as on a kernel without multishot recv).
   */
  uringBuffers: number;
}

/**
 * The plain counters of ServerStats, written once: the type, the report schema and the metric registry
 * derive from this list (the C++ side prints the same names, addon/src/core/stats.cpp).
 * - accepted, released: sessions accepted and released since start; sessions: live now; peakSessions: most at once.
 * - recvPackets/recvBytes, sendPackets/sendBytes: what the server received and sent.
 * - staleIdCalls: sendPacket/disconnect on an id already released (the probe thread's too).
 * - pendingIoSessions: live sessions whose ioCount is above zero (posted I/O not yet completed).
 * - disconnectingSessions: marked for disconnect but not yet released: zombies when this stays > 0 at a quiet moment.
 * - freeSlots: session slots free for an accept.
 */
export const SERVER_COUNTERS = [
  'accepted', 'released', 'sessions', 'peakSessions', 'recvPackets', 'recvBytes', 'sendPackets', 'sendBytes',
  'staleIdCalls', 'pendingIoSessions', 'disconnectingSessions', 'freeSlots',
] as const;
export type ServerCounter = (typeof SERVER_COUNTERS)[number];

/**
 * Counters newer than the first servers, absent from their stats (and from reports of them):
 * - probeCalls: calls made by the probe thread (--probes); its stale-id calls also count in staleIdCalls.
 * - strandedSessions: live sessions with packets queued and no send in flight: must be 0 at a quiet moment.
 * - livePackets: packets allocated and not yet freed: must be 0 once no session is left (else they leaked).
 * - handlerWaits: times a worker stopped receiving until a slow JavaScript onRecv handler caught up (js mode's
 *   backpressure, docs/stats.md); 0 with a handler that keeps up, and always 0 in echo and broadcast mode.
 */
export const NEWER_SERVER_COUNTERS = ['probeCalls', 'strandedSessions', 'livePackets', 'handlerWaits'] as const;
export type NewerServerCounter = (typeof NEWER_SERVER_COUNTERS)[number];

/** Why an accepted connection was refused: the server was full, or an allow/deny rule said no. */
export const REJECT_REASONS = ['full', 'denied'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface ServerStats extends Record<ServerCounter, number>, Partial<Record<NewerServerCounter, number>> {
  /** Every current server prints it (readers of live stats rely on that); only reports of older servers lack it. */
  probeCalls: number;
  rejected: Record<RejectReason, number>;
  disconnects: Record<DisconnectReason, number>;
  /** Each must stay 0 on a correct server (ANOMALIES). */
  anomalies: Record<Anomaly, number>;
  /**
   * Zombies by name: sessions marked for disconnect whose ioCount is still above 0 (an I/O that
   * never completed keeps them from release). At most 16, lowest slot first; transient mid-run,
   * a bug when still there at a quiet moment. Absent from servers that predate it.
   */
  zombies?: Zombie[];
}

export interface Zombie {
  /** The 64-bit session id in decimal (a JSON number would lose bits). */
  id: string;
  ioCount: number;
  disconnecting: boolean;
  sendFlag: boolean;
  reason: DisconnectReason | null;
}

export interface ListenInfo {
  host: string;
  port: number;
  /** The backend actually chosen (auto resolved). */
  backend: Exclude<Backend, 'auto'>;
}

/** Handlers a TypeScript caller may give the native server. Events arrive in batches on the JS thread. */
export interface NativeHandlers {
  onAccept?: (id: bigint, ip: string, port: number) => void;
  onRelease?: (id: bigint, reason: DisconnectReason) => void;
  /** js mode only: a complete packet payload (the 2-byte header removed). */
  onRecv?: (id: bigint, payload: Buffer) => void;
  onError?: (code: string, message: string) => void;
}

/** The class exported by the compiled addon (build/Release/lanserver.node). */
export interface NativeLanServer {
  /** Throws TypeError on bad argument types, Error with string `code` on native failure (EADDRINUSE, ...). */
  start(options: ServerOptions): ListenInfo;
  /** Stops accepting, disconnects every session, waits for every release, joins threads. Idempotent. */
  stop(): void;
  sendPacket(id: bigint, payload: Uint8Array): boolean;
  disconnect(id: bigint): boolean;
  readonly sessionCount: number;
  stats(): ServerStats;
}

export interface NativeAddon {
  LanServer: new (handlers?: NativeHandlers) => NativeLanServer;
  /** Backends compiled in and usable on this kernel, best first. */
  availableBackends(): Array<Exclude<Backend, 'auto'>>;
  /** Build description: { buildType: 'Release' | 'Debug', flags: string }. */
  buildInfo(): { buildType: string; flags: string };
  /** The fleet's socket engine (addon/src/binding/fleet_binding.cpp); absent where it is not built (Windows). */
  FleetEngine?: new (batch: Uint8Array, records: Int32Array, onEvents: (count: number) => void) => NativeFleetEngine;
}

/** One thread's fleet engine: connection ids are small integers, reused once their Closed record (or destroy) is past. */
export interface NativeFleetEngine {
  /** A non-blocking connect to an IP literal; returns the connection id (a failure comes as a Closed record). */
  connect(ip: string, port: number, localIp?: string): number;
  /** Sends now, queues the rest; returns the bytes still queued, or -1 when the connection is gone. */
  write(id: number, bytes: Uint8Array): number;
  /** FIN after the queued bytes; reading goes on. */
  end(id: number): void;
  pause(id: number): void;
  resume(id: number): void;
  /** Closed at once (abortive: an RST); no record follows. */
  destroy(id: number, abortive: boolean): void;
  /** Closes every socket and stops watching the loop. */
  close(): void;
}

/** Sessions nobody released: must be 0 at any quiet moment. */
export function leaked(stats: ServerStats): number {
  return stats.accepted - stats.released - stats.sessions;
}

/**
 * Lines printed by `stress server --stats-json` and by the standalone `lanserver`
 * (one JSON object per line on stdout). `stress run` parses these from its child.
 * Only the standalone says `build` (release | asan | tsan) and `faults` (fault switches compiled in).
 */
export type ServerLine =
  | ({ event: 'listening'; pid: number; mode: ServerMode; workers: number; build?: string; faults?: string[] } & ListenInfo)
  | ({ event: 'stats'; t: number } & ServerStats)
  | ({ event: 'final'; t: number } & ServerStats);
