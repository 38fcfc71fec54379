/**
 * --abort-on-fail: decides, tick by tick, whether a threshold is already lost for
 * good, so the run can stop early. Only bounds that can never be won back are
 * decided here:
 * - an upper bound (<, <=, ==) on a counter that only grows (errors, connectErrors,
 *   integrity classes) once the counter has passed it;
 * - an upper bound on corrected max latency once any second's p99 has passed it
 *   (the max of the run is at least every second's p99).
 * Percentiles and rates can still recover, so they wait for the end of the run.
 */
import type { FleetTick } from '../../dummy-client/types';
import { MONOTONE_COUNTERS, type MonotoneCounter, type Threshold } from './grammar';

/** Cumulative counters the run may know live, beyond the ticks (e.g. integrity counts from the fleet). */
export type LiveCounters = Partial<Record<MonotoneCounter, number>>;

export interface LostThreshold {
  threshold: Threshold;
  /** The value that settled it. */
  actual: number;
  reason: string;
}

export interface AbortEvaluator {
  /** Feed one tick (and any cumulative counters known so far); returns every threshold lost so far. */
  observe(tick: FleetTick, counters?: LiveCounters): LostThreshold[];
  /** Thresholds this evaluator can settle early at all (the rest wait for the report). */
  readonly decidable: readonly Threshold[];
}

function isUpperBound(t: Threshold): boolean {
  return t.op === '<' || t.op === '<=' || t.op === '==';
}

/** True when a value that can only grow has already broken the bound. */
function brokenForGood(t: Threshold, value: number): boolean {
  return t.op === '<' ? value >= t.value : value > t.value;
}

function isMonotone(name: string): name is MonotoneCounter {
  return (MONOTONE_COUNTERS as readonly string[]).includes(name);
}

export function createAbortEvaluator(thresholds: readonly Threshold[]): AbortEvaluator {
  const decidable = thresholds.filter(
    (t) =>
      isUpperBound(t) &&
      ((t.metric.kind === 'metric' && isMonotone(t.metricName)) ||
        (t.metric.kind === 'latency' && t.metric.set === 'corrected' && t.metric.stat.kind === 'max')),
  );
  let errorsFromTicks = 0;
  let worstP99: number | null = null;
  const lost = new Map<Threshold, LostThreshold>();
  return {
    decidable,
    observe(tick: FleetTick, counters: LiveCounters = {}): LostThreshold[] {
      errorsFromTicks += tick.errors;
      if (tick.p99 !== null) worstP99 = Math.max(worstP99 ?? 0, tick.p99);
      for (const t of decidable) {
        if (lost.has(t)) continue;
        let value: number | undefined;
        let reason: string;
        if (t.metric.kind === 'metric') {
          const name = t.metricName as MonotoneCounter;
          value = name === 'errors' ? Math.max(errorsFromTicks, counters.errors ?? 0) : counters[name];
          reason = `${name} reached ${value} by second ${tick.t} and can only grow`;
        } else {
          value = worstP99 ?? undefined;
          reason = `second ${tick.t} had p99 ${worstP99} ms, so the run's max is at least that`;
        }
        if (value !== undefined && brokenForGood(t, value)) lost.set(t, { threshold: t, actual: value, reason });
      }
      return [...lost.values()];
    },
  };
}
