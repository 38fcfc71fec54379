/**
 * One client connection: a socket (transport.ts: Node's net, or the native engine with --io native)
 * speaking the run's framing (framing.ts), its send model (closed or open loop) and its checker. The chaos actions that cut it on purpose live in chaos-actions.ts, the
 * traffic that misbehaves on purpose (bad input, slow reader, split writes, stalls) in
 * misbehaving.ts. The pool (pool.ts) owns the connections of one worker, paces connects, drives
 * timers and decides reconnects.
 *
 * Send models:
 *  - closed loop: keep `pipeline` packets in flight; refill after each read, in one write.
 *  - open loop: packets are due at evenly spaced intended times (rate R/s); latency is taken from
 *    the intended time (coordinated-omission corrected) and from the actual send time beside it.
 *    At most openLoopInFlight(rate) are in flight (one, as wrk2 per connection, unless the rate
 *    asks for more than one packet a millisecond), so a stalled server
 *    makes sends fall behind schedule instead of piling up: the corrected figure shows the stall,
 *    the uncorrected one hides it, and `behindSchedule` counts the late sends.
 *
 * chaos traffic (chaos-traffic.ts) shapes the echo writes (sizes, bursts, split writes) and makes a
 * few connections stop reading for a while (a stall) while they keep sending.
 *
 * Frames longer than anything this fleet sends (or a probe) are junk: corrupted at once, and the
 * connection is cut (its other packets abandoned) instead of waiting for bytes that never come.
 *
 * Length-prefixed framings put the low bits of each packet's sequence in the extra header bytes
 * (frameTag) and check them on the echo. A raw stream (framing raw) sends the payloads back to
 * back and checks the returned bytes by position (raw-stream.ts).
 */
import type { ChaosAction, FleetConfig, IntegrityCounts } from './types';
import {
  BROADCAST_HEADER_BYTES,
  ECHO_HEADER_BYTES,
  PROBE_MAX_PAYLOAD,
  Prng,
  mix32,
  writeBroadcastPayload,
  writeEchoPayload,
  writeSmallEchoPayload,
} from './codec';
import { FrameDecoder, frameTag, headerBytes, readFrameTag, wireBytes, writeFrameHeader, type Framing, type LengthPrefixed } from './framing';
import { BroadcastChecker, EchoChecker, Verdict } from './integrity';
import { RawStreamVerifier } from './raw-stream';
import { planChaosWrite, planStall } from './chaos-traffic';
import { drawPayloadLen } from './payload-mix';
import { performChaosAction, planChaos, type ChaosPlan } from './chaos-actions';
import { ConnectionLife } from './connection-life';
import { BAD_INPUT_DETECTABLE, SLOW_READER_STARTED, SlowReaderFlood, SplitWrite, Stall, isOffender, writeBadInput, type StallHost } from './misbehaving';
import { connectNet, type FleetSocket, type SocketHandlers } from './transport';
import { connectNative } from './native-socket';

/** Open-loop in-flight cap: one millisecond's worth of packets, at least one. */
export function openLoopInFlight(ratePerSec: number): number {
  return Math.max(1, Math.ceil(ratePerSec / 1000));
}
/** Open loop at a rate of 0 (a stage ramping from nothing): one packet an hour, a pause that keeps the schedule's arithmetic finite. */
export const PAUSED_PERIOD_NS = 3600e9;
/** Broadcast traffic has no echo to wait for: a closed-loop config sends at this rate per connection. */
export const BROADCAST_DEFAULT_RATE = 10;
/** Most packets written in one batch (bounds the staging allocation). */
const MAX_BATCH = 256;
/** Sizes of the batch being written: one per thread, since a batch is built and written synchronously. */
const lensScratch = new Uint32Array(MAX_BATCH);
/**
 * Native sockets copy whatever the kernel does not take before write() returns, so a write that
 * nothing keeps (all but a split write's pieces) is built in this one buffer instead of a new one.
 */
