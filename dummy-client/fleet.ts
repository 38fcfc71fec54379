/**
 * runFleet: the main-thread side of the fleet. It never touches a socket: it spawns the workers,
 * splits the clients exactly between them, asks each for an interval report once a second,
 * merges those into a FleetTick, and at the end stops them (they drain and classify) and merges
 * their final reports into the FleetResult.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { TRAFFIC_KINDS, type ChaosCut, type FleetConfig, type FleetResult, type FleetTick } from './types';
import { addCounts, emptyCounts } from './integrity';
import { encodeHistogram, mergeEncoded } from './latency';
import { MAX_CUTS, emptyChaosCounts, type FinalReport, type IntervalReport, type PoolInit } from './pool';
import type { MainToWorker, WorkerToMain } from './worker';

export interface RunFleetOptions {
  onTick?: (t: FleetTick) => void;
  signal?: AbortSignal;
  /** Worker entry to run instead of worker.js (tests use it to prove a crash is reported). */
  workerFile?: string;
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isLoopback(host: string): boolean {
  const m = LOOPBACK_V4.exec(host);
  if (m !== null) return m.slice(1).every((o) => Number(o) <= 255);
  return host === 'localhost' || host === '::1';
}

/** Every problem with a config at once (empty = valid). Names the field that is wrong. */
export function validateFleetConfig(c: FleetConfig): string[] {
  const errs: string[] = [];
  const int = (v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max) errs.push(`${name}: expected an integer in ${min}..${max}, got ${v}`);
  };
  if (!isLoopback(c.host)) errs.push(`host: only loopback (127.0.0.0/8, localhost, ::1) may be a load target, got ${c.host}`);
  for (const ip of c.sourceIps) if (LOOPBACK_V4.exec(ip) === null) errs.push(`sourceIps: ${ip} is not in 127.0.0.0/8`);
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

function percentileMs(h: ReturnType<typeof mergeEncoded>, p: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(p) / 1000;
}

