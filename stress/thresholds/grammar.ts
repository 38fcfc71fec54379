/**
 * The threshold grammar of `stress run --threshold` (k6-like): `metric op value`. A metric is a
 * latency statistic (any percentile, read from the histogram when the report does not list it) or
 * any metric of the registry (stress/run/metrics.ts), by its name or its old short alias (`lost`).
 * parseThreshold is pure; every error names the expression it came from.
 */
import { INTEGRITY_CLASSES } from '../../dummy-client/types';
import { findMetric, type MetricUnit } from '../run/metrics';
import { COMPARE_OPS, type CompareOp } from '../run/compare-op';

export type LatencySet = 'corrected' | 'uncorrected' | 'connect';

/** Metrics counted over the run that only ever grow while it lasts (an --abort-on-fail evaluator relies on it), by their short names. */
export const MONOTONE_COUNTERS = [
  'errors',
  'connectErrors',
  ...INTEGRITY_CLASSES,
] as const;
export type MonotoneCounter = (typeof MONOTONE_COUNTERS)[number];

export type LatencyStat = { kind: 'mean' } | { kind: 'min' } | { kind: 'max' } | { kind: 'percentile'; percentile: number };

export type ThresholdMetric =
  | { kind: 'latency'; set: LatencySet; stat: LatencyStat }
  /** name: the registry's name (integrity.lost, also when the user wrote lost). */
  | { kind: 'metric'; name: string; unit: MetricUnit };

export interface Threshold {
  /** The expression as the user wrote it (the gate's name). */
  text: string;
  metric: ThresholdMetric;
  /** The threshold's short metric name, e.g. "corrected.p99", "throughput", "lost" (a registry name where it has no alias). */
  metricName: string;
  op: CompareOp;
  /** Milliseconds for latency, echoes/s or bytes/s for rates, a plain number for counts. */
  value: number;
}

export class ThresholdError extends Error {
  constructor(readonly expression: string, reason: string) {
    super(`bad threshold "${expression}": ${reason}`);
    this.name = 'ThresholdError';
  }
}

export const THRESHOLD_HELP = `Thresholds (--threshold, repeatable): METRIC OP VALUE, e.g. 'p99<20ms'
  OP        < <= > >= == !=
  latency   p50 p90 p99 p999 (99.9) p9999 (99.99), any pNN or pNN.N, mean, min, max;
            corrected (coordinated-omission corrected) by default, or prefix
            uncorrected. / connect. (connect latency), e.g. 'uncorrected.p99<5ms'.
            Units us, ms (default), s.
  rates     throughput (echoes/s), bytesPerSec; suffixes k M G, e.g. 'throughput>100k'
  counts    errors (the live line's errors), connectErrors, reconnects,
            ok corrupted reordered duplicated unexpected lost abandoned (integrity),
            leaked sessions (server; unknown against an external target);
            suffixes k M G, e.g. 'lost==0', 'connectErrors<10'
  any other metric a scenario gate can name, e.g. 'server.anomalies.dirtySlot==0',
            'integrity.lost==0', 'server.rssGrowthMiB<64', 'clientErrors.ECONNRESET<5'
  A broken threshold makes the run exit 1; a malformed one exits 2.`;

const TIME_UNITS: Record<string, number> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000 };
const SCALE_UNITS: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

function parsePercentile(expr: string, digits: string): number {
  // p50 -> 50, p99.5 -> 99.5, p100 -> 100, and k6's shorthand p999 -> 99.9, p9999 -> 99.99. The shorthand
  // only reads after 99: p101 as 10.1 would be a guess nobody means.
  const shorthand = !digits.includes('.') && digits.length > 2 && digits !== '100';
  if (shorthand && !digits.startsWith('99')) throw new ThresholdError(expr, `percentile "p${digits}" is ambiguous: write it with a dot (p10.1, p99.9)`);
  const p = shorthand ? Number(`99.${digits.slice(2)}`) : Number(digits);
  if (!Number.isFinite(p) || p < 0 || p > 100) throw new ThresholdError(expr, `percentile "p${digits}" is not between 0 and 100`);
  return p;
}