const writeScratch = Buffer.allocUnsafe(64 * 1024);

/** The longest payload any frame this fleet receives may carry: what it sends (echoed) or a probe. */
export function largestPayloadReceived(config: FleetConfig): number {
  const sent = config.traffic === 'chaos' ? Math.max(config.serverMaxPayload, config.payload.max) : config.payload.max;
  return Math.max(sent, PROBE_MAX_PAYLOAD);
}

export interface PoolCounters {
  sent: number;
  echoed: number;
  bytesSent: number;
  bytesEchoed: number;
  behindSchedule: number;
  /** Echoes that came after echoTimeout (classified ok or reordered all the same): not an error. */
  late: number;
  /** Valid server probe packets received (not echoes). */
  probes: number;
  errors: number;
  opened: number;
  reconnects: number;
  connectErrors: number;
}

/** What a connection needs from its owner (the pool). */
export interface ConnectionHost {
  readonly config: FleetConfig;
  readonly counters: PoolCounters;
  readonly integrity: IntegrityCounts;
  readonly chaosCounts: Record<ChaosAction, number>;
  nowNs(): number;
  recordLatency(correctedNs: number, uncorrectedNs: number): void;
  recordConnect(ns: number): void;
  recordCut(c: Connection, action: ChaosAction): void;
  countError(code: string): void;
  /** Tallies an expected event by key beside the error codes (not an error). */
  tally(key: string): void;
  /** Asks for pump() once dueNs has come (open loop and broadcast only). */
  arm(c: Connection, dueNs: number): void;
  /** Lets the owner run its timed work from this I/O callback (timers may be starved under load). */
  service(nowNs: number): void;
  /** Asks for pump() once this poll phase's reads are done (see ConnectionPool.requestPump). */
  requestPump(c: Connection): void;
  /** The socket closed (for any reason); the connection's checker is already finished. */
  closed(c: Connection, connected: boolean, errorCode: string | null): void;
}

export type ConnState = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * Why a connection ended on purpose: a chaos action, churn, misbehaving traffic, the server's
 * expected cut/refusal, a server cut during or after a stall (chaos traffic), or a junk frame
 * (the fleet cut it: the junk is counted corrupted, the rest in flight abandoned).
 */
export type CutReason = ChaosAction | 'lifetime' | 'scaleDown' | 'badInput' | 'slowReader' | 'server' | 'refused' | 'stall' | 'junk';

export class Connection extends ConnectionLife<FleetSocket, ConnectionHost> implements SocketHandlers {
  /** This connection misbehaves on purpose (badInput / slowReader traffic). */
  readonly offender: boolean;
  /** badInput: when a header the server must reject (oversize or garbage) was written, ns; -1 if none. */
  detectableBadInputAtNs = -1;
  readonly checker: EchoChecker;
  readonly plan: ChaosPlan;
  openedAtNs = 0;
  /** The scheduler tick (ms) this connection is armed for, or -1, and the due time: owned by the pool's timing wheel. */
  armedTick = -1;
  armedDueNs = 0;
  /** In the pool's deferred-pump queue: owned by the pool. */
  pumpQueued = false;

  /** The socket is the native engine's (copies on write), not net's (keeps the Buffer). */
  private native = false;
  private readonly framing: Framing;
  /** Length-prefixed framings: the frame decoder; raw: null. */
  private readonly decoder: FrameDecoder | null;
  /** Raw streams: the positional check; length-prefixed: null. */
  private readonly rawStream: RawStreamVerifier | null;
  private readonly rng: Prng;
  private readonly broadcast: BroadcastChecker | null;
  /** Open loop: changed by setRate (stages, a total rate). */
  private periodNs: number;
  private inFlightCap: number;
  /**
   * Open-loop echo traffic cuts on the send schedule, not the wall clock: the cut replaces the
   * first packet intended at or after the planned life, so a replay with the same seed cuts the
   * same connection at the same sequence number however the threads were scheduled.
   */
  private readonly cutOnSchedule: boolean;
  private nextDueNs = 0;
  /** Closed loop with a think time: when the current think ends, or -1 when none is under way. */
  private thinkUntilNs = -1;
  private nowCache = 0;
  /** Bytes ever received: a connection the server closes before any is a refusal (maxSessions). */
  private received = 0;
  /** slowReader traffic, once flooding. */
  private slowReader: SlowReaderFlood | null = null;
  /** chaos traffic: a write under way in pieces, or null; nothing else is written meanwhile. */
  private split: SplitWrite | null = null;
  /** chaos traffic: this connection's stall, if it is planned one. A server cut once stalled is expected. */
  private readonly stall: Stall | null;

