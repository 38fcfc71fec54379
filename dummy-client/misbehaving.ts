/**
 * Traffic that misbehaves on purpose, apart from the echo path of connection.ts: badInput (one kind
 * of garbage, then silence), slowReader (never read, flood), and the two shapes of chaos traffic
 * that are more than a write's content: split writes (a write in pieces, so the server sees partial
 * frames) and stalls (stop reading while still sending). What each does is drawn from the seed
 * (chaos-traffic.ts plans stalls and splits); this module performs it on a socket.
 */
import type { FleetConfig } from './types';
import type { FleetSocket } from './transport';
import { Prng, mix32 } from './codec';
import { LAN_FRAMING, headerBytes, wireBytes, writeFrameHeader, type Framing } from './framing';
import type { StallPlan } from './chaos-traffic';

/** Bytes of ready-made frames a slow reader writes at a time. */
const FLOOD_CHUNK_BYTES = 64 * 1024;
/** Chunks a slow reader writes before it yields to the event loop. */
const SLOW_READER_TURN = 4;
/** A stalled connection (chaos traffic) writes this many packets at a time, this many times per turn. */
const STALL_BATCH = 64;
const STALL_TURN = 4;
/** The client event every detectable bad input is also counted under, what bad-input's protocol gate needs to have happened (scenarios/bad-input.ts). */
export const BAD_INPUT_DETECTABLE = 'badInput.detectable';
/** The client event a slow reader's flood is counted under when it begins, what slow-reader's gates need to have happened. */
export const SLOW_READER_STARTED = 'slowReader.started';
/** The client event a long stall's start is counted under (report: clientErrors.stall.long). */
export const STALL_LONG_STARTED = 'stall.long';
/**
 * A detectable bad input (oversize or garbage header) still unanswered this long after it was
 * written, when the fleet stops, means the server ignored it.
 */
export const BAD_INPUT_GRACE_MS = 1000;

/** Whether connection `serial` misbehaves (badInput / slowReader traffic): drawn from (seed, serial) alone. */
export function isOffender(config: FleetConfig, serial: number): boolean {
  if (config.traffic !== 'badInput' && config.traffic !== 'slowReader') return false;
  const fraction = config.offenderFraction ?? 1;
  if (fraction >= 1) return true;
  return mix32((config.seed ^ mix32(serial ^ 0x0bad1)) >>> 0) / 2 ** 32 < fraction;
}

export type BadInputKind = 'oversize' | 'halfHeader' | 'garbage';

/**
 * badInput traffic: writes one kind of garbage (drawn from the connection's rng). Returns the kind;
 * all but a half header are detectable: the server must disconnect the session. The garbage is lan
 * garbage: runs refuse bad-input traffic with any other framing (stress/run/options.ts).
 */
export function writeBadInput(s: FleetSocket, rng: Prng): BadInputKind {
  const draw = rng.int(0, 2);
  let buf: Buffer;
  if (draw === 0) {
    // A header announcing more than any maxPayload below 65535 allows, then some bytes.
    buf = Buffer.alloc(headerBytes(LAN_FRAMING) + 64, 0xa5);
    buf.writeUInt16LE(0xffff, 0);
  } else if (draw === 1) {
    buf = Buffer.from([0x10]);
  } else {
    buf = Buffer.allocUnsafe(128);
    for (let i = 0; i < buf.length; i++) buf[i] = rng.int(0, 255);
    // Random bytes, but a length no default server accepts (>= 32768 > the default maxPayload 8192), so it is detectable.
    buf[1] = buf[1]! | 0x80;
  }
  s.write(buf);
  return draw === 0 ? 'oversize' : draw === 1 ? 'halfHeader' : 'garbage';
}

/** One flood chunk per payload size, per thread (a run has one framing): slow readers write the same bytes over and over. */
const floodChunks = new Map<number, { buf: Buffer; packets: number }>();

function floodChunk(framing: Framing, payload: number): { buf: Buffer; packets: number } {
  let c = floodChunks.get(payload);
  if (c === undefined) {
    const frame = wireBytes(framing, payload);
    const packets = Math.max(1, Math.floor(FLOOD_CHUNK_BYTES / frame));
    const buf = Buffer.alloc(packets * frame, 0x5f);
    if (framing.kind !== 'raw') for (let i = 0; i < packets; i++) writeFrameHeader(framing, buf, i * frame, payload, 0);
    c = { buf, packets };
    floodChunks.set(payload, c);
  }
  return c;
}

/**
 * slowReader traffic: stop reading at once and flood valid frames while the kernel takes them.
 * The echoes pile up in the server's send queue until sendQueueLimit disconnects the session
 * (sendQueueFull). Nothing is read back, so nothing is checked: the frames are one ready-made
 * chunk written again and again (cheap enough to fill the kernel buffers, several MiB, in a
 * moment), and every one is abandoned. Client memory stays bounded: it writes only while its
 * socket does not need a drain.
 */
export class SlowReaderFlood {
  /** Packets flooded (never read back, so all abandoned at the end). */
  flooded = 0;

  constructor(
    private readonly socket: FleetSocket,
    private readonly framing: Framing,
    private readonly payload: number,
    private readonly counters: { sent: number; bytesSent: number },
    private readonly canSend: () => boolean,
  ) {}