export async function runFleet(config: FleetConfig, opts: RunFleetOptions = {}): Promise<FleetResult> {
  const errs = validateFleetConfig(config);
  if (errs.length > 0) throw new RangeError(`invalid fleet config:\n  ${errs.join('\n  ')}`);
  const nWorkers = Math.max(1, Math.min(config.workers, Math.max(1, config.clients)));
  const ranges = splitClients(config.clients, nWorkers);
  const workers = ranges.map(([slotFrom, slotTo]) => {
    const init: PoolInit = { config, slotFrom, slotTo };
    return new Worker(opts.workerFile ?? workerFile(), { workerData: init });
  });

  return new Promise<FleetResult>((resolve, reject) => {
    let failed = false;
    let ready = 0;
    let tickTimer: NodeJS.Timeout | null = null;
    let t = 0;
    let stopping = false;
    const ticks: FleetTick[] = [];
    const pending = new Map<number, IntervalReport[]>();
    const finals: Array<FinalReport | null> = workers.map(() => null);
    let finalCount = 0;
    let cpuLast = process.cpuUsage();
    let wallLast = performance.now();
    const cpuSamples: number[] = [];

    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      cleanup();
      for (const w of workers) void w.terminate();
      reject(err);
    };
    const cleanup = (): void => {
      if (tickTimer !== null) clearInterval(tickTimer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const send = (msg: MainToWorker): void => {
      for (const w of workers) w.postMessage(msg);
    };
    const stop = (): void => {
      if (stopping || failed) return;
      stopping = true;
      if (tickTimer !== null) clearInterval(tickTimer);
      send({ type: 'stop' });
    };
    const onAbort = (): void => stop();

    const emitTick = (tick: number, reports: IntervalReport[]): void => {
      const h = mergeEncoded(reports.map((r) => r.histogram));
      const cpu = process.cpuUsage(cpuLast);
      const wall = performance.now();
      const cpuPercent = ((cpu.user + cpu.system) / 1000 / Math.max(1, wall - wallLast)) * 100;
      cpuLast = process.cpuUsage();
      wallLast = wall;
      cpuSamples.push(cpuPercent);
      const sum = (f: (r: IntervalReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
      const ft: FleetTick = {
        t: tick,
        connections: sum((r) => r.connections),
        connecting: sum((r) => r.connecting),
        sent: sum((r) => r.sent),
        echoed: sum((r) => r.echoed),
        bytesSent: sum((r) => r.bytesSent),
        bytesEchoed: sum((r) => r.bytesEchoed),
        p50: percentileMs(h, 50),
        p99: percentileMs(h, 99),
        errors: sum((r) => r.errors),
        lagMs: Math.max(0, ...reports.map((r) => r.lagMs)),
        cpuPercent: Math.round(cpuPercent * 10) / 10,
        behindSchedule: sum((r) => r.behindSchedule),
      };
      ticks.push(ft);
      try {
        opts.onTick?.(ft);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    };

    const finish = (): void => {
      cleanup();
      const reports = finals as FinalReport[];
      const integrity = emptyCounts();
      const chaos = emptyChaosCounts();
      const errors: Record<string, number> = {};
      const cuts: ChaosCut[] = [];
      const totals = { sent: 0, echoed: 0, bytesSent: 0, bytesEchoed: 0, behindSchedule: 0, late: 0, probes: 0 };
      const conns = { target: config.clients, opened: 0, peak: 0, reconnects: 0, connectErrors: 0 };
      let maxLagMs = 0;
      for (const r of reports) {
        addCounts(integrity, r.integrity);
        for (const k of Object.keys(chaos) as Array<keyof typeof chaos>) chaos[k] += r.chaos[k];
        for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
        cuts.push(...r.cuts);
        totals.sent += r.counters.sent;
        totals.echoed += r.counters.echoed;
        totals.bytesSent += r.counters.bytesSent;
        totals.bytesEchoed += r.counters.bytesEchoed;
        totals.behindSchedule += r.counters.behindSchedule;
        totals.late += r.counters.late;
        totals.probes += r.counters.probes;
        conns.opened += r.counters.opened;
        conns.reconnects += r.counters.reconnects;
        conns.connectErrors += r.counters.connectErrors;
        conns.peak += r.peak;
        maxLagMs = Math.max(maxLagMs, r.maxLagMs);
      }
      conns.peak = Math.min(config.clients, Math.max(conns.peak, ...ticks.map((x) => x.connections)));
      cuts.sort((a, b) => a.atMs - b.atMs || a.serial - b.serial);
      const meanCpu = cpuSamples.length === 0 ? 0 : cpuSamples.reduce((a, b) => a + b, 0) / cpuSamples.length;
      resolve({
        ticks,
        totals,
        connections: conns,
        integrity,
        chaos,
        cuts: cuts.slice(0, MAX_CUTS),
        errors,
        histograms: {
          corrected: encodeHistogram(mergeEncoded(reports.map((r) => r.histograms.corrected))),
          uncorrected: encodeHistogram(mergeEncoded(reports.map((r) => r.histograms.uncorrected))),
          connect: encodeHistogram(mergeEncoded(reports.map((r) => r.histograms.connect))),
        },
        client: { maxLagMs: Math.round(maxLagMs * 10) / 10, meanCpuPercent: Math.round(meanCpu * 10) / 10, workers: nWorkers },
      });
    };

    workers.forEach((w, idx) => {
      w.on('message', (msg: WorkerToMain) => {
        if (failed) return;
        switch (msg.type) {
          case 'ready':
            if (++ready === workers.length && !stopping) {
              send({ type: 'start', epochMs: Date.now() });
              cpuLast = process.cpuUsage();
              wallLast = performance.now();
              const totalTicks = Math.ceil(config.rampUpSec + config.durationSec);
              tickTimer = setInterval(() => {
                t++;
                send({ type: 'tick', t });
                if (t >= totalTicks) stop();
              }, 1000);
            }
            return;
          case 'interval': {
            const list = pending.get(msg.t) ?? [];
            list.push(msg.report);
            if (list.length === workers.length) {
              pending.delete(msg.t);
              emitTick(msg.t, list);
            } else pending.set(msg.t, list);
            return;
          }
          case 'final':
            finals[idx] = msg.report;
            if (++finalCount === workers.length) finish();
            return;
        }
      });
      w.on('error', (err) => fail(new Error(`fleet worker ${idx} crashed: ${err.message}`, { cause: err })));
      w.on('exit', (code) => {
        if (finals[idx] === null && !failed) fail(new Error(`fleet worker ${idx} exited (code ${code}) before its final report`));
      });
    });

    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
