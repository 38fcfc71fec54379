/**
 * The connections of one worker: paced connects over a fixed set of slots (so the fleet never has
 * more than `clients` sockets), timers, reconnects, counters and histograms, interval and final
 * reports. Runs on whatever thread creates it (worker.ts in the fleet; tests may use it directly).
 *
 * A slot holds at most one socket at a time: a reconnect is scheduled only from the old socket's
 * 'close' event, which is what keeps "exactly N, never more" true under chaos and churn.
 * Serial of a slot's g-th connection = g * clients + slot (mod 2^32): unique, and independent of
 * timing, so a replay with the same seed draws the same chaos for the same serials. A shard
 * (config.shard) counts clients and slots over the whole fleet, so its serials are the fleet's.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { CHAOS_ACTIONS, isExpectedClientEvent, type ChaosAction, type ChaosCounts, type ChaosCut, type FleetConfig, type IntegrityCounts, type TrafficCounters } from './types';
import { Connection, type ConnectionHost } from './connection';
import { ProtocolConnection } from './protocol-connection';
import type { Protocol } from './protocol';
import type { FleetCounters, PoolHost, PooledConnection } from './pooled';
import { BAD_INPUT_GRACE_MS } from './misbehaving';
import { emptyCounts, integrityErrors } from './integrity';
import { createHistogram, encodeHistogram, recordUs } from './latency';
import { shareOf, targetAt } from './stages';
import { TimingWheel } from './timing-wheel';

/** Most cuts a worker keeps for replay checks. */
export const MAX_CUTS = 1000;
const HOUSEKEEPING_MS = 100;
const CONNECT_TICK_MS = 10;
/** Connects started per tick at most, so an unlimited rate does not block the loop (and its echoes) for long. */
const MAX_CONNECTS_PER_TICK = 200;
/**
 * Connect tokens saved up while the thread could not run (descheduled on a loaded machine): this
 * much of the rate is caught up at once. Tokens past it are dropped, so a stall never turns into
 * an unbounded burst of SYNs.
 */
const CONNECT_BURST_MS = 250;
/**
 * I/O callbacks run the pool's timed work at most this often (see service()). 100 us was measured
 * (bench:fleet --baseline, 5000 x 10 msg/s): p50 0.1 ms better, but 3.5% more CPU per echo and
 * twice the event-loop lag.
 */
const SERVICE_INTERVAL_NS = 1e6;
const OPEN_LOOP_TICK_MS = 1;
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

export interface PoolInit {
  config: FleetConfig;
  /** Global slot range [slotFrom, slotTo) owned here. */
  slotFrom: number;
  slotTo: number;
}

export interface IntervalReport extends TrafficCounters {
  behindSchedule: number;
  errors: number;
  /** Chaos cuts made this interval, by action. */
  cuts: ChaosCounts;
  lagMs: number;
  /** Corrected latency of this interval, encoded. */
  histogram: string;
}

export interface FinalReport {
  counters: FleetCounters;
  peak: number;
  integrity: IntegrityCounts;
  chaos: ChaosCounts;
  cuts: ChaosCut[];
  errors: Record<string, number>;
  /** lag: how late the housekeeping timer ran each time (the loop's lag as a sample, us). */
  histograms: { corrected: string; uncorrected: string; connect: string; lag: string };
  maxLagMs: number;
}

export function emptyChaosCounts(): ChaosCounts {
  return Object.fromEntries(CHAOS_ACTIONS.map((a) => [a, 0])) as ChaosCounts;
}

function emptyCounters(): FleetCounters {
  return { sent: 0, echoed: 0, bytesSent: 0, bytesEchoed: 0, behindSchedule: 0, late: 0, probes: 0, delivered: 0, errors: 0, opened: 0, reconnects: 0, connectErrors: 0 };
}

export class ConnectionPool implements ConnectionHost, PoolHost {
  readonly config: FleetConfig;
  readonly counters = emptyCounters();
  readonly integrity = emptyCounts();
  readonly chaosCounts = emptyChaosCounts();
  private lastReportedCuts = emptyChaosCounts();
  readonly cuts: ChaosCut[] = [];
  readonly errorsByCode: Record<string, number> = {};

