/**
 * Sets a base beside one or more heads, metric by metric, from the decoded histograms and the
 * per-second series. Each side is one run or several runs of the same settings (repeats).
 * Direction-aware (latency: lower is better, throughput: higher is better, integrity errors:
 * any increase is worse) and noise-aware: a change is only a regression when it is past both
 * the threshold and the noise. With one run per side the noise is read from the spread of that
 * run's seconds (which run-to-run spread can exceed: labelled so); with several runs per side
 * it is a rank test over the runs (rank.ts), as benchstat does. Pure.
 */
import type { RunReport } from '../report/types';
import { latencySummary } from '../report/histogram';
import { findMetric, type MetricUnit } from '../run/metrics';
import { INTEGRITY_ERRORS } from '../../dummy-client/types';
import { settingDifferences } from './settings';
import { bandAround, countNoise, logSpreadNoise } from './noise';
import { ALPHA, mannWhitneyP, median, smallestP } from './rank';

/** A compared metric always has a direction: 'none' registry metrics are not compared. */
export type Better = 'lower' | 'higher';
/** noise: judged against threshold and noise; zero: any increase is worse; info: shown, never judged. */
export type Tolerance = 'noise' | 'zero' | 'info';
export type Status = 'regression' | 'improvement' | 'within-noise' | 'same' | 'unknown' | 'info';

interface Derived {
  report: RunReport;
  corrected: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number; count: number };
  uncorrectedP99: number | null;
  connectP99: number | null;
  /** Seconds used for noise: the first second (connections still opening) is left out when there are three or more. */
  steady: RunReport['results']['series'];
}

interface MetricDef {
  key: string;
  label: string;
  unit: MetricUnit;
  better: Better;
  tolerance: Tolerance;
  value(d: Derived): number | null;
  /** Absolute noise of (head - base); only for tolerance 'noise'. */
  noise?(base: Derived, head: Derived): number;
}

function derive(report: RunReport): Derived {
  const h = report.results.latency.histograms;
  const c = latencySummary(h.corrected, [50, 90, 99, 99.9]);
  const u = latencySummary(h.uncorrected, [99]);
  const k = latencySummary(h.connect, [99]);
  const series = report.results.series;
  return {
    report,
    corrected: { p50: c.at[0] ?? 0, p90: c.at[1] ?? 0, p99: c.at[2] ?? 0, p999: c.at[3] ?? 0, max: c.max, mean: c.mean, count: c.count },
    uncorrectedP99: u.count === 0 ? null : (u.at[0] ?? null),
    connectP99: k.count === 0 ? null : (k.at[0] ?? null),
    steady: series.length >= 3 ? series.slice(1) : series,
  };
}

function perSecond(d: Derived, pick: (t: RunReport['results']['series'][number]) => number | null): number[] {
  return d.steady.map(pick).filter((x): x is number => x !== null);
}

/** Noise of a rate or latency statistic from one per-second series: its log-scale spread, as a band around the base value. */
function spreadNoise(pick: (t: RunReport['results']['series'][number]) => number | null, stat: (d: Derived) => number | null) {
  return (base: Derived, head: Derived): number => {
    const b = stat(base);
    const h = stat(head);
    if (b === null || h === null) return Number.POSITIVE_INFINITY;
    return bandAround(b, h, logSpreadNoise(perSecond(base, pick), perSecond(head, pick)));
  };
}

function sum(xs: Record<string, number>): number {
  return Object.values(xs).reduce((a, b) => a + b, 0);
}

const lat = (d: Derived, v: number): number | null => (d.corrected.count === 0 ? null : v);

/**
 * A row for a registry metric: its unit and direction come from the registry; the value is read
 * here, from the decoded histograms, so base and head are measured the same way whatever their versions.
 */
