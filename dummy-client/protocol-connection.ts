/**
 * One client connection driven by a protocol module (protocol.ts): the module frames what the
 * server sends, makes the requests and classifies every message; this class keeps the send model,
 * what each request still awaits, timeouts, chaos cuts and the counts. It sits beside the echo
 * Connection (connection.ts) under the same pool, so cuts, reconnects, ticks and histograms work
 * the same way.
 *
 * Send models: closed loop keeps `pipeline` requests awaited (a request is awaited until all the
 * responses it expects came); open loop sends one request per slot at --rate, at most
 * openLoopInFlight(rate) awaited, behind-schedule sends counted as for echoes. A request() of null
 * skips the slot (open loop) or waits for the next read or housekeeping round (closed loop).
 *
 * A request not fully answered within echoTimeout is lost (each missing response one); its tag is
 * remembered for a while, so a response that still comes counts `late`, not unexpected.
 */
import * as net from 'node:net';
import type { ChaosAction } from './types';
import { openLoopInFlight, PAUSED_PERIOD_NS, type CutReason } from './connection';
import { Prng, mix32 } from './codec';
import { CLOSING_GRACE_MS, performChaosAction, planChaos, type ChaosPlan } from './chaos-actions';
import { ConnectionLife } from './connection-life';
import type { Check, Protocol, ProtocolConn, Request } from './protocol';
import type { PoolHost, PooledConnection } from './pooled';

/** Most requests written in one batch. */
const MAX_BATCH = 256;
/** Unframed bytes a connection holds at most: past it the stream is junk (the module never finds a message). */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** Timed-out tags remembered per connection, so their late responses are not called unexpected. */
const EXPIRED_MEMORY = 256;

interface Awaited {
  intendedNs: number;
  sentNs: number;
  remaining: number;
  bytes: number;
  answered: boolean;
}

export class ProtocolConnection extends ConnectionLife<net.Socket, PoolHost> implements PooledConnection {
  readonly detectableBadInputAtNs = -1;
  readonly plan: ChaosPlan;
  armedTick = -1;
  armedDueNs = 0;
  pumpQueued = false;
  readonly checker: PooledConnection['checker'];

  private readonly conn: ProtocolConn;
  private readonly awaited = new Map<number, Awaited>();
  /** Timed-out tags and the responses they still expected, oldest first. */
  private readonly expired = new Map<number, number>();
  private awaitedResponses = 0;
  private awaitedBytes = 0;
  private requestsSent = 0;
  private buffered: Buffer = Buffer.alloc(0);
  /** Open loop: ns between requests (PAUSED_PERIOD_NS at a rate of 0); 0 in closed loop. */
  private periodNs: number;
  private inFlightCap: number;
  private nextDueNs = 0;
  private openedAtNs = 0;

  constructor(
    host: PoolHost,
    private readonly protocol: Protocol,
    readonly slot: number,
    readonly serial: number,
    private readonly localAddress: string | undefined,
  ) {
    super(host);
    const cfg = host.config;
    this.conn = { serial, seed: cfg.seed, clients: cfg.shard?.fleetClients ?? cfg.clients, state: {}, rng: new Prng(mix32((cfg.seed ^ mix32(serial)) >>> 0)) };
    this.plan = planChaos(cfg, serial);
    const rate = cfg.sendModel.kind === 'open' ? cfg.sendModel.rate : 0;
    this.periodNs = cfg.sendModel.kind !== 'open' ? 0 : rate > 0 ? 1e9 / rate : PAUSED_PERIOD_NS;
    this.inFlightCap = cfg.sendModel.kind === 'open' ? openLoopInFlight(rate) : cfg.sendModel.pipeline;
    const self = this;
    this.checker = {
      get nextSeq() {
        return self.requestsSent;
      },
      get inFlight() {
        return self.awaitedResponses;
      },
      get bytesInFlight() {
        return self.awaitedBytes;
      },
    };
  }

  get inFlight(): number {
    return this.finished ? 0 : this.awaitedResponses;
  }

  connect(): void {
    const cfg = this.host.config;
    this.connectStartNs = this.host.nowNs();
    const opts: net.NetConnectOpts = { host: cfg.host, port: cfg.port, noDelay: true };
    if (this.localAddress !== undefined) opts.localAddress = this.localAddress;
    const s = net.connect(opts);
    this.socket = s;
    s.on('connect', this.onConnect);
    s.on('data', this.onData);
    s.on('error', (err: NodeJS.ErrnoException) => (this.errorCode = err.code ?? 'ERROR'));
    s.on('close', this.onClose);
  }