  constructor(
    host: ConnectionHost,
    readonly slot: number,
    readonly serial: number,
    private readonly localAddress: string | undefined,
  ) {
    super(host);
    const cfg = host.config;
    this.rng = new Prng(mix32((cfg.seed ^ mix32(serial)) >>> 0));
    this.framing = cfg.framing;
    this.checker = new EchoChecker(serial, cfg.seed, host.integrity, cfg.sendModel.kind === 'closed' ? cfg.sendModel.pipeline : 8, cfg.framing);
    this.broadcast = cfg.traffic === 'broadcast' ? new BroadcastChecker(host.integrity, cfg.framing) : null;
    this.decoder = cfg.framing.kind === 'raw' ? null : new FrameDecoder(cfg.framing, 256, largestPayloadReceived(cfg), this.onJunk);
    this.rawStream = cfg.framing.kind === 'raw' ? new RawStreamVerifier(this.checker, serial, cfg.seed, this.onVerdict) : null;
    this.offender = isOffender(cfg, serial);
    const stallPlan = planStall(cfg, serial);
    this.stall = stallPlan === null ? null : new Stall(stallPlan, this.stallHost());
    this.plan = planChaos(cfg, serial);
    // Offenders already misbehave on purpose; chaos is for the well-behaved.
    if (this.offender) {
      this.plan.action = null;
      this.plan.atLifeMs = Infinity;
    }
    const rate = cfg.sendModel.kind === 'open' ? cfg.sendModel.rate : cfg.traffic === 'broadcast' ? BROADCAST_DEFAULT_RATE : 0;
    this.periodNs = rate > 0 ? 1e9 / rate : 0;
    this.inFlightCap = openLoopInFlight(rate);
    this.cutOnSchedule = cfg.sendModel.kind === 'open' && this.broadcast === null;
  }

  /** What this connection's stall may do to it. */
  private stallHost(): StallHost {
    return {
      canSend: () => this.canSend(),
      writeEchoes: (n, payload) => this.writeEcho(n, this.host.nowNs(), false, true, payload),
      tally: (key) => this.host.tally(key),
      requestPump: () => this.host.requestPump(this),
    };
  }

  /** Open, with a socket, and allowed to send (not cut, not stopping). */
  private canSend(): boolean {
    return this.socket !== null && this.sending && this.state === 'open';
  }

  private get stalled(): boolean {
    return this.stall !== null && this.stall.phase === 'stalled';
  }

  /** Packets in flight that still count (an echo is awaited, overdue ones included). */
  get inFlight(): number {
    return this.finished ? 0 : this.checker.inFlight + this.checker.overdueAwaited;
  }

  connect(): void {
    const cfg = this.host.config;
    this.connectStartNs = this.host.nowNs();
    const target = { host: cfg.host, port: cfg.port, localAddress: this.localAddress };
    // Offenders write garbage or flood unread through net: what they test is the server, not the fleet's cost.
    this.native = cfg.io === 'native' && !this.offender;
    this.socket = this.native ? connectNative(target, this) : connectNet(target, this);
  }