function row(key: string, metric: string, label: string, tolerance: Tolerance, value: MetricDef['value'], noise?: MetricDef['noise']): MetricDef {
  const def = findMetric(metric);
  if (def === undefined || def.better === 'none') throw new Error(`compare row ${key}: ${metric} is not a registry metric with a direction`);
  const base = { key, label, unit: def.unit, better: def.better, tolerance, value };
  return noise === undefined ? base : { ...base, noise };
}

export const METRICS: readonly MetricDef[] = [
  row('throughput', 'throughput', 'throughput (echoes/s)', 'noise', (d) => d.report.results.throughput.echoesPerSec,
    spreadNoise((t) => t.echoed, (d) => d.report.results.throughput.echoesPerSec)),
  row('bytesPerSec', 'throughput.bytes', 'bytes echoed/s', 'noise', (d) => d.report.results.throughput.bytesPerSec,
    spreadNoise((t) => t.bytesEchoed, (d) => d.report.results.throughput.bytesPerSec)),
  row('p50', 'p50', 'latency p50', 'noise', (d) => lat(d, d.corrected.p50), spreadNoise((t) => t.p50, (d) => lat(d, d.corrected.p50))),
  row('p90', 'p90', 'latency p90', 'noise', (d) => lat(d, d.corrected.p90), spreadNoise((t) => t.p99, (d) => lat(d, d.corrected.p90))),
  row('p99', 'p99', 'latency p99', 'noise', (d) => lat(d, d.corrected.p99), spreadNoise((t) => t.p99, (d) => lat(d, d.corrected.p99))),
  row('p999', 'p999', 'latency p99.9', 'noise', (d) => lat(d, d.corrected.p999), spreadNoise((t) => t.p99, (d) => lat(d, d.corrected.p999))),
  // The mean moves with the tail, so it takes the tail's (p99's) noise.
  row('mean', 'mean', 'latency mean', 'noise', (d) => lat(d, d.corrected.mean), spreadNoise((t) => t.p99, (d) => lat(d, d.corrected.mean))),
  // One sample decides the max: shown for the eye, never called a regression.
  row('max', 'max', 'latency max', 'info', (d) => lat(d, d.corrected.max)),
  row('uncorrected.p99', 'latency.uncorrected.p99', 'uncorrected p99', 'noise', (d) => d.uncorrectedP99, spreadNoise((t) => t.p99, (d) => d.uncorrectedP99)),
  row('connect.p99', 'connect.p99', 'connect p99', 'info', (d) => d.connectP99),
  row('connectErrors', 'connectErrors', 'connect errors', 'noise', (d) => d.report.results.connections.connectErrors,
    (a, b) => countNoise(a.report.results.connections.connectErrors, b.report.results.connections.connectErrors)),
  row('clientErrors', 'clientErrors.total', 'client errors', 'noise', (d) => sum(d.report.results.clientErrors),
    (a, b) => countNoise(sum(a.report.results.clientErrors), sum(b.report.results.clientErrors))),
  ...INTEGRITY_ERRORS.map((k) => row(k, `integrity.${k}`, `integrity ${k}`, 'zero', (d) => d.report.results.integrity[k])),
  row('leaked', 'server.leaked', 'server leaked', 'zero', (d) => d.report.server.leaked),
  // The registry judges each anomaly on its own (a gate each); a comparison shows their total.
  { key: 'anomalies', label: 'server anomalies', unit: '', better: 'lower', tolerance: 'zero',
    value: (d) => (d.report.server.stats === null ? null : sum(d.report.server.stats.anomalies)) },
  row('crashed', 'server.crashed', 'server crashed', 'zero', (d) => (d.report.target.kind === 'external' ? null : d.report.server.crashed ? 1 : 0)),
  // User thresholds are left out: two runs may be judged against different ones, and the
  // latency and throughput rows above already compare what thresholds measure.
  {
    key: 'failedGates', label: 'failed gates (not thresholds)', unit: '', better: 'lower', tolerance: 'zero',
    value: (d) => d.report.gates.filter((g) => g.kind !== 'threshold' && !g.unknown && !g.pass).length,
  },
];