  private readonly onConnect = (): void => {
    const now = this.host.nowNs();
    this.state = 'open';
    this.openedAtNs = now;
    this.host.recordConnect(now - this.connectStartNs);
    if (this.plan.atLifeMs === 0) {
      this.cut('closeAfterConnect');
      return;
    }
    this.write(this.opening().map((r) => this.register(r, now, now)));
    this.nextDueNs = now + this.conn.rng.next() * this.periodNs;
    this.pump(now);
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.finished) return;
    const now = this.host.nowNs();
    this.host.counters.bytesEchoed += chunk.length;
    let buf = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (buf.length > 0) {
      const n = this.frame(buf);
      if (n < 0 || !Number.isInteger(n)) return this.junk();
      // 0, or the whole message's length before all of it is here: wait for more.
      if (n === 0 || n > buf.length) break;
      this.classify(buf.subarray(0, n), now);
      buf = buf.subarray(n);
    }
    if (buf.length > MAX_BUFFERED) return this.junk();
    // A copy: the rest must not keep the whole chunk alive.
    this.buffered = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
    if (this.sending && this.state === 'open') this.host.requestPump(this);
    this.host.service(now);
  };

  private check(message: Buffer): Check | null {
    try {
      return this.protocol.check(this.conn, message);
    } catch {
      // A module that cannot read a message (JSON.parse of garbled bytes) says it is corrupted.
      return { kind: 'corrupted' };
    }
  }

  private classify(message: Buffer, nowNs: number): void {
    const c = this.check(message);
    const counts = this.host.integrity;
    switch (c?.kind) {
      case 'answer':
        return this.answer(c.tag, c.ok, nowNs);
      case 'push':
        if (c.ok) this.host.counters.delivered++;
        else counts.corrupted++;
        return;
      case 'unexpected':
        counts.unexpected++;
        return;
      case 'corrupted':
        counts.corrupted++;
        return;
      default:
        this.host.countError('protocol.badCheck');
        counts.corrupted++;
    }
  }

  private answer(tag: number, ok: boolean, nowNs: number): void {
    const a = this.awaited.get(tag);
    if (a === undefined) {
      const left = this.expired.get(tag);
      if (left === undefined) {
        this.host.integrity.unexpected++;
        return;
      }
      // Already counted lost: the server was slower than the echo timeout.
      this.host.counters.late++;
      if (left <= 1) this.expired.delete(tag);
      else this.expired.set(tag, left - 1);
      return;
    }
    this.host.counters.echoed++;
    if (ok) {
      this.host.integrity.ok++;
      if (!a.answered) this.host.recordLatency(nowNs - a.intendedNs, nowNs - a.sentNs);
    } else this.host.integrity.corrupted++;
    a.answered = true;
    a.remaining--;
    this.awaitedResponses--;
    if (a.remaining === 0) this.settle(tag, a);
  }

  private settle(tag: number, a: Awaited): void {
    this.awaited.delete(tag);
    this.awaitedBytes -= a.bytes;
  }

  /** The stream cannot be framed: corrupted once, and the connection cut (what it awaited abandoned). */
  private junk(): void {
    if (this.finished) return;
    this.host.integrity.corrupted++;
    this.host.tally('junkFrame');
    this.cutAction = 'junk';
    this.sending = false;
    this.finish();
    this.socket?.destroy();
  }

  /** Notes a request as sent and returns its bytes; a malformed one is a module error and sends nothing. */
  private register(r: Request, intendedNs: number, nowNs: number): Uint8Array | null {
    const responses = r?.responses ?? 1;
    if (typeof r !== 'object' || r === null || !(r.bytes instanceof Uint8Array) || !Number.isFinite(r.tag) || !Number.isInteger(responses) || responses < 0) {
      this.host.countError('protocol.badRequest');
      return null;
    }
    const old = this.awaited.get(r.tag);
    if (old !== undefined && responses > 0) {
      // The module reused a tag still awaited: the old request can no longer be told apart.
      this.host.countError('protocol.tagReused');
      this.host.integrity.lost += old.remaining;
      this.awaitedResponses -= old.remaining;
      this.settle(r.tag, old);
    }
    if (responses > 0) {
      this.awaited.set(r.tag, { intendedNs, sentNs: nowNs, remaining: responses, bytes: r.bytes.length, answered: false });
      this.awaitedResponses += responses;
      this.awaitedBytes += r.bytes.length;
    }
    this.requestsSent++;
    this.host.counters.sent++;
    this.host.counters.bytesSent += r.bytes.length;
    return r.bytes;
  }

  private write(parts: Array<Uint8Array | null>): void {
    const present = parts.filter((p): p is Uint8Array => p !== null);
    if (present.length > 0) this.socket!.write(present.length === 1 ? present[0]! : Buffer.concat(present));
  }

  /*
   * The module's hooks, guarded: a hook that throws is the module's bug, counted as a client
   * error by hook (protocol.<hook>Threw) instead of ending the worker thread and the run.
   */

  /** frame(); a throw is a stream that cannot be framed. */
  private frame(buf: Buffer): number {
    try {
      return this.protocol.frame(buf);
    } catch {
      this.host.countError('protocol.frameThrew');
      return -1;
    }
  }

  private opening(): Request[] {
    try {
      const first = this.protocol.open?.(this.conn) ?? [];
      if (Array.isArray(first)) return first as Request[];
      this.host.countError('protocol.badRequest');
    } catch {
      this.host.countError('protocol.openThrew');
    }
    return [];
  }

  private nextRequest(): Request | null {
    try {
      // A hook that forgets to return null returns undefined: the same "nothing now".
      return this.protocol.request(this.conn) ?? null;
    } catch {
      this.host.countError('protocol.requestThrew');
      return null;
    }
  }

  /** Sends whatever the send model allows now, in one write. */
  pump(nowNs: number): void {
    if (!this.sending || this.state !== 'open' || this.socket === null) return;
    const out: Array<Uint8Array | null> = [];
    if (this.periodNs === 0) {
      while (this.awaited.size < this.inFlightCap && out.length < MAX_BATCH) {
        const r = this.nextRequest();
        if (r === null) break;
        out.push(this.register(r, nowNs, nowNs));
      }
      this.write(out);
      return;
    }
    const c = this.host.counters;
    const lateNs = Math.max(this.periodNs, 2e6);
    while (this.nextDueNs <= nowNs && this.awaited.size < this.inFlightCap && out.length < MAX_BATCH) {
      const intended = this.nextDueNs;
      this.nextDueNs += this.periodNs;
      const r = this.nextRequest();
      if (r === null) continue;
      if (nowNs - intended > lateNs) c.behindSchedule++;
      out.push(this.register(r, intended, nowNs));
    }
    this.write(out);
    if (this.awaited.size < this.inFlightCap) this.host.arm(this, this.nextDueNs);
  }

  private readonly onClose = (): void => this.socketClosed();

  protected expectedServerCut(): CutReason | null {
    return this.host.config.serverMayCut === true ? 'server' : null;
  }

  protected reportClosed(connected: boolean): void {
    this.host.closed(this, connected, this.errorCode);
  }

  /** Classifies what is still awaited: abandoned when cut on purpose, lost otherwise. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.cutAction !== null) this.host.integrity.abandoned += this.awaitedResponses;
    else this.host.integrity.lost += this.awaitedResponses;
    this.awaited.clear();
    this.awaitedResponses = 0;
    this.awaitedBytes = 0;
  }

  /** Requests not fully answered within the echo timeout are lost; their tags remembered for late answers. */
  private expire(nowNs: number, timeoutNs: number): void {
    for (const [tag, a] of this.awaited) {
      if (nowNs - a.sentNs <= timeoutNs) continue;
      this.host.integrity.lost += a.remaining;
      this.awaitedResponses -= a.remaining;
      this.settle(tag, a);
      this.expired.set(tag, a.remaining);
      if (this.expired.size > EXPIRED_MEMORY) this.expired.delete(this.expired.keys().next().value as number);
    }
  }

  housekeeping(nowNs: number): void {
    if (!this.endOverdue(nowNs)) return;
    const cfg = this.host.config;
    if (!this.finished && this.cutAction === null && cfg.echoTimeoutMs > 0) this.expire(nowNs, cfg.echoTimeoutMs * 1e6);
    if (!this.sending) return;
    const lifeMs = (nowNs - this.openedAtNs) / 1e6;
    if (this.plan.action !== null && lifeMs >= this.plan.atLifeMs) {
      this.cut(this.plan.action);
      return;
    }
    if (cfg.connectionLifetimeMs > 0 && lifeMs >= cfg.connectionLifetimeMs) {
      this.retire();
      return;
    }
    // A closed loop whose module had nothing to send asks again.
    this.pump(nowNs);
  }

  /**
   * Open loop: requests per second from now on (stages ramp it, a total rate follows the live
   * connections); 0 pauses. As Connection.setRate: a rising rate takes effect within one period.
   */
  setRate(ratePerSec: number): void {
    if (this.periodNs === 0) return;
    const period = ratePerSec > 0 ? 1e9 / ratePerSec : PAUSED_PERIOD_NS;
    if (period === this.periodNs) return;
    this.periodNs = period;
    this.inFlightCap = openLoopInFlight(ratePerSec);
    if (this.state !== 'open' || !this.sending) return;
    const nowNs = this.host.nowNs();
    if (this.nextDueNs > nowNs + period) this.nextDueNs = nowNs + this.conn.rng.next() * period;
    if (this.awaited.size < this.inFlightCap) this.host.arm(this, this.nextDueNs);
  }

  protected drained(): boolean {
    return this.awaitedResponses === 0;
  }

  stopSending(): void {
    this.sending = false;
  }

  /**
   * The module's own bytes stand in for the echo packets: a burst of its requests before an RST,
   * half of one before a closeMidPacket FIN.
   */
  protected performCut(s: net.Socket, action: ChaosAction, nowNs: number): number | null {
    if (action !== 'closeMidPacket') return performChaosAction(s, action, this.plan, this.host.config, (packets) => this.writeBurst(packets, nowNs));
    const r = this.nextRequest();
    if (r === null) s.end();
    else s.end(r.bytes.subarray(0, r.bytes.length >> 1));
    return CLOSING_GRACE_MS;
  }

  protected recordCut(action: ChaosAction): void {
    this.host.recordCut(this, action);
  }

  private writeBurst(packets: number, nowNs: number): void {
    const out: Array<Uint8Array | null> = [];
    for (let i = 0; i < packets; i++) {
      const r = this.nextRequest();
      if (r === null) break;
      out.push(this.register(r, nowNs, nowNs));
    }
    this.write(out);
  }
}
