/**
 * runFleet: the main-thread side of the fleet. It never touches a socket. Its phases: spawn the
 * workers (the clients split exactly between them), open (start them all at once when every one is
 * ready), load (ask each for an interval report once a second and merge those into a FleetTick),
 * drain (stop them: they let in-flight packets return and classify the rest), collect their final
 * reports, and aggregate those into the FleetResult (aggregate.ts, pure).
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { TRAFFIC_KINDS, type FleetConfig, type FleetResult, type FleetTick } from './types';
import { aggregateResult, aggregateTick } from './aggregate';
import { framingRefuses, framingText, maxFramePayload } from './framing';
import { isLoopbackHost } from '../server/loopback';
import type { FinalReport, IntervalReport, PoolInit } from './pool';
import type { MainToWorker, WorkerToMain } from './worker';

export interface RunFleetOptions {
  onTick?: (t: FleetTick) => void;
  signal?: AbortSignal;
  /** Worker entry to run instead of worker.js (tests use it to prove a crash is reported). */
  workerFile?: string;
}


/** Every problem with a config at once (empty = valid). Names the field that is wrong. */
export function validateFleetConfig(c: FleetConfig): string[] {
  const errs: string[] = [];
  const int = (v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max) errs.push(`${name}: expected an integer in ${min}..${max}, got ${v}`);
  };
  if (!isLoopbackHost(c.host)) errs.push(`host: only loopback (127.0.0.0/8, localhost, ::1) may be a load target, got ${c.host}`);
  // Source addresses bind IPv4 sockets: loopback and IPv4.
  for (const ip of c.sourceIps) if (!net.isIPv4(ip) || !isLoopbackHost(ip)) errs.push(`sourceIps: ${ip} is not in 127.0.0.0/8`);
  int(c.port, 'port', 1, 65535);
  int(c.clients, 'clients', 0);
  int(c.workers, 'workers', 1, 256);
  if (!(c.connectRate >= 0)) errs.push(`connectRate: expected >= 0 (0 = unlimited), got ${c.connectRate}`);
  if (!(c.rampUpSec >= 0)) errs.push(`rampUpSec: expected >= 0, got ${c.rampUpSec}`);
  if (!(c.durationSec > 0)) errs.push(`durationSec: expected > 0, got ${c.durationSec}`);
  const minPayload = c.traffic === 'broadcast' ? 12 : 16;
  int(c.serverMaxPayload, 'serverMaxPayload', minPayload, 65535);
  if (c.traffic === 'chaos' && c.payload.max > c.serverMaxPayload) errs.push(`payload: max ${c.payload.max} is above serverMaxPayload ${c.serverMaxPayload}`);
  if (!(c.connectTimeoutMs > 0)) errs.push(`connectTimeoutMs: expected > 0, got ${c.connectTimeoutMs}`);
  int(c.payload.min, 'payload.min', minPayload, 65535);
  int(c.payload.max, 'payload.max', minPayload, 65535);
  if (c.payload.max < c.payload.min) errs.push(`payload: max ${c.payload.max} is below min ${c.payload.min}`);
  if (c.sendModel.kind === 'closed') int(c.sendModel.pipeline, 'sendModel.pipeline', 1, 65536);
  else if (!(c.sendModel.rate > 0)) errs.push(`sendModel.rate: expected > 0, got ${c.sendModel.rate}`);
  if (!TRAFFIC_KINDS.includes(c.traffic)) errs.push(`traffic: unknown kind ${String(c.traffic)}`);
  const f = c.offenderFraction;
  if (f !== undefined && !(f >= 0 && f <= 1)) errs.push(`offenderFraction: expected 0..1, got ${f}`);
  if (!(c.chaos.probability >= 0 && c.chaos.probability <= 1)) errs.push(`chaos.probability: expected 0..1, got ${c.chaos.probability}`);
  if (c.chaos.probability > 0 && c.chaos.actions.length === 0) errs.push('chaos.actions: empty while chaos.probability > 0');
  if (!(c.chaos.reconnectDelayMs.min >= 0 && c.chaos.reconnectDelayMs.max >= c.chaos.reconnectDelayMs.min)) {
    errs.push(`chaos.reconnectDelayMs: expected 0 <= min <= max, got ${c.chaos.reconnectDelayMs.min}..${c.chaos.reconnectDelayMs.max}`);
  }
  if (!(c.echoTimeoutMs >= 0)) errs.push(`echoTimeoutMs: expected >= 0, got ${c.echoTimeoutMs}`);
  if (!(c.drainTimeoutMs >= 0)) errs.push(`drainTimeoutMs: expected >= 0, got ${c.drainTimeoutMs}`);
  if (!(c.connectionLifetimeMs >= 0)) errs.push(`connectionLifetimeMs: expected >= 0, got ${c.connectionLifetimeMs}`);
  const refused = framingRefuses(c.framing, c.traffic);
  if (refused !== null) errs.push(`framing ${framingText(c.framing)}: ${refused}`);
  if (c.framing.kind !== 'raw' && c.payload.max > maxFramePayload(c.framing)) errs.push(`payload: max ${c.payload.max} is above what framing ${framingText(c.framing)} can announce (${maxFramePayload(c.framing)})`);
  c.stages?.forEach((st, i) => {
    if (!(st.durationSec >= 0)) errs.push(`stages[${i}].durationSec: expected >= 0, got ${st.durationSec}`);
    int(st.clients, `stages[${i}].clients`, 0, c.clients);
    if (st.rate !== null && !(st.rate >= 0)) errs.push(`stages[${i}].rate: expected >= 0, got ${st.rate}`);
    if (st.totalRate !== null && !(st.totalRate >= 0)) errs.push(`stages[${i}].totalRate: expected >= 0, got ${st.totalRate}`);
    if ((st.rate !== null || st.totalRate !== null) && c.sendModel.kind !== 'open') errs.push(`stages[${i}]: a rate needs the open-loop send model`);
  });
  return errs;
}