export interface Cell {
  /** One run: its value; repeats: the median over the runs (a zero-tolerance metric: the worst run). */
  value: number | null;
  delta: number | null;
  /** delta / base; Infinity when base is 0 and head is not. */
  relative: number | null;
  /** One run per side: the absolute noise band of the difference; null with repeats. */
  noise: number | null;
  /** Repeats: the rank test's two-sided p-value over the runs of both sides; null with one run per side. */
  p: number | null;
  /** Repeats: the smallest and largest value over this side's runs; null with one run. */
  spread: [number, number] | null;
  status: Status;
}

export interface Row {
  key: string;
  label: string;
  unit: MetricDef['unit'];
  better: Better;
  tolerance: Tolerance;
  base: number | null;
  /** Repeats: the base's spread over its runs; null with one run. */
  baseSpread: [number, number] | null;
  heads: Cell[];
}

export interface BuildIdentity {
  label: string;
  commit: string | null;
  dirty: boolean | null;
  version: string;
  buildType: string;
  backend: string | null;
  node: string;
  host: string;
  startedAt: string;
  /** e.g. "a1b2c3d4e5-dirty Release epoll" */
  short: string;
}

/** How the sides were judged: one run each (per-second noise), or repeats (rank test over runs). */
export type CompareMethod = { kind: 'single' } | { kind: 'repeats'; runs: number[]; alpha: number; tooFew: boolean };

export interface Comparison {
  labels: string[];
  method: CompareMethod;
  scenario: string;
  builds: BuildIdentity[];
  /** One line per head: "same build as base" or what differs. */
  buildNotes: string[];
  /** Fraction, e.g. 0.05. */
  threshold: number;
  rows: Row[];
  regressions: Array<{ head: string; key: string; label: string; relative: number | null }>;
}

export function buildIdentity(label: string, r: RunReport): BuildIdentity {
  const m = r.meta;
  const commit = m.git.commit === null ? 'no-git' : m.git.commit.slice(0, 10);
  const dirty = m.git.dirty ? '-dirty' : '';
  return {
    label,
    commit: m.git.commit,
    dirty: m.git.dirty,
    version: m.tool.version,
    buildType: m.addon.buildType,
    backend: m.addon.backend,
    node: m.node,
    host: `${m.os.platform} ${m.os.release} ${m.cpu.model} x${m.cpu.cores}`,
    startedAt: m.startedAt,
    short: `${commit}${dirty} ${m.addon.buildType} ${m.addon.backend ?? '?'}`,
  };
}

/** What differs between two builds, in words; empty when they are the same build. */
export function buildDifferences(a: BuildIdentity, b: BuildIdentity): string[] {
  const diffs: string[] = [];
  if (a.commit !== b.commit) diffs.push(`commit ${a.commit?.slice(0, 10) ?? 'none'} → ${b.commit?.slice(0, 10) ?? 'none'}`);
  if (a.dirty !== b.dirty) diffs.push(`working tree ${a.dirty ? 'dirty' : 'clean'} → ${b.dirty ? 'dirty' : 'clean'}`);
  if (a.version !== b.version) diffs.push(`version ${a.version} → ${b.version}`);
  if (a.buildType !== b.buildType) diffs.push(`addon ${a.buildType} → ${b.buildType}`);
  if (a.backend !== b.backend) diffs.push(`backend ${a.backend ?? '?'} → ${b.backend ?? '?'}`);
  if (a.node !== b.node) diffs.push(`node ${a.node} → ${b.node}`);
  if (a.host !== b.host) diffs.push(`machine ${a.host} → ${b.host}`);
  return diffs;
}

