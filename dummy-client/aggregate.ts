/**
 * Merging what the workers report into what the fleet returns (as autocannon's
 * lib/aggregateResult.js): one FleetTick from a second's interval reports, one FleetResult from
 * the final reports. Pure: no threads, clocks or sockets, so every rule is unit-tested
 * (test/dummy-client/aggregate.test.ts).
 */
import { CHAOS_ACTIONS, type ChaosCounts, type ChaosCut, type FleetResult, type FleetTick } from './types';
import { addCounts, emptyCounts } from './integrity';
import { encodeHistogram, mergeEncoded } from './latency';
import { MAX_CUTS, emptyChaosCounts, type FinalReport, type IntervalReport } from './pool';

/** One decimal place: the precision the ticks and the report show. */
function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function sumOf<T>(items: readonly T[], field: (item: T) => number): number {
  return items.reduce((a, item) => a + field(item), 0);
}

function percentileMs(h: ReturnType<typeof mergeEncoded>, p: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(p) / 1000;
}

/** Second `t` of the run from every worker's interval report and the client's CPU that second. */
export function aggregateTick(t: number, reports: readonly IntervalReport[], cpuPercent: number): FleetTick {
  const h = mergeEncoded(reports.map((r) => r.histogram));
  const sum = (f: (r: IntervalReport) => number): number => sumOf(reports, f);
  return {
    t,
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
    cpuPercent: round1(cpuPercent),
    behindSchedule: sum((r) => r.behindSchedule),
    cuts: sumCuts(reports),
  };
}

function sumCuts(reports: readonly IntervalReport[]): ChaosCounts {
  const total = emptyChaosCounts();
  for (const r of reports) for (const a of CHAOS_ACTIONS) total[a] += r.cuts[a];
  return total;
}

export interface AggregateInput {
  /** --clients: the peak is capped by it (workers count their own peaks at different moments). */
  clients: number;
  workers: number;
  /** One per worker, in worker order. */
  finals: readonly FinalReport[];
  ticks: FleetTick[];
  /** The client's CPU each second, percent of one core. */
  cpuSamples: readonly number[];
}

/** Cuts of every worker in time order (serial breaks ties), the first MAX_CUTS. */
function mergeCuts(finals: readonly FinalReport[]): ChaosCut[] {
  const cuts = finals.flatMap((r) => r.cuts);
  cuts.sort((a, b) => a.atMs - b.atMs || a.serial - b.serial);
  return cuts.slice(0, MAX_CUTS);
}

function mergeErrors(finals: readonly FinalReport[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const r of finals) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  return errors;
}

/** The fleet's result: counters summed, histograms merged, cuts in order, the peak bounded by the target. */
export function aggregateResult(input: AggregateInput): FleetResult {
  const { finals, ticks } = input;
  const sum = (f: (r: FinalReport) => number): number => sumOf(finals, f);
  const integrity = emptyCounts();
  const chaos = emptyChaosCounts();
  for (const r of finals) {
    addCounts(integrity, r.integrity);
    for (const k of Object.keys(chaos) as Array<keyof typeof chaos>) chaos[k] += r.chaos[k];
  }
  const peak = Math.min(input.clients, Math.max(sum((r) => r.peak), ...ticks.map((x) => x.connections)));
  const meanCpu = input.cpuSamples.length === 0 ? 0 : sumOf(input.cpuSamples, (v) => v) / input.cpuSamples.length;
  const maxLagMs = Math.max(0, ...finals.map((r) => r.maxLagMs));
  const mergedHistogram = (pick: (r: FinalReport) => string): string => encodeHistogram(mergeEncoded(finals.map(pick)));
  return {
    ticks,
    totals: {
      sent: sum((r) => r.counters.sent),
      echoed: sum((r) => r.counters.echoed),
      bytesSent: sum((r) => r.counters.bytesSent),
      bytesEchoed: sum((r) => r.counters.bytesEchoed),
      behindSchedule: sum((r) => r.counters.behindSchedule),
      late: sum((r) => r.counters.late),
      probes: sum((r) => r.counters.probes),
      delivered: sum((r) => r.counters.delivered),
    },
    connections: {
      target: input.clients,
      opened: sum((r) => r.counters.opened),
      peak,
      reconnects: sum((r) => r.counters.reconnects),
      connectErrors: sum((r) => r.counters.connectErrors),
    },
    integrity,
    chaos,
    cuts: mergeCuts(finals),
    errors: mergeErrors(finals),
    histograms: {
      corrected: mergedHistogram((r) => r.histograms.corrected),
      uncorrected: mergedHistogram((r) => r.histograms.uncorrected),
      connect: mergedHistogram((r) => r.histograms.connect),
      lag: mergedHistogram((r) => r.histograms.lag),
    },
    client: { maxLagMs: round1(maxLagMs), meanCpuPercent: round1(meanCpu), workers: input.workers },
  };
}