/** Splits n clients over w workers exactly: [from, to) per worker, sizes differing by at most one. */
export function splitClients(n: number, w: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const base = Math.floor(n / w);
  const extra = n % w;
  let from = 0;
  for (let i = 0; i < w; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push([from, from + size]);
    from += size;
  }
  return out;
}

export function workerFile(): string {
  return path.join(__dirname, 'worker.js');
}

/** The client process's CPU between two reads, percent of one core. */
class CpuMeter {
  private cpu = process.cpuUsage();
  private wall = performance.now();
  readonly samples: number[] = [];

  restart(): void {
    this.cpu = process.cpuUsage();
    this.wall = performance.now();
  }

  /** CPU since the last read (or restart), kept as a sample. */
  read(): number {
    const used = process.cpuUsage(this.cpu);
    const wall = performance.now();
    const percent = ((used.user + used.system) / 1000 / Math.max(1, wall - this.wall)) * 100;
    this.cpu = process.cpuUsage();
    this.wall = wall;
    this.samples.push(percent);
    return percent;
  }
}

/** Phase 1: one worker per share of the clients. */
function spawnWorkers(config: FleetConfig, file: string): Worker[] {
  const nWorkers = Math.max(1, Math.min(config.workers, Math.max(1, config.clients)));
  return splitClients(config.clients, nWorkers).map(([slotFrom, slotTo]) => {
    const init: PoolInit = { config, slotFrom, slotTo };
    return new Worker(file, { workerData: init });
  });
}

/** One run of the fleet, from spawned workers to the FleetResult; each phase is a method. */
class FleetRun {
  private failed = false;
  private stopping = false;
  private ready = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private t = 0;
  private readonly ticks: FleetTick[] = [];
  /** Interval reports by second, until every worker's has come. */
  private readonly pending = new Map<number, IntervalReport[]>();
  private readonly finals: Array<FinalReport | null>;
  private finalCount = 0;
  private readonly cpu = new CpuMeter();
  private readonly onAbort = (): void => this.stop();

  constructor(
    private readonly config: FleetConfig,
    private readonly workers: Worker[],
    private readonly opts: RunFleetOptions,
    private readonly resolve: (r: FleetResult) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.finals = workers.map(() => null);
  }

  listen(): void {
    this.workers.forEach((w, idx) => {
      w.on('message', (msg: WorkerToMain) => this.onMessage(idx, msg));
      w.on('error', (err) => this.fail(new Error(`fleet worker ${idx} crashed: ${err.message}`, { cause: err })));
      w.on('exit', (code) => {
        if (this.finals[idx] === null && !this.failed) this.fail(new Error(`fleet worker ${idx} exited (code ${code}) before its final report`));
      });
    });
    if (this.opts.signal?.aborted) this.stop();
    else this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private onMessage(idx: number, msg: WorkerToMain): void {
    if (this.failed) return;
    switch (msg.type) {
      case 'ready':
        if (++this.ready === this.workers.length && !this.stopping) this.open();
        return;
      case 'interval':
        this.collectInterval(msg.t, msg.report);
        return;
      case 'final':
        this.collectFinal(idx, msg.report);
        return;
    }
  }

  private send(msg: MainToWorker): void {
    for (const w of this.workers) w.postMessage(msg);
  }

  /** Phase 2: every worker is ready, so all start together; then one tick a second until the end. */
  private open(): void {
    this.send({ type: 'start', epochMs: Date.now() });
    this.cpu.restart();
    const totalTicks = Math.ceil(this.config.rampUpSec + this.config.durationSec);
    this.tickTimer = setInterval(() => {
      this.t++;
      this.send({ type: 'tick', t: this.t });
      if (this.t >= totalTicks) this.stop();
    }, 1000);
  }

  /** Phase 3 (load): a second is reported once every worker's interval for it has come. */
  private collectInterval(t: number, report: IntervalReport): void {
    const list = this.pending.get(t) ?? [];
    list.push(report);
    if (list.length < this.workers.length) {
      this.pending.set(t, list);
      return;
    }
    this.pending.delete(t);
    const tick = aggregateTick(t, list, this.cpu.read());
    this.ticks.push(tick);
    try {
      this.opts.onTick?.(tick);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Phase 4 (drain): at the end or on abort; the workers drain, classify and send their final reports. */
  private stop(): void {
    if (this.stopping || this.failed) return;
    this.stopping = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.send({ type: 'stop' });
  }

  /** Phase 5 (collect), then phase 6 (aggregate) once every worker's final report is in. */
  private collectFinal(idx: number, report: FinalReport): void {
    this.finals[idx] = report;
    if (++this.finalCount < this.workers.length) return;
    this.cleanup();
    this.resolve(
      aggregateResult({
        clients: this.config.clients,
        workers: this.workers.length,
        finals: this.finals as FinalReport[],
        ticks: this.ticks,
        cpuSamples: this.cpu.samples,
      }),
    );
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.cleanup();
    for (const w of this.workers) void w.terminate();
    this.reject(err);
  }

  private cleanup(): void {
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }
}

export async function runFleet(config: FleetConfig, opts: RunFleetOptions = {}): Promise<FleetResult> {
  const errs = validateFleetConfig(config);
  if (errs.length > 0) throw new RangeError(`invalid fleet config:\n  ${errs.join('\n  ')}`);
  const workers = spawnWorkers(config, opts.workerFile ?? workerFile());
  return new Promise<FleetResult>((resolve, reject) => new FleetRun(config, workers, opts, resolve, reject).listen());
}