function buildNote(base: BuildIdentity, head: BuildIdentity): string {
  const diffs = buildDifferences(base, head);
  if (diffs.length > 0) return `${head.label}: DIFFERENT BUILD from base: ${diffs.join(', ')}`;
  if (base.dirty) return `${head.label}: same commit as base, but both from a dirty tree: the builds may still differ`;
  return `${head.label}: same build as base (${base.short})`;
}

function judge(def: MetricDef, base: number | null, head: number | null, noise: number | null, threshold: number): Status {
  if (base === null || head === null) return 'unknown';
  if (def.tolerance === 'info') return 'info';
  const delta = head - base;
  if (delta === 0) return 'same';
  const worse = def.better === 'lower' ? delta > 0 : delta < 0;
  if (def.tolerance === 'zero') return worse ? 'regression' : 'improvement';
  const relative = base === 0 ? Number.POSITIVE_INFINITY : Math.abs(delta) / Math.abs(base);
  if (relative <= threshold) return 'same';
  if (noise !== null && Math.abs(delta) <= noise) return 'within-noise';
  return worse ? 'regression' : 'improvement';
}

/** One side of a comparison: a label (a file, or a directory of repeats) and its runs (one or more). */
export interface Side {
  label: string;
  reports: RunReport[];
}

function spreadOf(xs: readonly number[]): [number, number] | null {
  return xs.length < 2 ? null : [Math.min(...xs), Math.max(...xs)];
}

/** A side's values of one metric, one per run (null when any run cannot measure it). */
function valuesOf(def: MetricDef, side: readonly Derived[]): number[] | null {
  const xs = side.map((d) => def.value(d));
  return xs.some((x) => x === null) ? null : (xs as number[]);
}

/** Repeats: the value a side shows for a metric (the median; a zero-tolerance metric: its worst run). */
function sideValue(def: MetricDef, xs: readonly number[]): number {
  if (def.tolerance !== 'zero') return median(xs);
  return def.better === 'lower' ? Math.max(...xs) : Math.min(...xs);
}

function relativeOf(b: number | null, delta: number | null): number | null {
  if (delta === null || b === null) return null;
  return b === 0 ? (delta === 0 ? 0 : Number.POSITIVE_INFINITY) : delta / Math.abs(b);
}

function singleCell(def: MetricDef, base: Derived, head: Derived, threshold: number): Cell {
  const b = def.value(base);
  const h = def.value(head);
  const noise = def.tolerance === 'noise' && def.noise ? def.noise(base, head) : def.tolerance === 'zero' ? 0 : null;
  const delta = b === null || h === null ? null : h - b;
  return { value: h, delta, relative: relativeOf(b, delta), noise, p: null, spread: null, status: judge(def, b, h, noise, threshold) };
}

/** Repeats: medians compared, and a change only counts when the rank test over the runs says it is real (p <= ALPHA). */
function repeatsCell(def: MetricDef, base: readonly Derived[], head: readonly Derived[], threshold: number): Cell {
  const bs = valuesOf(def, base);
  const hs = valuesOf(def, head);
  if (bs === null || hs === null) return { value: hs === null ? null : sideValue(def, hs), delta: null, relative: null, noise: null, p: null, spread: null, status: 'unknown' };
  const b = sideValue(def, bs);
  const h = sideValue(def, hs);
  const delta = h - b;
  const p = def.tolerance === 'noise' ? mannWhitneyP(bs, hs) : null;
  let status = judge(def, b, h, null, threshold);
  if (def.tolerance === 'noise' && (status === 'regression' || status === 'improvement') && (p ?? 1) > ALPHA) status = 'within-noise';
  return { value: h, delta, relative: relativeOf(b, delta), noise: null, p, spread: spreadOf(hs), status };
}

/**
 * Sides of one schema version (the caller checks comparability); the first is the base.
 * threshold is a fraction (0.05 = 5 %).
 */
