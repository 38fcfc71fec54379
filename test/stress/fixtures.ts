/** A report built by the real builder from fleet and server results made up here (no run needed). */
import * as hdr from 'hdr-histogram-js';
import type { FleetResult, FleetTick } from '../../dummy-client/types';
import type { ServerStats } from '../../server/types';
import { echoFlood } from '../../scenarios/echo-flood';
import { buildReport, type ServerOutcome } from '../../stress/run/build-report';
import { resolveRunOptions } from '../../stress/run/options';
import { ANOMALIES } from '../../server/types';
import type { RunReport } from '../../stress/report/types';

export function encoded(valuesUs: number[]): string {
  const h = hdr.build({ bitBucketSize: 32, useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  for (const v of valuesUs) h.recordValue(v);
  const text = hdr.encodeIntoCompressedBase64(h);
  h.destroy();
  return text;
}

export function tick(t: number): FleetTick {
  return { t, connections: 10, connecting: 0, sent: 100, echoed: 100, bytesSent: 1600, bytesEchoed: 1600, p50: 0.2, p99: 1.5, errors: 0, lagMs: 3, cpuPercent: 40, behindSchedule: 0 };
}

export function fleetResult(over: Partial<FleetResult> = {}): FleetResult {
  return {
    ticks: [tick(1), tick(2), tick(3)],
    totals: { sent: 300, echoed: 300, bytesSent: 4800, bytesEchoed: 4800, behindSchedule: 0 },
    connections: { target: 10, opened: 10, peak: 10, reconnects: 0, connectErrors: 0 },
    integrity: { ok: 300, corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0, abandoned: 0 },
    chaos: { rstMidBurst: 0, finInFlight: 0, closeAfterConnect: 0, closeMidPacket: 0, silence: 0 },
    cuts: [],
    errors: {},
    histograms: { corrected: encoded([100, 200, 300, 1500, 20000]), uncorrected: encoded([100, 200, 300]), connect: encoded([50, 80]), lag: encoded([300, 500, 900]) },
    client: { maxLagMs: 3, meanCpuPercent: 40, workers: 2 },
    ...over,
  };
}

/** Every anomaly counter of ANOMALIES at 0: what a correct server reports. */
export function noAnomalies(): ServerStats['anomalies'] {
  return Object.fromEntries(ANOMALIES.map((k) => [k, 0])) as ServerStats['anomalies'];
}

export function serverStats(over: Partial<ServerStats> = {}): ServerStats {
  return {
    accepted: 10,
    rejected: { full: 0, denied: 0 },
    released: 10,
    sessions: 0,
    peakSessions: 10,
    recvPackets: 300,
    recvBytes: 5400,
    sendPackets: 300,
    sendBytes: 5400,
    disconnects: { peerClosed: 10, peerReset: 0, protocol: 0, sendQueueFull: 0, kicked: 0, stopping: 0, ioError: 0 },
    staleIdCalls: 0,
    probeCalls: 0,
    anomalies: noAnomalies(),
    pendingIoSessions: 0,
    disconnectingSessions: 0,
    strandedSessions: 0,
    livePackets: 0,
    freeSlots: 100,
    ...over,
  };
}

export function embeddedOutcome(stats: ServerStats = serverStats(), over: Partial<ServerOutcome> = {}): ServerOutcome {
  return {
    kind: 'embedded',
    host: '127.0.0.1',
    port: 40000,
    backend: 'epoll',
    exit: { final: stats, last: stats, exitCode: 0, signal: null, crashed: false, killed: false, stderrTail: [] },
    quiet: stats,
    series: [{ t: 1000, sessions: 10, recvPackets: 100, sendPackets: 100 }],
    stopTimeoutMs: 10000,
    ...over,
  };
}

export function sampleReport(fleet: FleetResult = fleetResult(), server: ServerOutcome = embeddedOutcome(), thresholds: string[] = []): RunReport {
  const r = resolveRunOptions({ clients: '10', duration: '3', threshold: thresholds }, echoFlood.defaults, { cores: 2, randomSeed: 7 });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildReport({
    scenario: echoFlood,
    options: r.options,
    argv: ['--clients', '10'],
    startedAt: new Date('2026-01-02T03:04:05.678Z'),
    finishedAt: new Date('2026-01-02T03:04:09.000Z'),
    fleetSec: 3.2,
    fleet,
    server,
  });
}