  onConnect(): void {
    const now = this.host.nowNs();
    this.state = 'open';
    this.openedAtNs = now;
    this.host.recordConnect(now - this.connectStartNs);
    const cfg = this.host.config;
    if (this.offender) {
      if (cfg.traffic === 'badInput') this.sendBadInput();
      else this.startSlowReader();
      return;
    }
    if (this.plan.atLifeMs === 0) {
      this.cut('closeAfterConnect');
      return;
    }
    // Spread open-loop connections over one period so they do not all fire on the same tick.
    this.nextDueNs = now + this.rng.next() * this.periodNs;
    this.pump(now);
  }

  onData(buf: Buffer, start: number, end: number): void {
    if (this.finished || this.socket === null) return;
    this.nowCache = this.host.nowNs();
    const n = end - start;
    const c = this.host.counters;
    c.bytesEchoed += n;
    this.received += n;
    if (this.decoder !== null) this.decoder.push(buf, this.onFrame, end, start);
    else this.rawStream!.push(buf, start, end, this.nowCache);
    if (this.sending && this.state === 'open' && !this.armIfNotDue(this.nowCache)) this.host.requestPump(this);
    this.host.service(this.nowCache);
  }

  /**
   * Open-loop echo traffic whose next packet is not due yet: all pump() would do after this read
   * is arm the wheel for it, so it is armed here and the deferred pump (a queue entry and a call
   * per echo) is spared. True when handled; false when pump() has to decide (something is due, a
   * split write or stall is under way, or another send model).
   */
  private armIfNotDue(nowNs: number): boolean {
    if (!this.cutOnSchedule || this.split !== null || this.stalled || this.nextDueNs <= nowNs) return false;
    if (this.checker.inFlight < this.inFlightCap) this.host.arm(this, this.nextDueNs);
    return true;
  }

  /** The decoder's handler: only length-prefixed framings have a decoder, hence frames and tags. */
  private readonly onFrame = (buf: Buffer, start: number, len: number): void => {
    const tag = readFrameTag(this.framing as LengthPrefixed, buf, start);
    if (this.broadcast !== null) {
      this.host.counters.echoed++;
      this.broadcast.frameTag = tag;
      this.broadcast.onPacket(buf, start, len);
      return;
    }
    this.checker.frameTag = tag;
    this.onVerdict(this.checker.onEcho(buf, start, len, this.nowCache));
  };

  /** One echo classified (a frame, or a message of a raw stream): counted, and timed when intact. */
  private readonly onVerdict = (v: Verdict): void => {
    if (v === Verdict.Probe) {
      this.host.counters.probes++;
      return;
    }
    this.host.counters.echoed++;
    if (v === Verdict.Ok || v === Verdict.Reordered) {
      this.host.recordLatency(this.checker.lastCorrectedNs, this.checker.lastUncorrectedNs);
      if (this.checker.lastLate) this.host.counters.late++;
    }
  };

  /** A header longer than anything sent: corrupted once, and the connection cut (the rest abandoned). */
  private readonly onJunk = (): void => {
    if (this.finished) return;
    this.host.integrity.corrupted++;
    this.host.tally('junkFrame');
    this.cutAction = 'junk';
    this.sending = false;
    this.finish();
    this.socket?.destroy();
  };

  onError(code: string): void {
    this.errorCode = code;
  }

  onClose(): void {
    this.socketClosed();
  }

  protected expectedServerCut(): CutReason | null {
    if (this.stall !== null && this.stall.phase !== 'none') return 'stall';
    if (this.received === 0 && this.host.config.serverMayRefuse === true) return 'refused';
    return this.host.config.serverMayCut === true ? 'server' : null;
  }

  protected reportClosed(connected: boolean): void {
    this.host.closed(this, connected, this.errorCode);
  }

