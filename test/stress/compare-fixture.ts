/**
 * Builds RunReports for the reporting tests from histograms recorded here with
 * hdr-histogram-js, second by second, from a seeded latency model: every number
 * in a fixture report is derived from what was recorded, as a real run does.
 */
import * as hdr from 'hdr-histogram-js';
import type { FleetTick } from '../../dummy-client/types';
import type { ServerStats } from '../../server/types';
import { percentilesOf } from '../../stress/run/percentiles';
import { SCHEMA_VERSION, type RunReport } from '../../stress/report/types';
import { serverStats as baseStats } from './fixtures';

export interface FixtureOptions {
  seed?: number;
  seconds?: number;
  /** Echoes per second. */
  rate?: number;
  /** Median latency in microseconds; the tail is log-normal around it. */
  medianUs?: number;
  /** Extra delay the uncorrected histogram does not see (coordinated omission), microseconds. */
  stallUs?: number;
  commit?: string;
  dirty?: boolean;
  scenario?: string;
  integrity?: Partial<RunReport['results']['integrity']>;
  connectErrors?: number;
  errorsPerSecond?: number;
  external?: boolean;
  leaked?: number;
  /** Resolved options to override (clients, rate, ...): what makes runs comparable or not. */
  options?: RunReport['options'];
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false });
}

export function serverStats(sessions = 0, leaked = 0): ServerStats {
  return baseStats({
    accepted: 200,
    released: 200 - sessions - leaked,
    sessions,
    peakSessions: 200,
    recvPackets: 1000,
    recvBytes: 64000,
    sendPackets: 1000,
    sendBytes: 64000,
    disconnects: { peerClosed: 190, peerReset: 10, protocol: 0, sendQueueFull: 0, kicked: 0, stopping: 0, ioError: 0 },
    freeSlots: 1000,
  });
}

const CHAOS_COUNTS = { rstMidBurst: 2, finInFlight: 1, closeAfterConnect: 0, closeMidPacket: 3, silence: 0 };

export function makeReport(o: FixtureOptions = {}): RunReport {
  const random = rng(o.seed ?? 1);
  const seconds = o.seconds ?? 5;
  const rate = o.rate ?? 2000;
  const median = o.medianUs ?? 400;
  const stall = o.stallUs ?? 0;
  const corrected = newHistogram();
  const uncorrected = newHistogram();
  const connect = newHistogram();
  const series: FleetTick[] = [];
  let sent = 0;
  for (let t = 1; t <= seconds; t++) {
    const second = newHistogram();
    const n = Math.round(rate * (0.95 + 0.1 * random()));
    for (let i = 0; i < n; i++) {
      // Box-Muller: a log-normal tail around the median.
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const us = Math.max(1, Math.round(median * Math.exp(0.5 * z)));
      uncorrected.recordValue(us);
      const c = us + (random() < 0.01 ? stall : 0);
      corrected.recordValue(c);
      second.recordValue(c);
    }
    sent += n;
    series.push({
      t,
      connections: 200,
      connecting: 0,
      sent: n,
      echoed: n,
      bytesSent: n * 64,
      bytesEchoed: n * 64,
      p50: second.getValueAtPercentile(50) / 1000,
      p99: second.getValueAtPercentile(99) / 1000,
      errors: o.errorsPerSecond ?? 0,
      lagMs: 2,
      cpuPercent: 80,
      behindSchedule: 0,
      // The report's chaos counts, made in the second second.
      cuts: t === 2 ? { ...CHAOS_COUNTS } : { rstMidBurst: 0, finInFlight: 0, closeAfterConnect: 0, closeMidPacket: 0, silence: 0 },
    });
    second.destroy();
  }
  for (let i = 0; i < 200; i++) connect.recordValue(Math.round(100 + 200 * random()));
  const histograms = {
    corrected: hdr.encodeIntoCompressedBase64(corrected),
    uncorrected: hdr.encodeIntoCompressedBase64(uncorrected),
    connect: hdr.encodeIntoCompressedBase64(connect),
  };
  const integrity = { ok: sent, corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0, abandoned: 0, ...o.integrity };
  const report: RunReport = {
    schemaVersion: SCHEMA_VERSION,
    meta: {
      tool: { name: 'lanstress', version: '0.1.0' },
      git: { commit: o.commit ?? '0123456789abcdef0123456789abcdef01234567', dirty: o.dirty ?? false },
      addon: { buildType: 'Release', flags: '-O3', backend: 'epoll' },
      node: 'v20.20.2',
      os: { platform: 'linux', release: '6.1.0', arch: 'x64' },
      cpu: { model: 'Test CPU <script>alert(1)</script>', cores: 2 },
      seed: o.seed ?? 1,
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: `2025-01-01T00:00:${String(seconds).padStart(2, '0')}.000Z`,
      durationSec: seconds,
      argv: ['--clients', '200', '--duration', String(seconds)],
    },
    scenario: { name: o.scenario ?? 'echo', description: 'closed-loop echo & <verification>' },
    options: { clients: 200, duration: seconds, payload: '64', pipeline: 1, chaos: 0, target: 'embedded', threshold: [], ...o.options },
    target: o.external ? { kind: 'external', host: '127.0.0.1', port: 9000 } : { kind: 'embedded', host: '127.0.0.1', port: 40000 },
    results: {
      connections: { target: 200, opened: 200, peak: 200, reconnects: 3, connectErrors: o.connectErrors ?? 0 },
      throughput: {
        sent,
        echoed: sent,
        bytesSent: sent * 64,
        bytesEchoed: sent * 64,
        echoesPerSec: sent / seconds,
        bytesPerSec: (sent * 64) / seconds,
        behindSchedule: 0,
      },
      series,
      latency: {
        corrected: percentilesOf(histograms.corrected),
        uncorrected: percentilesOf(histograms.uncorrected),
        connect: percentilesOf(histograms.connect),
        histograms,
      },
      integrity,
      chaos: {
        counts: { ...CHAOS_COUNTS },
        cuts: [{ serial: 7, action: 'rstMidBurst', seq: 12, inFlight: 1, atMs: 1500 }],
      },
      clientErrors: { ECONNRESET: 2 },
      client: { maxLagMs: 4, meanCpuPercent: 80, workers: 2, bottleneck: false },
    },
    server: o.external
      ? { stats: null, statsSeries: [], leaked: null, finalSessions: null, crashed: false, exitCode: null, signal: null, stderrTail: [] }
      : {
          stats: serverStats(0, o.leaked ?? 0),
          statsSeries: series.map((tick) => ({ t: tick.t, sessions: 200, recvPackets: tick.echoed, sendPackets: tick.echoed })),
          leaked: o.leaked ?? 0,
          finalSessions: 0,
          crashed: false,
          exitCode: 0,
          signal: null,
          stderrTail: [],
        },
    gates: [
      { name: 'integrity.corrupted == 0', kind: 'integrity', pass: integrity.corrupted === 0, actual: integrity.corrupted, expected: '== 0', unknown: false },
      { name: 'server.leaked == 0', kind: 'server', pass: (o.leaked ?? 0) === 0, actual: o.leaked ?? 0, expected: '== 0', unknown: false },
    ],
    verdict: integrity.corrupted === 0 && (o.leaked ?? 0) === 0 ? 'pass' : 'fail',
  };
  corrected.destroy();
  uncorrected.destroy();
  connect.destroy();
  return report;
}