function parseMetric(expr: string, raw: string): { metric: ThresholdMetric; name: string } {
  let text = raw;
  let set: LatencySet | null = null;
  for (const prefix of ['corrected', 'uncorrected', 'connect'] as const) {
    if (text.startsWith(`${prefix}.`)) {
      set = prefix;
      text = text.slice(prefix.length + 1);
      break;
    }
  }
  if (set === null && text.startsWith('latency.')) text = text.slice('latency.'.length);
  const pm = /^p(\d+(?:\.\d+)?)$/.exec(text);
  const s = set ?? 'corrected';
  if (pm) {
    const percentile = parsePercentile(expr, pm[1] ?? '');
    return { metric: { kind: 'latency', set: s, stat: { kind: 'percentile', percentile } }, name: `${s}.${text}` };
  }
  if (text === 'mean' || text === 'min' || text === 'max') {
    return { metric: { kind: 'latency', set: s, stat: { kind: text } }, name: `${s}.${text}` };
  }
  if (set !== null) throw new ThresholdError(expr, `"${raw}": after "${set}." comes a latency statistic (p50, p99, p999, mean, min, max)`);
  const def = findMetric(raw);
  if (def === undefined) {
    throw new ThresholdError(
      expr,
      `unknown metric "${raw}" (latency: p50 p90 p99 p999 mean min max, optionally uncorrected./connect.; or a metric of the registry: throughput, bytesPerSec, errors, connectErrors, reconnects, lost, leaked, integrity.*, server.*, clientErrors.<code>)`,
    );
  }
  return { metric: { kind: 'metric', name: def.name, unit: def.unit }, name: def.alias ?? def.name };
}

function parseValue(expr: string, raw: string, metric: ThresholdMetric): number {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zA-Zµ]*)$/.exec(raw);
  if (!m) throw new ThresholdError(expr, `value "${raw}" is not a number with an optional unit`);
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  if (metric.kind === 'latency' || metric.unit === 'ms') {
    if (unit === '') return n;
    const scale = TIME_UNITS[unit];
    if (scale === undefined) throw new ThresholdError(expr, `latency unit "${unit}" is not one of us, ms, s`);
    return n * scale;
  }
  if (unit === '') return n;
  const scale = SCALE_UNITS[unit];
  if (scale === undefined) {
    const hint = TIME_UNITS[unit] !== undefined ? ' (a time unit only fits a latency metric)' : '';
    throw new ThresholdError(expr, `suffix "${unit}" is not one of k, M, G${hint}`);
  }
  return n * scale;
}

export function parseThreshold(text: string): Threshold {
  const expr = text.trim();
  if (expr === '') throw new ThresholdError(text, 'empty expression');
  let at = -1;
  let op: CompareOp | null = null;
  for (let i = 0; i < expr.length && op === null; i++) {
    for (const candidate of COMPARE_OPS) {
      if (expr.startsWith(candidate, i)) {
        at = i;
        op = candidate;
        break;
      }
    }
    if (op === null && (expr[i] === '=' || expr[i] === '!')) throw new ThresholdError(text, `"${expr[i]}" alone is not an operator (use == or !=)`);
  }
  if (op === null) throw new ThresholdError(text, 'no operator (one of < <= > >= == !=)');
  const left = expr.slice(0, at).trim();
  const right = expr.slice(at + op.length).trim();
  if (left === '') throw new ThresholdError(text, 'no metric before the operator');
  if (right === '') throw new ThresholdError(text, 'no value after the operator');
  if (/[<>=!]/.test(right)) throw new ThresholdError(text, 'more than one operator');
  const { metric, name } = parseMetric(text, left);
  const value = parseValue(text, right, metric);
  if (value < 0) throw new ThresholdError(text, `value ${right} is negative`);
  return { text: expr, metric, metricName: name, op, value };
}

/** Every malformed expression's message, for the run's option validator (which reports all bad options at once). */
export function validateThresholds(texts: readonly string[]): string[] {
  const errors: string[] = [];
  for (const t of texts) {
    try {
      parseThreshold(t);
    } catch (e) {
      if (e instanceof ThresholdError) errors.push(`--threshold: ${e.message}`);
      else throw e;
    }
  }
  return errors;
}

/** "< 20 ms", "> 100000 /s", "== 0": the expected side as a GateVerdict shows it. */
export function describeExpected(t: Threshold): string {
  const unit = t.metric.kind === 'latency' ? 'ms' : t.metric.unit;
  return `${t.op} ${Number(t.value.toPrecision(12))}${unit === '' ? '' : ` ${unit}`}`;
}
