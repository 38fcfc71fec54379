/**
 * The metric registry: every number a finished run is judged or shown by, written once with its
 * unit, its direction and how to read it from a RunReport (as k6's metrics/builtin.go). Scenario
 * gates, the always-on gates and user thresholds all name metrics from here. null means unknown:
 * a server metric when the target is external. Pure.
 */
import type { Percentiles, RunReport } from '../report/types';
import { ANOMALIES, DISCONNECT_REASONS, REJECT_REASONS, SERVER_COUNTERS, type ServerCounter, type ServerStats } from '../../server/types';
import { CHAOS_ACTIONS, INTEGRITY_CLASSES, isIntegrityError } from '../../dummy-client/types';
import { integrityErrors } from '../../dummy-client/integrity';

/** '' is a plain count. */
export type MetricUnit = 'ms' | '/s' | 'B/s' | 'MiB' | '%' | '';
/** none: a count that describes the run (how much was sent), neither better nor worse. */
export type Better = 'lower' | 'higher' | 'none';

export interface MetricDef {
  name: string;
  unit: MetricUnit;
  better: Better;
  description: string;
  read(report: RunReport): number | null;
  /** The short spelling thresholds accepted before the names were dotted (`lost` for integrity.lost); kept so users' CI keeps working. */
  alias?: string;
}

