/**
 * The few fields of a stress run report (stress/report/types.ts) that `npm run bench:fleet`
 * reads, checked at the boundary: the report format is worked on while this bench exists, so
 * only what is used is required, and a missing field is an error naming it.
 */
import { readFileSync } from 'node:fs';

export interface StressSecond {
  t: number;
  echoed: number;
  lagMs: number;
  connections: number;
}

export interface StressReportFields {
  startedAtMs: number;
  series: StressSecond[];
  echoed: number;
  verified: number;
  integrityErrors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxLagMs: number;
  workers: number;
  /** The fleet's sockets as the run resolved them (options.io); a report from before --io has none: net, its only layer. */
  io: string;
}

type Obj = Record<string, unknown>;

function field(obj: unknown, pathText: string): unknown {
  let at: unknown = obj;
  for (const key of pathText.split('.')) {
    if (typeof at !== 'object' || at === null) throw new Error(`stress report has no ${pathText}`);
    at = (at as Obj)[key];
  }
  return at;
}

function optionalText(obj: unknown, pathText: string): string | null {
  const v = field(obj, pathText);
  return typeof v === 'string' ? v : null;
}

function numberAt(obj: unknown, pathText: string): number {
  const v = field(obj, pathText);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`stress report: ${pathText} is not a number`);
  return v;
}

export function readStressReport(file: string): StressReportFields {
  const report: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const started = Date.parse(String(field(report, 'meta.startedAt')));
  if (!Number.isFinite(started)) throw new Error('stress report: meta.startedAt is not a date');
  const rawSeries = field(report, 'results.series');
  if (!Array.isArray(rawSeries)) throw new Error('stress report: results.series is not a list');
  const series = rawSeries.map((s: unknown) => ({ t: numberAt(s, 't'), echoed: numberAt(s, 'echoed'), lagMs: numberAt(s, 'lagMs'), connections: numberAt(s, 'connections') }));
  const integrity = field(report, 'results.integrity') as Obj;
  const errors = ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'].reduce((sum, k) => sum + (typeof integrity[k] === 'number' ? (integrity[k] as number) : 0), 0);
  const percentile = (p: string): number | null => {
    const v = field(report, `results.latency.corrected.${p}`);
    return typeof v === 'number' ? v : null;
  };
  return {
    startedAtMs: started,
    series,
    echoed: numberAt(report, 'results.throughput.echoed'),
    verified: numberAt(report, 'results.integrity.ok'),
    integrityErrors: errors,
    p50Ms: percentile('p50'),
    p99Ms: percentile('p99'),
    maxLagMs: numberAt(report, 'results.client.maxLagMs'),
    workers: numberAt(report, 'results.client.workers'),
    io: optionalText(report, 'options.io') ?? 'net',
  };
}