export function compareSides(sides: readonly Side[], threshold = 0): Comparison {
  if (sides.length < 2 || sides.some((s) => s.reports.length === 0)) throw new RangeError('compareSides needs a base and at least one head, each with a report');
  const labels = sides.map((s) => s.label);
  const derived = sides.map((s) => s.reports.map(derive));
  const [base, ...heads] = derived as [Derived[], ...Derived[][]];
  const repeats = sides.some((s) => s.reports.length > 1);
  const runs = sides.map((s) => s.reports.length);
  const method: CompareMethod = repeats
    ? { kind: 'repeats', runs, alpha: ALPHA, tooFew: runs.slice(1).some((n) => smallestP(runs[0] ?? 1, n) > ALPHA) }
    : { kind: 'single' };
  const rows: Row[] = METRICS.map((def) => {
    const bs = valuesOf(def, base);
    return {
      key: def.key,
      label: def.label,
      unit: def.unit,
      better: def.better,
      tolerance: def.tolerance,
      base: bs === null ? null : repeats ? sideValue(def, bs) : (bs[0] ?? null),
      baseSpread: bs === null ? null : spreadOf(bs),
      heads: heads.map((hd) => (repeats ? repeatsCell(def, base, hd, threshold) : singleCell(def, base[0] as Derived, hd[0] as Derived, threshold))),
    };
  });
  const regressions: Comparison['regressions'] = [];
  for (const row of rows) {
    row.heads.forEach((cell, i) => {
      if (cell.status === 'regression') regressions.push({ head: labels[i + 1] ?? '', key: row.key, label: row.label, relative: cell.relative });
    });
  }
  // A side's build is its first run's; the repeats of one side are checked to be one build by the caller.
  const builds = sides.map((s) => buildIdentity(s.label, s.reports[0] as RunReport));
  return {
    labels,
    method,
    scenario: sides[0]?.reports[0]?.scenario.name ?? '',
    builds,
    buildNotes: builds.slice(1).map((b) => buildNote(builds[0] as BuildIdentity, b)),
    threshold,
    rows,
    regressions,
  };
}

/** One run per side: compareSides with each report its own side. */
export function compareReports(labels: readonly string[], reports: readonly RunReport[], threshold = 0): Comparison {
  if (reports.length < 2 || labels.length !== reports.length) throw new RangeError('compareReports needs a base and at least one head, each labelled');
  return compareSides(reports.map((r, i) => ({ label: labels[i] ?? `#${i}`, reports: [r] })), threshold);
}

/**
 * Why these sides cannot be compared: reports of different schema versions (never), or runs
 * whose settings differ (settings.ts), within a side or against the base, unless allowDifferent.
 * Null when they can.
 */
export function incomparable(sides: readonly Side[], allowDifferent: boolean): string | null {
  const first = sides[0]?.reports[0];
  if (!first) return null;
  const baseLabel = sides[0]?.label ?? '';
  const problems: string[] = [];
  for (const side of sides) {
    for (const r of side.reports) {
      if (r.schemaVersion !== first.schemaVersion) {
        return `${side.label} has report schemaVersion ${r.schemaVersion} but ${baseLabel} has ${first.schemaVersion}: reports of different schema versions cannot be compared`;
      }
    }
    if (allowDifferent) continue;
    const own = side.reports[0] as RunReport;
    side.reports.slice(1).forEach((r, i) => {
      const diffs = [...settingDifferences(own, r), ...buildDifferences(buildIdentity('', own), buildIdentity('', r))];
      if (diffs.length > 0) problems.push(`the runs of ${side.label} differ among themselves (run ${i + 2}: ${diffs.join(', ')}): repeats must be one build with one set of settings`);
    });
    if (side === sides[0]) continue;
    const diffs = settingDifferences(first, own);
    if (diffs.length > 0) problems.push(`${side.label} differs from ${baseLabel} in ${diffs.join(', ')}`);
  }
  if (problems.length === 0) return null;
  return `${problems.join('; ')}: runs of different settings are different experiments (--allow-different compares them anyway)`;
}