  private readonly slotFrom: number;
  private readonly slotCount: number;
  private readonly generation: Uint32Array;
  private readonly failures: Uint32Array;
  private readonly conns: Array<PooledConnection | null>;
  private readonly queue: number[] = [];
  /** Slot i is queued to connect or waits for its reconnect timer (1), so it is never queued twice. */
  private readonly pending: Uint8Array;
  /**
   * Slots [0, active) are meant to be open; the rest are parked (config.stages lowers and raises
   * it; without stages it is every slot). A parked slot is not reconnected.
   */
  private active: number;
  /** Open loop under stages or a total rate: the per-connection rate last set, or null (sendModel's rate stands). */
  private ratePerConn: number | null = null;
  private startNs = 0;
  private queueHead = 0;
  private readonly reconnectTimers = new Set<NodeJS.Timeout>();
  private tokens = 0;
  private readonly ratePerMs: number;
  private lastConnectTickMs = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  private openLoopTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private nextServiceNs = 0;
  private nextHousekeepingNs = 0;
  /** When the housekeeping timer last ran (ms), and its worst lateness this interval: see interval(). */
  private lastTimerMs = 0;
  private timerLagMs = 0;
  private live = 0;
  private connecting = 0;
  private peak = 0;
  private lastReported = emptyCounters();
  private lastReportedIntegrityErrors = 0;
  private readonly corrected: Histogram;
  private readonly uncorrected: Histogram;
  private readonly intervalCorrected: Histogram;
  private readonly intervalUncorrected: Histogram;
  private readonly connectHist: Histogram;
  /**
   * The housekeeping timer's lateness, one sample a firing: a distribution of the loop's lag that
   * merges across workers (monitorEventLoopDelay's cannot), so the report can set the client's
   * lag beside the latency it measured (stress/report/client-bound.ts).
   */
  private readonly lagHist: Histogram;
  private readonly lag: IntervalHistogram;
  private maxLagMs = 0;
  /** Open-loop sends and think times, by due time (timing-wheel.ts). */
  private readonly wheel = new TimingWheel<PooledConnection>(performance.now() * 1e6);
  /** Connections whose echoes arrived this poll phase, to pump in the check phase; and a spare list to swap in. */
  private pumpQueue: PooledConnection[] = [];
  private sparePumpQueue: PooledConnection[] = [];
  private pumpScheduled = false;
  /** When the fleet started (Date.now() of the main thread at 'start'): cut times are relative to it. */
  private startEpochMs = 0;

  /** protocol: the module (loaded on this thread) that speaks for every connection, or null for the lan-framing traffic. */
  constructor(
    init: PoolInit,
    private readonly protocol: Protocol | null = null,
  ) {
    this.config = init.config;
    this.slotFrom = init.slotFrom;
    this.slotCount = init.slotTo - init.slotFrom;
    this.generation = new Uint32Array(this.slotCount);
    this.failures = new Uint32Array(this.slotCount);
    this.conns = new Array<PooledConnection | null>(this.slotCount).fill(null);
    this.pending = new Uint8Array(this.slotCount);
    this.active = this.slotCount;
    const cfg = this.config;
    const fleetRate = cfg.rampUpSec > 0 ? Math.min(cfg.connectRate > 0 ? cfg.connectRate : Infinity, cfg.clients / cfg.rampUpSec) : cfg.connectRate;
    this.ratePerMs = fleetRate > 0 && Number.isFinite(fleetRate) && cfg.clients > 0 ? (fleetRate * this.slotCount) / cfg.clients / 1000 : Infinity;
    this.corrected = createHistogram();
    this.uncorrected = createHistogram();
    this.intervalCorrected = createHistogram();
    this.intervalUncorrected = createHistogram();
    this.connectHist = createHistogram();
    this.lagHist = createHistogram();
    this.lag = monitorEventLoopDelay({ resolution: 10 });
  }

  /** Integer ns: the value is written into payloads as a u64 and compared exactly on return. */
  nowNs(): number {
    return Math.round(performance.now() * 1e6);
  }

