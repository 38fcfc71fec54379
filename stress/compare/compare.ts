/**
 * Sets a base report beside one or more heads, metric by metric, from the decoded
 * histograms and the per-second series. Direction-aware (latency: lower is better,
 * throughput: higher is better, integrity errors: any increase is worse) and
 * noise-aware: a change is only a regression when it is past both the threshold
 * and the noise estimated from the per-second samples. Pure.
 */
import type { RunReport } from '../report/types';
import { latencySummary } from '../report/histogram';
import { findMetric, type MetricUnit } from '../run/metrics';
import { INTEGRITY_ERRORS } from '../../dummy-client/types';
import { bandAround, countNoise, logSpreadNoise } from './noise';

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
  value: number | null;
  delta: number | null;
  /** delta / base; Infinity when base is 0 and head is not. */
  relative: number | null;
  noise: number | null;
  status: Status;
}

export interface Row {
  key: string;
  label: string;
  unit: MetricDef['unit'];
  better: Better;
  tolerance: Tolerance;
  base: number | null;
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

export interface Comparison {
  labels: string[];
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

/** Reports of one scenario and schema version (the caller checks); threshold is a fraction (0.05 = 5 %). */
export function compareReports(labels: readonly string[], reports: readonly RunReport[], threshold = 0): Comparison {
  if (reports.length < 2 || labels.length !== reports.length) throw new RangeError('compareReports needs a base and at least one head, each labelled');
  const derived = reports.map(derive);
  const [base, ...heads] = derived as [Derived, ...Derived[]];
  const builds = reports.map((r, i) => buildIdentity(labels[i] ?? `#${i}`, r));
  const rows: Row[] = METRICS.map((def) => {
    const b = def.value(base);
    return {
      key: def.key,
      label: def.label,
      unit: def.unit,
      better: def.better,
      tolerance: def.tolerance,
      base: b,
      heads: heads.map((hd): Cell => {
        const h = def.value(hd);
        const noise = def.tolerance === 'noise' && def.noise ? def.noise(base, hd) : def.tolerance === 'zero' ? 0 : null;
        const delta = b === null || h === null ? null : h - b;
        const relative = delta === null || b === null ? null : b === 0 ? (delta === 0 ? 0 : Number.POSITIVE_INFINITY) : delta / Math.abs(b);
        return { value: h, delta, relative, noise, status: judge(def, b, h, noise, threshold) };
      }),
    };
  });
  const regressions: Comparison['regressions'] = [];
  for (const row of rows) {
    row.heads.forEach((cell, i) => {
      if (cell.status === 'regression') regressions.push({ head: labels[i + 1] ?? '', key: row.key, label: row.label, relative: cell.relative });
    });
  }
  return {
    labels: [...labels],
    scenario: reports[0]?.scenario.name ?? '',
    builds,
    buildNotes: builds.slice(1).map((b) => buildNote(builds[0] as BuildIdentity, b)),
    threshold,
    rows,
    regressions,
  };
}

/** Why these reports cannot be compared (schema versions or scenarios differ), or null. */
export function incomparable(labels: readonly string[], reports: readonly RunReport[]): string | null {
  const first = reports[0];
  if (!first) return null;
  for (let i = 1; i < reports.length; i++) {
    const r = reports[i] as RunReport;
    if (r.schemaVersion !== first.schemaVersion) {
      return `${labels[i]} has report schemaVersion ${r.schemaVersion} but ${labels[0]} has ${first.schemaVersion}: reports of different schema versions cannot be compared`;
    }
    if (r.scenario.name !== first.scenario.name) {
      return `${labels[i]} ran scenario "${r.scenario.name}" but ${labels[0]} ran "${first.scenario.name}": runs of different scenarios cannot be compared`;
    }
  }
  return null;
}
