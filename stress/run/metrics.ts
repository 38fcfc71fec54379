/**
 * A finished run as flat, dotted metric names (what scenario gates and user
 * thresholds compare against). null means unknown: a server metric when the
 * target is external. Pure.
 */
import type { RunReport } from '../report/types';
import type { DisconnectReason, ServerStats } from '../../server/types';

export const DISCONNECT_REASONS: readonly DisconnectReason[] = ['peerClosed', 'peerReset', 'protocol', 'sendQueueFull', 'kicked', 'stopping', 'ioError'];
/** Every server anomaly counter (each must be 0): the always-on gate checks each one. */
export const ANOMALIES: ReadonlyArray<keyof ServerStats['anomalies']> = [
  'doubleRelease', 'ioCountUnderflow', 'releaseWithPendingIo', 'staleIdAccepted', 'strandedSend', 'releaseStalled', 'dirtySlot',
];

/** The sum of every anomaly counter (those an older server lacks count 0). */
export function anomalyTotal(a: Partial<ServerStats['anomalies']>): number {
  return ANOMALIES.reduce((sum, k) => sum + (a[k] ?? 0), 0);
}

export type Metrics = Record<string, number | null>;

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function reportMetrics(r: RunReport): Metrics {
  const m: Metrics = {};
  const res = r.results;
  for (const [k, v] of Object.entries(res.integrity)) m[`integrity.${k}`] = v;
  m['integrity.errors'] = res.integrity.corrupted + res.integrity.reordered + res.integrity.duplicated + res.integrity.unexpected + res.integrity.lost;
  for (const [name, p] of [['latency', res.latency.corrected], ['latency.uncorrected', res.latency.uncorrected], ['connect', res.latency.connect]] as const) {
    for (const [k, v] of Object.entries(p)) m[`${name}.${k}`] = v;
  }
  for (const k of ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const) m[k] = res.latency.corrected[k];
  for (const [k, v] of Object.entries(res.connections)) m[`connections.${k}`] = v;
  m.connectErrors = res.connections.connectErrors;
  m.throughput = res.throughput.echoesPerSec;
  m['throughput.bytes'] = res.throughput.bytesPerSec;
  m.sent = res.throughput.sent;
  m.echoed = res.throughput.echoed;
  m.behindSchedule = res.throughput.behindSchedule;
  m.probesReceived = res.throughput.probes ?? 0;
  for (const [k, v] of Object.entries(res.chaos.counts)) m[`chaos.${k}`] = v;
  m['chaos.total'] = sum(Object.values(res.chaos.counts));
  for (const [k, v] of Object.entries(res.clientErrors)) m[`clientErrors.${k}`] = v;
  m['clientErrors.total'] = sum(Object.values(res.clientErrors));
  m['client.maxLagMs'] = res.client.maxLagMs;
  m['client.cpuPercent'] = res.client.meanCpuPercent;

  // Server metrics are known only for the embedded server, and only once it printed stats.
  const embedded = r.target.kind === 'embedded';
  const s = embedded ? r.server.stats : null;
  m['server.crashed'] = embedded ? Number(r.server.crashed) : null;
  m['server.leaked'] = embedded ? r.server.leaked : null;
  m['server.sessions'] = embedded ? r.server.finalSessions : null;
  for (const k of ['accepted', 'released', 'peakSessions', 'recvPackets', 'recvBytes', 'sendPackets', 'sendBytes', 'staleIdCalls'] as const) {
    m[`server.${k}`] = s === null ? null : s[k];
  }
  m['server.probeCalls'] = s === null ? null : s.probeCalls ?? null;
  for (const k of ['full', 'denied'] as const) m[`server.rejected.${k}`] = s === null ? null : s.rejected[k];
  for (const k of DISCONNECT_REASONS) m[`server.disconnects.${k}`] = s === null ? null : s.disconnects[k];
  // A report from a server older than a counter lacks it: unknown, not 0.
  for (const k of ANOMALIES) m[`server.anomalies.${k}`] = s === null ? null : s.anomalies[k] ?? null;

  // At the quiet moment (every client gone, before stop()): a session still disconnecting then
  // was marked for release and never released (a lost completion or wake-up): a zombie.
  const q = embedded ? r.server.quiet ?? null : null;
  m['server.zombies'] = q === null ? null : q.disconnectingSessions;
  for (const k of ['pendingIoSessions', 'disconnectingSessions', 'freeSlots'] as const) m[`server.quiet.${k}`] = q === null ? null : q[k];
  // Packets queued with no send in flight while nothing else happens: stranded for good.
  m['server.quiet.strandedSessions'] = q === null ? null : q.strandedSessions ?? null;
  // Packets still allocated when no session is left: released sessions leaked them.
  m['server.leakedPackets'] = q === null || q.sessions !== 0 ? null : q.livePackets ?? null;
  const mem = embedded ? r.server.memory ?? null : null;
  m['server.rssPeakMiB'] = mem === null ? null : round1(mem.peakRssKiB / 1024);
  m['server.rssGrowthMiB'] = mem === null ? null : round1((mem.peakRssKiB - mem.rssAtListenKiB) / 1024);
  return m;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
