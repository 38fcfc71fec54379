/**
 * From per-repeat measurements to what `npm run bench:server` reports: each metric's median
 * and spread per server, and each lanserver backend's ratio to the C reference taken per
 * repeat (servers of one repeat ran back to back, so they shared that moment's machine noise)
 * and then summarised.
 */
import { ratio, spreadOf, type Spread } from '../lib/stats';
import type { ServerMeasurement } from './measure';
import { baseName, isLanserver, REFERENCE, type BaseServerName, type ServerName } from './servers';

export interface Metric {
  key: string;
  label: string;
  /** lower is better for every metric here */
  read: (m: ServerMeasurement) => number | null;
  /** the target for lanserver / C, where it sets one; a labelled build's row has its backend's */
  targets?: Partial<Record<BaseServerName, number>>;
}

const mb = (kb: number | null | undefined): number | null => (typeof kb === 'number' ? kb / 1024 : null);

export const METRICS: readonly Metric[] = [
  { key: 'cpuSecPerMEchoes', label: 'server CPU-s per 1M echoes (high rate)', read: (m) => m.cpu?.cpuSecPerMEchoes ?? null, targets: { 'lanserver-epoll': 0.9, 'lanserver-io_uring': 0.8 } },
  { key: 'lowRateCpuSecPerMEchoes', label: 'server CPU-s per 1M echoes (low rate)', read: (m) => m.latency?.cpuSecPerMEchoes ?? null },
  { key: 'p50Ms', label: 'p50 ms (low rate)', read: (m) => m.latency?.p50Ms ?? null },
  { key: 'p99Ms', label: 'p99 ms (low rate)', read: (m) => m.latency?.p99Ms ?? null, targets: { 'lanserver-epoll': 1.0, 'lanserver-io_uring': 1.0 } },
  { key: 'syscallsPerEcho', label: 'server syscalls per echo (high rate)', read: (m) => m.syscalls?.perEcho ?? null },
  { key: 'rssStartMb', label: 'RSS at start, MB', read: (m) => mb(m.rssStartKb) },
  { key: 'rssIdleMb', label: 'RSS with idle connections, MB', read: (m) => mb(m.idle?.rssKb) },
  { key: 'kbPerIdleConnection', label: 'KB per idle connection', read: (m) => m.idle?.kbPerConnection ?? null },
  { key: 'floodPeakMb', label: 'peak RSS in the flood, MB', read: (m) => mb(m.flood?.peakRssKb) },
  { key: 'cpuPassEchoesPerSec', label: 'echoes/s achieved (high rate)', read: (m) => m.cpu?.echoesPerSec ?? null },
  { key: 'latencyPassEchoesPerSec', label: 'echoes/s achieved (low rate)', read: (m) => m.latency?.echoesPerSec ?? null },
  { key: 'floodEchoesPerSec', label: 'echoes/s in the flood', read: (m) => m.flood?.echoesPerSec ?? null },
];

/** The metrics whose ratio to the reference is a headline (throughputs are context, not cost). */
export const RATIO_METRICS = ['cpuSecPerMEchoes', 'lowRateCpuSecPerMEchoes', 'p50Ms', 'p99Ms', 'syscallsPerEcho', 'rssIdleMb', 'floodPeakMb'] as const;

export type ServerSummary = Record<string, Record<string, Spread>>;

export function summarise(servers: readonly ServerName[], measurements: readonly ServerMeasurement[]): ServerSummary {
  const out: ServerSummary = {};
  for (const name of servers) {
    const mine = measurements.filter((m) => m.server === name);
    out[name] = Object.fromEntries(METRICS.map((metric) => [metric.key, spreadOf(mine.map(metric.read))]));
  }
  return out;
}

export interface RatioRow {
  perRepeat: Array<number | null>;
  spread: Spread;
  target: number | null;
  /** met, missed, or null when the issue sets no target or no ratio was measured */
  met: boolean | null;
}

export type Ratios = Record<string, Record<string, RatioRow>>;

/** `${server}/c-epoll` → metric → ratio per repeat and its spread, for every lanserver row in the run (other builds' too). */
export function ratiosToReference(servers: readonly ServerName[], measurements: readonly ServerMeasurement[], repeats: number): Ratios {
  const out: Ratios = {};
  if (!servers.includes(REFERENCE)) return out;
  for (const name of servers.filter(isLanserver)) {
    const rows: Record<string, RatioRow> = {};
    for (const key of RATIO_METRICS) {
      const metric = METRICS.find((m) => m.key === key)!;
      const perRepeat: Array<number | null> = [];
      for (let r = 1; r <= repeats; r++) {
        const mine = measurements.find((m) => m.server === name && m.repeat === r);
        const ref = measurements.find((m) => m.server === REFERENCE && m.repeat === r);
        perRepeat.push(mine && ref ? ratio(metric.read(mine), metric.read(ref)) : null);
      }
      const spread = spreadOf(perRepeat);
      const target = metric.targets?.[baseName(name)] ?? null;
      rows[key] = { perRepeat, spread, target, met: target === null || spread.median === null ? null : spread.median <= target };
    }
    out[`${name}/${REFERENCE}`] = rows;
  }
  return out;
}