  start(): void {
    this.socket.pause();
    this.socket.on('drain', this.flood);
    this.flood();
  }

  private readonly flood = (): void => {
    const s = this.socket;
    if (!this.canSend()) return;
    const chunk = floodChunk(this.framing, this.payload);
    // A bounded turn, so one fast kernel cannot keep the worker from its other connections.
    for (let i = 0; i < SLOW_READER_TURN; i++) {
      if (s.writableNeedDrain || s.destroyed) return;
      s.write(chunk.buf);
      this.flooded += chunk.packets;
      this.counters.sent += chunk.packets;
      this.counters.bytesSent += chunk.buf.length;
    }
    setImmediate(this.flood);
  };
}

/**
 * chaos traffic: one write sent in pieces, the first now, each next one after a pause (the server
 * sees partial frames). Nothing else is written on the connection meanwhile.
 */
export class SplitWrite {
  private piece = 1;
  private cancel: (() => void) | null = null;

  /** onEnd(completed): the last piece is written (true) or the socket went away first (false). */
  constructor(
    private readonly socket: FleetSocket,
    private readonly buf: Buffer,
    private readonly cuts: number[],
    private readonly pauseMs: number,
    private readonly onEnd: (completed: boolean) => void,
  ) {
    socket.write(buf.subarray(0, cuts[0]));
    this.scheduleNextPiece();
  }

  private scheduleNextPiece(): void {
    const run = (): void => {
      this.cancel = null;
      this.writeNextPiece();
    };
    if (this.pauseMs === 0) {
      const t = setImmediate(run);
      this.cancel = () => clearImmediate(t);
    } else {
      const t = setTimeout(run, this.pauseMs);
      this.cancel = () => clearTimeout(t);
    }
  }

  private writeNextPiece(): void {
    const s = this.socket;
    if (s.destroyed) {
      this.onEnd(false);
      return;
    }
    const from = this.cuts[this.piece - 1]!;
    const last = this.piece === this.cuts.length;
    s.write(this.buf.subarray(from, last ? this.buf.length : this.cuts[this.piece]!));
    this.piece++;
    if (last) this.onEnd(true);
    else this.scheduleNextPiece();
  }

  /** Writes the rest at once (before anything else is written or the socket ends); onEnd is not called. */
  flush(): void {
    this.cancel?.();
    const s = this.socket;
    if (!s.destroyed) s.write(this.buf.subarray(this.cuts[this.piece - 1]!));
  }
}

/** What a stall needs from its connection. */
export interface StallHost {
  /** The connection is open and may still send. */
  canSend(): boolean;
  /** Writes n checked echo packets in one plain write, each of `payload` bytes (null: drawn); returns the bytes written. */
  writeEchoes(n: number, payload: number | null): number;
  /** Tallies an expected event (not an error). */
  tally(key: string): void;
  /** Asks for a pump once the connection reads again. */
  requestPump(): void;
}

/**
 * chaos traffic: a connection that stops reading and keeps sending checked echoes while the kernel
 * takes them (bounded: no write while the socket needs a drain, at most the plan's maxBytes). The
 * server's send queue fills; it may cut this connection (sendQueueFull), which is then expected.
 * Phases: none -> stalled (not reading, still sending) -> done.
 */
export class Stall {
  phase: 'none' | 'stalled' | 'done' = 'none';
  /** Echo timeouts wait until then: a stall's echoes come back late by design. */
  quietUntilNs = 0;
  private endNs = 0;
  private bytes = 0;
  private socket: FleetSocket | null = null;

  constructor(
    private readonly plan: StallPlan,
    private readonly host: StallHost,
  ) {}

  /** Whether the stall should begin at this age of the connection. */
  due(lifeMs: number): boolean {
    return this.phase === 'none' && lifeMs >= this.plan.atLifeMs;
  }

  /** Whether a stall under way has run its planned time. */
  over(nowNs: number): boolean {
    return this.phase === 'stalled' && nowNs >= this.endNs;
  }

  start(s: FleetSocket, nowNs: number): void {
    this.socket = s;
    this.phase = 'stalled';
    this.endNs = nowNs + this.plan.durationMs * 1e6;
    this.host.tally('stall.started');
    // What the chaos gate on sendQueueFull needs to have happened before it can judge (scenarios/chaos.ts).
    if (this.plan.kind === 'long') this.host.tally(STALL_LONG_STARTED);
    s.pause();
    s.on('drain', this.flood);
    this.flood();
  }

  private readonly flood = (): void => {
    const s = this.socket;
    if (s === null || this.phase !== 'stalled' || !this.host.canSend()) return;
    for (let i = 0; i < STALL_TURN; i++) {
      if (s.writableNeedDrain || s.destroyed || this.bytes >= this.plan.maxBytes) return;
      this.bytes += this.host.writeEchoes(STALL_BATCH, this.plan.payload);
    }
    setImmediate(this.flood);
  };

  /** Reads again (on a socket still there): every echo of the stall must still check out. */
  end(s: FleetSocket | null, nowNs: number, echoTimeoutMs: number): void {
    this.phase = 'done';
    this.quietUntilNs = nowNs + echoTimeoutMs * 1e6;
    if (s === null) return;
    s.off('drain', this.flood);
    s.resume();
    this.host.requestPump();
  }
}
