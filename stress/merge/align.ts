/**
 * The parts' per-second series on one wall clock: each part's second k is the fleet's second
 * k + offset, the offset being how many whole seconds after the earliest part its load started
 * (0 for every part when --start-at started them together). Pure.
 */
import type { ChaosCounts, FleetTick } from '../../dummy-client/types';
import { sumCounts } from './sum';
import type { Part } from './parts';

export interface Timeline {
  /** Per part, in the order given: whole seconds after the earliest part's load started. */
  offsets: number[];
  /** The latest part's start after the earliest's, seconds (ms precision). */
  skewSec: number;
}

export function timelineOf(parts: readonly Part[]): Timeline {
  const starts = parts.map((p) => Date.parse(p.report.shard?.loadStartedAt ?? p.report.meta.startedAt));
  const earliest = Math.min(...starts);
  return {
    offsets: starts.map((s) => Math.round((s - earliest) / 1000)),
    skewSec: Math.round(Math.max(...starts) - earliest) / 1000,
  };
}

/** Items keyed by second t (1-based), moved by each part's offset and combined per second. */
export function alignBySecond<T extends { t: number }>(series: ReadonlyArray<readonly T[]>, offsets: readonly number[], combine: (t: number, items: T[]) => T): T[] {
  const bySecond = new Map<number, T[]>();
  series.forEach((items, i) => {
    for (const item of items) {
      const t = item.t + (offsets[i] ?? 0);
      const list = bySecond.get(t) ?? [];
      list.push(item);
      bySecond.set(t, list);
    }
  });
  return [...bySecond.keys()].sort((a, b) => a - b).map((t) => combine(t, bySecond.get(t)!));
}

function total(items: readonly FleetTick[], key: 'connections' | 'connecting' | 'sent' | 'echoed' | 'bytesSent' | 'bytesEchoed' | 'errors' | 'cpuPercent' | 'behindSchedule'): number {
  return items.reduce((a, x) => a + x[key], 0);
}

/** The worst part's value: a second's percentile of the whole fleet is not known from the parts' (the whole run's is, from the histograms). */
function worst(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/**
 * One second of the fleet: counts summed (CPU too: the parts are separate processes), the
 * event-loop lag and the second's p50/p99 the worst part's (an upper bound).
 */
export function fleetSecond(t: number, items: FleetTick[]): FleetTick {
  const cuts = items.flatMap((x) => (x.cuts === undefined ? [] : [x.cuts]));
  return {
    t,
    connections: total(items, 'connections'),
    connecting: total(items, 'connecting'),
    sent: total(items, 'sent'),
    echoed: total(items, 'echoed'),
    bytesSent: total(items, 'bytesSent'),
    bytesEchoed: total(items, 'bytesEchoed'),
    p50: worst(items.map((x) => x.p50)),
    p99: worst(items.map((x) => x.p99)),
    errors: total(items, 'errors'),
    lagMs: Math.max(...items.map((x) => x.lagMs)),
    cpuPercent: Math.round(total(items, 'cpuPercent') * 10) / 10,
    behindSchedule: total(items, 'behindSchedule'),
    // Parts of an older version lack the per-second cuts: the merged second has them only when some part does.
    ...(cuts.length === 0 ? {} : { cuts: sumCounts<keyof ChaosCounts>(cuts) }),
  };
}