  /** Classifies what is left in flight (abandoned when cut on purpose, lost otherwise). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.host.integrity.abandoned += this.slowReader?.flooded ?? 0;
    this.checker.finish(this.cutAction !== null);
  }

  /**
   * Closed loop with a think time: an echo back starts the think, and the refill waits for its end
   * (the pool's wheel pumps again then). The first packets of a connection go out at once.
   */
  private thinking(nowNs: number): boolean {
    const thinkNs = (this.host.config.thinkTimeMs ?? 0) * 1e6;
    if (thinkNs === 0 || this.checker.nextSeq === 0) return false;
    if (this.thinkUntilNs < 0) this.thinkUntilNs = nowNs + thinkNs;
    if (nowNs < this.thinkUntilNs) {
      this.host.arm(this, this.thinkUntilNs);
      return true;
    }
    this.thinkUntilNs = -1;
    return false;
  }

  /** Sends whatever the send model allows now, in one write. */
  pump(nowNs: number): void {
    if (!this.sending || this.state !== 'open' || this.socket === null) return;
    // A split write finishes first (it asks for a pump then); a stall sends on its own.
    if (this.split !== null || this.stalled) return;
    if (this.broadcast !== null) {
      this.pumpBroadcast(nowNs);
      return;
    }
    const cfg = this.host.config;
    if (this.periodNs === 0) {
      const pipeline = cfg.sendModel.kind === 'closed' ? cfg.sendModel.pipeline : 1;
      const n = pipeline - this.checker.inFlight;
      if (n > 0 && !this.thinking(nowNs)) this.writeEcho(Math.min(n, MAX_BATCH), nowNs, false);
      return;
    }
    const cutAtNs = this.cutOnSchedule && this.plan.action !== null ? this.openedAtNs + this.plan.atLifeMs * 1e6 : Infinity;
    let n = 0;
    let due = this.nextDueNs;
    while (due <= nowNs && due < cutAtNs && this.checker.inFlight + n < this.inFlightCap && n < MAX_BATCH) {
      n++;
      due += this.periodNs;
    }
    if (n > 0) this.writeEcho(n, nowNs, true);
    if (this.nextDueNs >= cutAtNs && this.nextDueNs <= nowNs) {
      this.cut(this.plan.action!);
      return;
    }
    // With the in-flight cap reached, the next echo's arrival pumps again; otherwise time does.
    if (this.checker.inFlight < this.inFlightCap) this.host.arm(this, this.nextDueNs);
  }

  /**
   * n echo packets in one write (chaos traffic: shaped by planChaosWrite, maybe more packets, maybe
   * in pieces). plain: exactly n, in one write (a cut's RST burst, a stall), each of `payload`
   * bytes when that is given. Returns the bytes written.
   */
  private writeEcho(n: number, nowNs: number, openLoop: boolean, plain = false, payload: number | null = null): number {
    const cfg = this.host.config;
    const shaped = cfg.traffic === 'chaos' && payload === null ? planChaosWrite(cfg, this.serial, this.checker.nextSeq, n, !openLoop && !plain) : null;
    let lens: ArrayLike<number> = lensScratch;
    let count = n;
    if (shaped !== null) {
      lens = shaped.lens;
      count = shaped.lens.length;
    } else if (payload !== null) {
      lensScratch.fill(payload, 0, n);
    } else {
      for (let i = 0; i < n; i++) lensScratch[i] = drawPayloadLen(cfg, this.rng);
    }
    const framing = this.framing;
    let total = 0;
    for (let i = 0; i < count; i++) total += wireBytes(framing, lens[i]!);
    const split = shaped !== null && shaped.cuts.length > 0 && !plain;
    const buf = this.native && !split && total <= writeScratch.length ? writeScratch.subarray(0, total) : Buffer.allocUnsafe(total);
    const c = this.host.counters;
    // Behind schedule: later than the next slot would be, and by more than scheduler jitter.
    const lateNs = Math.max(this.periodNs, 2e6);
    let off = 0;
    for (let i = 0; i < count; i++) {
      const len = lens[i]!;
      let intended = nowNs;
      if (openLoop) {
        intended = this.nextDueNs;
        this.nextDueNs += this.periodNs;
        if (nowNs - intended > lateNs) c.behindSchedule++;
      }
      const seq = this.checker.noteSent(len, intended, nowNs);
      const header = this.writeHeader(buf, off, len, seq);
      if (len >= ECHO_HEADER_BYTES) writeEchoPayload(buf, off + header, len, this.serial, seq, nowNs, cfg.seed);
      else writeSmallEchoPayload(buf, off + header, len, this.serial, seq, cfg.seed);
      off += header + len;
    }
    c.sent += count;
    c.bytesSent += total;
    if (split) this.writePieces(buf, shaped.cuts, shaped.pauseMs);
    else this.socket!.write(buf);
    return total;
  }