  start(epochMs = Date.now()): void {
    this.startEpochMs = epochMs;
    this.lag.enable();
    this.startNs = this.nowNs();
    this.followStages(this.startNs);
    for (let i = 0; i < this.active; i++) this.enqueue(i);
    this.lastConnectTickMs = performance.now();
    this.tokens = 1;
    this.connectTick();
    this.lastTimerMs = performance.now();
    this.housekeepingTimer = setInterval(() => {
      const now = performance.now();
      const lateMs = now - this.lastTimerMs - HOUSEKEEPING_MS;
      this.timerLagMs = Math.max(this.timerLagMs, lateMs);
      recordUs(this.lagHist, lateMs * 1000);
      this.lastTimerMs = now;
      this.housekeeping();
    }, HOUSEKEEPING_MS);
    // The wheel also ends closed-loop think times.
    if (this.config.sendModel.kind === 'open' || this.config.traffic === 'broadcast' || (this.config.thinkTimeMs ?? 0) > 0) {
      this.openLoopTimer = setInterval(() => this.openLoopTick(), OPEN_LOOP_TICK_MS);
    }
  }

  // ---- ConnectionHost ----

  /**
   * The pool's timed work (connect pacing, the open-loop wheel, housekeeping), run from I/O
   * callbacks as well as from timers. A worker flooded with echoes can stay in libuv's poll phase
   * for most of a second (it polls again, up to 48 times, while epoll_wait returns a full batch),
   * and timers only run between poll phases: paced by timers alone, the fleet opened one burst of
   * connections a second instead of a steady stream, and open-loop sends fell behind.
   */
  /**
   * Sends go out in the check phase (setImmediate), after the poll phase's reads, never from inside
   * a read callback. Sending from the read callback kept every socket of a flooded worker readable
   * again before the next epoll_wait, so each returned a full batch and libuv stayed in its poll
   * phase for seconds: no timer ran, and sockets opened meanwhile were not even registered with
   * epoll (libuv does that when the poll phase starts), so connects "completed" seconds late.
   * Deferred, a poll phase ends once the echoes already in flight are read.
   */
  requestPump(c: PooledConnection): void {
    if (c.pumpQueued) return;
    c.pumpQueued = true;
    this.pumpQueue.push(c);
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(this.flushPumps);
    }
  }

  private readonly flushPumps = (): void => {
    this.pumpScheduled = false;
    const list = this.pumpQueue;
    this.pumpQueue = this.sparePumpQueue;
    const now = this.nowNs();
    for (const c of list) {
      c.pumpQueued = false;
      c.pump(now);
    }
    list.length = 0;
    this.sparePumpQueue = list;
    this.service(now);
  };

  service(nowNs: number): void {
    if (nowNs < this.nextServiceNs || this.stopping) return;
    this.nextServiceNs = nowNs + SERVICE_INTERVAL_NS;
    if (this.queueHead < this.queue.length) this.connectTick();
    if (this.openLoopTimer !== null) this.openLoopTick();
    if (nowNs >= this.nextHousekeepingNs) this.housekeeping();
  }

  recordLatency(correctedNs: number, uncorrectedNs: number): void {
    recordUs(this.intervalCorrected, correctedNs / 1000);
    recordUs(this.intervalUncorrected, uncorrectedNs / 1000);
  }

  recordConnect(ns: number): void {
    recordUs(this.connectHist, ns / 1000);
    this.connecting--;
    this.live++;
    if (this.live > this.peak) this.peak = this.live;
    this.counters.opened++;
  }

  recordCut(c: PooledConnection, action: ChaosAction): void {
    if (this.cuts.length >= MAX_CUTS) return;
    const k = c.checker;
    this.cuts.push({ serial: c.serial, action, seq: k.nextSeq, inFlight: k.inFlight, bytesInFlight: k.bytesInFlight, atMs: Date.now() - this.startEpochMs });
  }

  arm(c: PooledConnection, dueNs: number): void {
    this.wheel.arm(c, dueNs);
  }

  countError(code: string): void {
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
    // Offenders' tallies are what the scenario asked for, not errors.
    if (!isExpectedClientEvent(code)) this.counters.errors++;
  }

  tally(key: string): void {
    this.errorsByCode[key] = (this.errorsByCode[key] ?? 0) + 1;
  }

  closed(c: PooledConnection, connected: boolean, errorCode: string | null): void {
    const i = c.slot - this.slotFrom;
    if (this.conns[i] === c) this.conns[i] = null;
    if (connected) this.live--;
    else this.connecting--;
    if (this.stopping) return;
    if (!connected) {
      // A connect that never completed: count it and retry with exponential back-off.
      this.counters.connectErrors++;
      this.countError(errorCode ?? 'ECONNCLOSED');
      const n = ++this.failures[i]!;
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(n - 1, 10));
      this.scheduleReconnect(i, delay * (0.5 + Math.random() * 0.5));
      return;
    }
    this.failures[i] = 0;
    if (c.cutAction === 'badInput') {
      this.countError(errorCode === null ? 'badInput.closedByServer' : `badInput.${errorCode}`);
      this.scheduleReconnect(i, c.plan.reconnectDelayMs);
    } else if (c.cutAction === 'slowReader') {
      // RST (ECONNRESET / EPIPE on the next write) or FIN: either way the server cut it.
      this.countError('slowReader.cutByServer');
      this.scheduleReconnect(i, c.plan.reconnectDelayMs);
    } else if (c.cutAction === 'server' || c.cutAction === 'refused' || c.cutAction === 'stall') {
      // Expected in this scenario (a stalled connection may be cut by sendQueueLimit): tallied, not an error.
      this.tally(c.cutAction === 'server' ? 'serverClosed' : c.cutAction === 'refused' ? 'refused' : 'stall.cutByServer');
      this.scheduleReconnect(i, c.plan.reconnectDelayMs);
    } else if (c.cutAction === 'lifetime') {
      this.scheduleReconnect(i, 0);
    } else if (c.cutAction === 'scaleDown') {
      // Closed to follow a stage: back at once if a later stage raised the target meanwhile.
      if (i < this.active) this.scheduleReconnect(i, 0);
    } else if (c.cutAction !== null) {
      this.scheduleReconnect(i, c.plan.reconnectDelayMs);
    } else {
      // Nobody meant to cut it: the server closed or reset it. Its in-flight packets were counted lost.
      this.countError(errorCode ?? 'peerClosed');
      this.scheduleReconnect(i, RETRY_BASE_MS);
    }
  }

  // ---- scheduling ----

  private enqueue(i: number): void {
    this.pending[i] = 1;
    this.queue.push(i);
  }

  private scheduleReconnect(i: number, delayMs: number): void {
    this.pending[i] = 1;
    const t = setTimeout(() => {
      this.reconnectTimers.delete(t);
      if (this.stopping) return;
      // A stage lowered the target meanwhile: the slot stays parked.
      if (i >= this.active) {
        this.pending[i] = 0;
        return;
      }
      this.counters.reconnects++;
      this.queue.push(i);
      this.connectTick();
    }, delayMs);
    this.reconnectTimers.add(t);
  }

  private connectTick(): void {
    if (this.stopping) return;
    const now = performance.now();
    if (this.ratePerMs !== Infinity) {
      this.tokens = Math.min(this.tokens + (now - this.lastConnectTickMs) * this.ratePerMs, Math.max(1, this.ratePerMs * CONNECT_BURST_MS));
    }
    this.lastConnectTickMs = now;
    let started = 0;
    while (this.queueHead < this.queue.length && started++ < MAX_CONNECTS_PER_TICK && (this.ratePerMs === Infinity || this.tokens >= 1)) {
      const i = this.queue[this.queueHead++]!;
      if (i >= this.active) {
        this.pending[i] = 0;
        continue;
      }
      this.tokens -= 1;
      this.open(i);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    if (this.queueHead < this.queue.length && this.connectTimer === null) {
      this.connectTimer = setTimeout(() => {
        this.connectTimer = null;
        this.connectTick();
      }, CONNECT_TICK_MS);
    }
  }

  private open(i: number): void {
    const cfg = this.config;
    const slot = this.slotFrom + i;
    const serial = (this.generation[i]! * (cfg.shard?.fleetClients ?? cfg.clients) + (cfg.shard?.firstSlot ?? 0) + slot) >>> 0;
    this.generation[i]!++;
    const src = cfg.sourceIps.length > 0 ? cfg.sourceIps[slot % cfg.sourceIps.length] : undefined;
    const c = this.protocol === null ? new Connection(this, slot, serial, src) : new ProtocolConnection(this, this.protocol, slot, serial, src);
    this.pending[i] = 0;
    if (this.ratePerConn !== null) c.setRate(this.ratePerConn);
    this.conns[i] = c;
    this.connecting++;
    c.connect();
  }

  private openLoopTick(): void {
    this.wheel.advance(this.nowNs(), this.fireConnection);
  }

  private readonly fireConnection = (c: PooledConnection, nowNs: number): void => {
    if (c.sending) c.pump(nowNs);
  };

  /**
   * config.stages: this worker's share of the connections the fleet should hold now (slots past it
   * are closed gracefully, their echoes let return; slots below it opened), and the per-connection
   * rate: the stage's, or this worker's share of the total rate over its live connections.
   */
  private followStages(nowNs: number): void {
    const stages = this.config.stages;
    if (stages === undefined) return;
    const target = targetAt(stages, (nowNs - this.startNs) / 1e9);
    this.setActive(shareOf(target.clients, this.config.clients, this.slotFrom, this.slotFrom + this.slotCount));
    const rate = target.rate ?? (target.totalRate === null ? null : (target.totalRate * this.active) / Math.max(1, target.clients) / Math.max(1, this.live));
    if (rate === null || rate === this.ratePerConn) return;
    this.ratePerConn = rate;
    for (const c of this.conns) c?.setRate(rate);
  }

  private setActive(n: number): void {
    const was = this.active;
    this.active = n;
    for (let i = was; i < n; i++) if (this.conns[i] === null && this.pending[i] === 0) this.enqueue(i);
    // Every slot past the target, each time: one still connecting when the target fell is closed once open.
    for (let i = n; i < this.slotCount; i++) {
      const c = this.conns[i];
      if (c !== null && c !== undefined && c.state === 'open' && c.cutAction === null) c.retire('scaleDown');
    }
    if (n > was && this.startNs > 0 && this.housekeepingTimer !== null) this.connectTick();
  }

  private housekeeping(): void {
    const now = this.nowNs();
    this.nextHousekeepingNs = now + HOUSEKEEPING_MS * 1e6;
    if (!this.stopping) this.followStages(now);
    for (const c of this.conns) if (c !== null) c.housekeeping(now);
  }

  // ---- reports ----

  private foldIntervals(): void {
    this.corrected.add(this.intervalCorrected);
    this.uncorrected.add(this.intervalUncorrected);
  }

  /** Second `t` of the load (1, 2, ...): its latencies join the run's histograms once past the warm-up. */
  interval(t: number): IntervalReport {
    const c = this.counters;
    const l = this.lastReported;
    const integrityErrs = integrityErrors(this.integrity);
    // A loop stuck in its poll phase runs no timer, so the delay histogram may hold no sample at
    // all this second: the housekeeping timer's lateness, and how overdue it is now, cover that.
    const stallMs = Math.max(this.timerLagMs, performance.now() - this.lastTimerMs - HOUSEKEEPING_MS);
    const lagMs = Math.max(this.lag.max / 1e6, stallMs);
    this.lag.reset();
    this.timerLagMs = 0;
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    const report: IntervalReport = {
      connections: this.live,
      connecting: this.connecting,
      sent: c.sent - l.sent,
      echoed: c.echoed - l.echoed,
      bytesSent: c.bytesSent - l.bytesSent,
      bytesEchoed: c.bytesEchoed - l.bytesEchoed,
      behindSchedule: c.behindSchedule - l.behindSchedule,
      // The same errors the final report counts: integrity errors (which only ever grow, see
      // integrity.ts) and client socket errors, as they happened this second.
      errors: c.errors - l.errors + (integrityErrs - this.lastReportedIntegrityErrors),
      cuts: this.cutsSinceLastInterval(),
      lagMs: Number.isFinite(lagMs) ? lagMs : 0,
      histogram: encodeHistogram(this.intervalCorrected),
    };
    this.lastReported = { ...c };
    this.lastReportedIntegrityErrors = integrityErrs;
    if (t > Math.ceil(this.config.warmUpSec ?? 0)) this.foldIntervals();
    this.intervalCorrected.reset();
    this.intervalUncorrected.reset();
    return report;
  }

  /** Cuts by action since the last interval report (chaosCounts only ever grow). */
  private cutsSinceLastInterval(): ChaosCounts {
    const delta = emptyChaosCounts();
    for (const a of CHAOS_ACTIONS) delta[a] = this.chaosCounts[a] - this.lastReportedCuts[a];
    this.lastReportedCuts = { ...this.chaosCounts };
    return delta;
  }

  /** In-flight packets still awaited on connections nobody cut. */
  private awaited(): number {
    let n = 0;
    for (const c of this.conns) if (c !== null && c.cutAction === null && c.state === 'open') n += c.inFlight;
    return n;
  }

  /**
   * Stop sending, drain in-flight echoes (bounded by drainTimeoutMs), classify leftovers
   * (lost, or abandoned on cut connections), close every connection and report.
   */
  async stop(): Promise<FinalReport> {
    this.stopping = true;
    for (const t of this.reconnectTimers) clearTimeout(t);
    this.reconnectTimers.clear();
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.openLoopTimer !== null) clearInterval(this.openLoopTimer);
    this.openLoopTimer = null;
    this.queue.length = 0;
    this.queueHead = 0;
    const stopNs = this.nowNs();
    for (const c of this.conns) {
      if (c === null) continue;
      c.stopSending();
      if (c.state === 'connecting') c.destroy();
      // An oversize or garbage header the server let stand: docs/protocol.md says it must disconnect such a session.
      const bad = c.detectableBadInputAtNs;
      if (c.state === 'open' && bad >= 0 && stopNs - bad > BAD_INPUT_GRACE_MS * 1e6) this.countError('badInput.ignored');
    }
    const deadline = performance.now() + this.config.drainTimeoutMs;
    while (this.awaited() > 0 && performance.now() < deadline) await sleep(10);
    if (this.housekeepingTimer !== null) clearInterval(this.housekeepingTimer);
    for (const c of this.conns) {
      if (c === null) continue;
      c.finish();
      if (c.state === 'open') c.closeGracefully();
      else if (c.state === 'closing' && c.cutAction === 'silence') c.destroy();
      // A slow reader never reads the server's FIN: nothing to wait for.
      if (c.cutAction === 'slowReader') c.destroy();
    }
    const closeDeadline = performance.now() + 2000;
    while (this.conns.some((c) => c !== null) && performance.now() < closeDeadline) await sleep(10);
    for (const c of this.conns) c?.destroy();
    while (this.conns.some((c) => c !== null) && performance.now() < closeDeadline + 500) await sleep(10);
    this.lag.disable();
    const lagMs = this.lag.max / 1e6;
    if (Number.isFinite(lagMs) && lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    this.foldIntervals();
    const report: FinalReport = {
      counters: { ...this.counters },
      peak: this.peak,
      integrity: { ...this.integrity },
      chaos: { ...this.chaosCounts },
      cuts: this.cuts.slice(),
      errors: { ...this.errorsByCode },
      histograms: {
        corrected: encodeHistogram(this.corrected),
        uncorrected: encodeHistogram(this.uncorrected),
        connect: encodeHistogram(this.connectHist),
        lag: encodeHistogram(this.lagHist),
      },
      maxLagMs: this.maxLagMs,
    };
    for (const h of [this.corrected, this.uncorrected, this.intervalCorrected, this.intervalUncorrected, this.connectHist, this.lagHist]) h.destroy();
    return report;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
