/**
 * Thresholds against a finished RunReport: one GateVerdict (kind 'threshold') each.
 * Latency comes from the report's percentiles, or from its HDR histogram for a
 * percentile the report does not list.
 */
import type { GateVerdict, Percentiles, RunReport } from '../report/types';
import { percentileOf } from '../report/histogram';
import { findMetric } from '../run/metrics';
import { compareValues } from '../run/compare-op';
import { describeExpected, parseThreshold, type Threshold, type ThresholdMetric } from './grammar';

const LISTED: Array<[number, keyof Percentiles]> = [
  [0, 'min'],
  [50, 'p50'],
  [90, 'p90'],
  [99, 'p99'],
  [99.9, 'p999'],
  [100, 'max'],
];

/**
 * The measured value of a threshold's metric, in its registry unit (ms for latency).
 * null when it is unknown (server metrics of an external target) or there is no sample.
 */
export function metricValue(report: RunReport, metric: ThresholdMetric): number | null {
  const r = report.results;
  switch (metric.kind) {
    case 'latency': {
      const p = r.latency[metric.set];
      if (p.count === 0) return null;
      const stat = metric.stat;
      if (stat.kind !== 'percentile') return p[stat.kind];
      const listed = LISTED.find(([pct]) => pct === stat.percentile);
      if (listed) return p[listed[1]];
      return percentileOf(r.latency.histograms[metric.set], stat.percentile);
    }
    case 'metric':
      return findMetric(metric.name)?.read(report) ?? null;
  }
}

export function evaluateThreshold(report: RunReport, t: Threshold): GateVerdict {
  const actual = metricValue(report, t.metric);
  const expected = describeExpected(t);
  const serverSide = t.metric.kind === 'metric' && t.metric.name.startsWith('server.');
  if (actual === null && serverSide) {
    // An external target's server is not ours to inspect: the gate is unknown, neither pass nor fail.
    return { name: t.text, kind: 'threshold', pass: false, actual: null, expected: `${expected} (no server stats)`, unknown: true };
  }
  if (actual === null) {
    // A latency bound over a run that echoed nothing is not met: there is nothing to show it was.
    return { name: t.text, kind: 'threshold', pass: false, actual: null, expected: `${expected} (no samples)`, unknown: false };
  }
  return { name: t.text, kind: 'threshold', pass: compareValues(actual, t.op, t.value), actual, expected, unknown: false };
}

export function evaluateThresholds(report: RunReport, thresholds: ReadonlyArray<Threshold | string>): GateVerdict[] {
  return thresholds.map((t) => evaluateThreshold(report, typeof t === 'string' ? parseThreshold(t) : t));
}