  /** The frame header of packet seq (payload len) at buf[off..] (nothing in a raw stream); returns its size. */
  private writeHeader(buf: Buffer, off: number, len: number, seq: number): number {
    const f = this.framing;
    if (f.kind === 'raw') return 0;
    writeFrameHeader(f, buf, off, len, frameTag(f, seq));
    return headerBytes(f);
  }

  /** chaos traffic: a write in pieces; when it ends, the send model goes on. */
  private writePieces(buf: Buffer, cuts: number[], pauseMs: number): void {
    this.split = new SplitWrite(this.socket!, buf, cuts, pauseMs, (completed) => {
      this.split = null;
      if (completed && this.sending && this.state === 'open') this.host.requestPump(this);
    });
  }

  /** Writes the rest of a split write at once: before anything else is written or the socket ends. */
  private flushSplit(): void {
    const sp = this.split;
    if (sp === null) return;
    this.split = null;
    sp.flush();
  }

  private startStall(stall: Stall, nowNs: number): void {
    this.flushSplit();
    stall.start(this.socket!, nowNs);
  }

  private endStall(stall: Stall, nowNs: number): void {
    stall.end(this.socket, nowNs, this.host.config.echoTimeoutMs);
  }

  /**
   * Open-loop echo traffic: packets per second from now on (stages ramp it, a total rate follows
   * the live connections); 0 pauses. The next packet is due within one new period from now, so a
   * rising rate takes effect at once; intended times go on from there (corrected latency).
   */
  setRate(ratePerSec: number): void {
    if (!this.cutOnSchedule) return;
    const period = ratePerSec > 0 ? 1e9 / ratePerSec : PAUSED_PERIOD_NS;
    if (period === this.periodNs) return;
    this.periodNs = period;
    this.inFlightCap = openLoopInFlight(ratePerSec);
    if (this.state !== 'open' || !this.sending) return;
    // Pulled in only when due later than a whole new period: a rate ramped ten times a second would
    // otherwise redraw, and so advance, the next send at every step.
    const nowNs = this.host.nowNs();
    if (this.nextDueNs > nowNs + period) this.nextDueNs = nowNs + this.rng.next() * period;
    if (this.checker.inFlight < this.inFlightCap) this.host.arm(this, this.nextDueNs);
  }

  /** The run is ending: no more sends; a split write completes and a stall ends, so echoes drain. */
  stopSending(): void {
    this.sending = false;
    this.flushSplit();
    if (this.stall !== null && this.stalled) this.endStall(this.stall, this.host.nowNs());
  }

  private pumpBroadcast(nowNs: number): void {
    const s = this.socket!;
    // A slow room must not make the client buffer without bound: skip slots while the kernel is full.
    if (s.writableLength > 256 * 1024) {
      while (this.nextDueNs <= nowNs) this.nextDueNs += this.periodNs;
      this.host.arm(this, this.nextDueNs);
      return;
    }
    let n = 0;
    while (this.nextDueNs <= nowNs && n < MAX_BATCH) {
      n++;
      this.nextDueNs += this.periodNs;
    }
    if (n > 0) this.writeBroadcast(n);
    this.host.arm(this, this.nextDueNs);
  }