/** The sum of every anomaly counter (those an older server lacks count 0). */
export function anomalyTotal(a: Partial<ServerStats['anomalies']>): number {
  return ANOMALIES.reduce((sum, k) => sum + (a[k] ?? 0), 0);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

const PERCENTILE_KEYS = ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max', 'count'] as const satisfies ReadonlyArray<keyof Percentiles>;
/** The corrected statistics also known by their bare name (p99 is latency.p99). */
const BARE_LATENCY = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
const LATENCY_SETS = [
  { prefix: 'latency', set: 'corrected', what: 'echo latency (coordinated-omission corrected)' },
  { prefix: 'latency.uncorrected', set: 'uncorrected', what: 'echo latency as sent (uncorrected)' },
  { prefix: 'connect', set: 'connect', what: 'connect latency' },
] as const;
/**
 * Where each server counter is read: the traffic counters from the final stats; the session-state
 * counters at the quiet moment (stop() releases everything, so the final stats would always say 0).
 * server.sessions is the session count after the run (finalSessions), and server.probeCalls is newer.
 */
const QUIET_COUNTERS = ['pendingIoSessions', 'disconnectingSessions', 'freeSlots'] as const satisfies readonly ServerCounter[];
const FINAL_COUNTERS = SERVER_COUNTERS.filter(
  (k): k is Exclude<ServerCounter, (typeof QUIET_COUNTERS)[number] | 'sessions'> => k !== 'sessions' && !(QUIET_COUNTERS as readonly string[]).includes(k),
);

/** A server's stats are known only for the embedded server, and only once it printed them. */
function serverStats(r: RunReport): ServerStats | null {
  return r.target.kind === 'embedded' ? r.server.stats : null;
}

/** The stats at the quiet moment (every client gone, before stop()): what zombies and strands are judged on. */
function quietStats(r: RunReport): ServerStats | null {
  return r.target.kind === 'embedded' ? r.server.quiet ?? null : null;
}

function embeddedOnly<T>(r: RunReport, read: (r: RunReport) => T): T | null {
  return r.target.kind === 'embedded' ? read(r) : null;
}

function count(name: string, better: Better, description: string, read: (r: RunReport) => number | null, alias?: string): MetricDef {
  return alias === undefined ? { name, unit: '', better, description, read } : { name, unit: '', better, description, read, alias };
}

const integrityMetrics: MetricDef[] = [
  ...INTEGRITY_CLASSES.map((k) =>
    count(`integrity.${k}`, k === 'ok' ? 'higher' : isIntegrityError(k) ? 'lower' : 'none', `packets that ended ${k}`, (r) => r.results.integrity[k], k),
  ),
  count('integrity.errors', 'lower', 'corrupted + reordered + duplicated + unexpected + lost', (r) => integrityErrors(r.results.integrity)),
];

const latencyMetrics: MetricDef[] = [
  ...LATENCY_SETS.flatMap(({ prefix, set, what }) =>
    PERCENTILE_KEYS.map((k): MetricDef => ({
      name: `${prefix}.${k}`,
      unit: k === 'count' ? '' : 'ms',
      better: k === 'count' ? 'none' : 'lower',
      description: k === 'count' ? `samples of ${what}` : `${k} of ${what}`,
      read: (r) => r.results.latency[set][k],
    })),
  ),
  ...BARE_LATENCY.map((k): MetricDef => ({
    name: k, unit: 'ms', better: 'lower', description: `${k} of echo latency (corrected; latency.${k})`, read: (r) => r.results.latency.corrected[k],
  })),
];

const clientMetrics: MetricDef[] = [
  ...(['target', 'opened', 'peak', 'reconnects', 'connectErrors'] as const).map((k) =>
    count(`connections.${k}`, k === 'connectErrors' ? 'lower' : 'none', `connections ${k}`, (r) => r.results.connections[k], k === 'reconnects' ? k : undefined),
  ),
  count('connections.open', 'none', 'connections open in the last measured second', (r) => r.results.series.at(-1)?.connections ?? null),
  count('connectErrors', 'lower', 'connects that failed or timed out', (r) => r.results.connections.connectErrors),
  { name: 'throughput', unit: '/s', better: 'higher', description: 'echoes per second (mean over the measured seconds)', read: (r) => r.results.throughput.echoesPerSec },
  { name: 'throughput.bytes', unit: 'B/s', better: 'higher', description: 'bytes echoed per second', read: (r) => r.results.throughput.bytesPerSec, alias: 'bytesPerSec' },
  count('sent', 'none', 'packets sent', (r) => r.results.throughput.sent),
  count('echoed', 'none', 'packets echoed back', (r) => r.results.throughput.echoed),
  count('behindSchedule', 'lower', 'sends that fell behind the open-loop schedule', (r) => r.results.throughput.behindSchedule),
  count('delivered', 'none', '--protocol: correct messages caused by another connection\'s request (a chat relay)', (r) => r.results.throughput.delivered ?? 0),
  count('probesReceived', 'none', 'valid server probe packets received', (r) => r.results.throughput.probes ?? 0),
  count('errors', 'lower', "the live line's errors, summed over the seconds", (r) => sum(r.results.series.map((t) => t.errors))),
  ...CHAOS_ACTIONS.map((a) => count(`chaos.${a}`, 'none', `chaos cuts by ${a}`, (r) => r.results.chaos.counts[a] ?? 0)),
  count('chaos.total', 'none', 'chaos cuts of every action', (r) => sum(Object.values(r.results.chaos.counts))),
  count('clientErrors.total', 'lower', 'client errors of every code', (r) => sum(Object.values(r.results.clientErrors))),
  { name: 'client.maxLagMs', unit: 'ms', better: 'lower', description: "worst event-loop lag of the client's workers", read: (r) => r.results.client.maxLagMs },
  { name: 'client.cpuPercent', unit: '%', better: 'lower', description: 'client process CPU, percent of one core', read: (r) => r.results.client.meanCpuPercent },
];

const serverMetrics: MetricDef[] = [
  count('server.crashed', 'lower', '1 when the embedded server died during the run', (r) => embeddedOnly(r, (e) => Number(e.server.crashed))),
  count('server.leaked', 'lower', 'sessions accepted and never released', (r) => embeddedOnly(r, (e) => e.server.leaked), 'leaked'),
  count('server.sessions', 'lower', 'sessions still open at the end', (r) => embeddedOnly(r, (e) => e.server.finalSessions), 'sessions'),
  ...FINAL_COUNTERS.map((k) => count(`server.${k}`, 'none', `server stats ${k}`, (r) => serverStats(r)?.[k] ?? null)),
  count('server.probeCalls', 'none', "calls made by the server's probe thread", (r) => serverStats(r)?.probeCalls ?? null),
  ...REJECT_REASONS.map((k) => count(`server.rejected.${k}`, 'none', `connections refused (${k})`, (r) => serverStats(r)?.rejected[k] ?? null)),
  ...DISCONNECT_REASONS.map((k) => count(`server.disconnects.${k}`, 'none', `sessions released for ${k}`, (r) => serverStats(r)?.disconnects[k] ?? null)),
  // A report from a server older than a counter lacks it: unknown, not 0.
  ...ANOMALIES.map((k) => count(`server.anomalies.${k}`, 'lower', `anomaly ${k} (must be 0)`, (r) => serverStats(r)?.anomalies[k] ?? null)),
  // A session still disconnecting at the quiet moment was marked for release and never released: a zombie.
  count('server.zombies', 'lower', 'sessions still disconnecting at the quiet moment', (r) => quietStats(r)?.disconnectingSessions ?? null),
  ...QUIET_COUNTERS.map((k) => count(`server.quiet.${k}`, k === 'freeSlots' ? 'none' : 'lower', `${k} at the quiet moment`, (r) => quietStats(r)?.[k] ?? null)),
  // Packets queued with no send in flight while nothing else happens: stranded for good.
  count('server.quiet.strandedSessions', 'lower', 'sessions with packets queued and no send in flight at the quiet moment', (r) => quietStats(r)?.strandedSessions ?? null),
  // Packets still allocated when no session is left: released sessions leaked them.
  count('server.leakedPackets', 'lower', 'packets still allocated once no session is left', (r) => {
    const q = quietStats(r);
    return q === null || q.sessions !== 0 ? null : q.livePackets ?? null;
  }),
  { name: 'server.rssPeakMiB', unit: 'MiB', better: 'lower', description: "the server process's peak resident memory", read: (r) => {
    const mem = embeddedOnly(r, (e) => e.server.memory ?? null);
    return mem === null ? null : round1(mem.peakRssKiB / 1024);
  } },
  { name: 'server.rssGrowthMiB', unit: 'MiB', better: 'lower', description: 'resident memory growth since the server listened', read: (r) => {
    const mem = embeddedOnly(r, (e) => e.server.memory ?? null);
    return mem === null ? null : round1((mem.peakRssKiB - mem.rssAtListenKiB) / 1024);
  } },
];

export const METRICS: readonly MetricDef[] = [...integrityMetrics, ...latencyMetrics, ...clientMetrics, ...serverMetrics];

/**
 * Client error codes appear in a report only once seen, so `clientErrors.<code>` is open-ended: a code
 * never seen reads 0 (the absence a gate on it judges).
 */
export const CLIENT_ERROR_PREFIX = 'clientErrors.';

const BY_NAME: ReadonlyMap<string, MetricDef> = new Map(
  METRICS.flatMap((m): Array<[string, MetricDef]> => (m.alias === undefined ? [[m.name, m]] : [[m.name, m], [m.alias, m]])),
);

/** The metric a name or an old alias means; a clientErrors.<code> is a count of that code. */
export function findMetric(name: string): MetricDef | undefined {
  const known = BY_NAME.get(name);
  if (known !== undefined || !name.startsWith(CLIENT_ERROR_PREFIX) || name.length === CLIENT_ERROR_PREFIX.length) return known;
  const code = name.slice(CLIENT_ERROR_PREFIX.length);
  return count(name, 'lower', `client errors ${code}`, (r) => r.results.clientErrors[code] ?? 0);
}

export type Metrics = Record<string, number | null>;

/** Every registry metric of a finished run, and each client error code it saw, by name. */
export function reportMetrics(r: RunReport): Metrics {
  const m: Metrics = Object.fromEntries(METRICS.map((def) => [def.name, def.read(r)]));
  for (const [code, v] of Object.entries(r.results.clientErrors)) m[`${CLIENT_ERROR_PREFIX}${code}`] = v;
  return m;
}