  /** n self-checking broadcast packets in one write. */
  private writeBroadcast(n: number): void {
    const cfg = this.host.config;
    const s = this.socket!;
    const min = Math.max(cfg.payload.min, BROADCAST_HEADER_BYTES);
    const max = Math.max(cfg.payload.max, min);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const len = this.rng.int(min, max);
      lensScratch[i] = len;
      total += wireBytes(this.framing, len);
    }
    const buf = Buffer.allocUnsafe(total);
    let off = 0;
    for (let i = 0; i < n; i++) {
      const len = lensScratch[i]!;
      const seq = this.checker.nextSeq++;
      const header = this.writeHeader(buf, off, len, seq);
      writeBroadcastPayload(buf, off + header, len, this.serial, seq, cfg.seed);
      off += header + len;
    }
    const c = this.host.counters;
    c.sent += n;
    c.bytesSent += total;
    s.write(buf);
  }

  /** badInput traffic: one kind of garbage, then silence; the server is expected to disconnect. */
  private sendBadInput(): void {
    this.sending = false;
    this.cutAction = 'badInput';
    const kind = writeBadInput(this.socket!, this.rng);
    this.host.countError(`badInput.${kind}`);
    // A half header is legal so far: the server can only wait, so it is never expected to answer.
    if (kind === 'halfHeader') return;
    this.detectableBadInputAtNs = this.host.nowNs();
    this.host.countError(BAD_INPUT_DETECTABLE);
  }

  /** slowReader traffic: stop reading and flood (misbehaving.ts); everything it sends is abandoned. */
  private startSlowReader(): void {
    this.cutAction = 'slowReader';
    this.slowReader = new SlowReaderFlood(this.socket!, this.framing, this.host.config.payload.max, this.host.counters, () => this.canSend());
    this.host.countError(SLOW_READER_STARTED);
    this.slowReader.start();
  }

  /** Periodic checks: echo timeouts, chaos, churn, closing deadlines. */
  housekeeping(nowNs: number): void {
    if (!this.endOverdue(nowNs)) return;
    const cfg = this.host.config;
    const stall = this.stall;
    if (stall !== null && stall.over(nowNs)) this.endStall(stall, nowNs);
    const awaitingEchoes = !this.stalled && nowNs >= (stall?.quietUntilNs ?? 0);
    // A raw stream has no frames to miss: a message is late only until the bytes before it are back, so nothing expires.
    if (this.broadcast === null && this.rawStream === null && !this.finished && this.cutAction === null && awaitingEchoes && cfg.echoTimeoutMs > 0) {
      const oldest = this.checker.oldestSentNs;
      if (oldest >= 0 && nowNs - oldest > cfg.echoTimeoutMs * 1e6) {
        this.checker.expire(nowNs, cfg.echoTimeoutMs * 1e6);
        this.pump(nowNs);
      }
    }
    if (!this.sending) return;
    const lifeMs = (nowNs - this.openedAtNs) / 1e6;
    if (stall !== null && this.cutAction === null && stall.due(lifeMs)) this.startStall(stall, nowNs);
    if (this.plan.action !== null && lifeMs >= this.plan.atLifeMs && !this.cutOnSchedule) {
      this.cut(this.plan.action);
      return;
    }
    if (cfg.connectionLifetimeMs > 0 && lifeMs >= cfg.connectionLifetimeMs) this.retire();
  }

  protected drained(): boolean {
    return this.checker.inFlight === 0;
  }

  protected override completeWrite(): void {
    this.flushSplit();
  }

  protected performCut(s: FleetSocket, action: ChaosAction, nowNs: number): number | null {
    return performChaosAction(s, action, this.plan, this.host.config, (packets) => this.writeBurst(packets, nowNs));
  }

  protected recordCut(action: ChaosAction): void {
    this.host.recordCut(this, action);
  }

  /**
   * Packets written right before an RST, in flight on purpose (abandoned). In a broadcast room they
   * must still be broadcast packets: receivers check every one.
   */
  private writeBurst(packets: number, nowNs: number): void {
    if (this.broadcast !== null) this.writeBroadcast(packets);
    else this.writeEcho(packets, nowNs, false, true);
  }
}
