/**
 * The parts of a sharded fleet as one report, exactly where the numbers allow it: counters
 * summed, HDR histograms added (decoded, added, encoded: never percentiles averaged), the
 * per-second series lined up by wall time. The server section follows who served (see
 * sharedServer). Gates are judged again by judge.ts. Pure.
 */
import type { FleetTick } from '../../dummy-client/types';
import { encodeHistogram, mergeEncoded } from '../../dummy-client/latency';
import type { ServerStats } from '../../server/types';
import { percentilesOf } from '../run/percentiles';
import { SCHEMA_VERSION, type RunReport } from '../report/types';
import { alignBySecond, fleetSecond, timelineOf, type Timeline } from './align';
import type { Part } from './parts';
import { sumCounts } from './sum';

type Results = RunReport['results'];
type Server = RunReport['server'];
type Latency = Results['latency'];
type Histograms = Latency['histograms'];

/**
 * The parts share one server when they all loaded the same external host:port (the options
 * check made the targets equal): its stats are of that one server, so they are taken once. An
 * embedded server belongs to one process, so embedded parts each loaded their own: summed.
 */
export function sharedServer(parts: readonly Part[]): boolean {
  return parts.every((p) => p.report.target.kind === 'external');
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The histograms of every part added into one, encoded as a report carries it. */
export function addHistograms(encoded: readonly string[]): string {
  if (encoded.every((e) => e === '')) return '';
  const h = mergeEncoded(encoded);
  try {
    return encodeHistogram(h);
  } finally {
    h.destroy();
  }
}

function mergeLatency(parts: readonly Part[]): Latency {
  const set = (k: keyof Histograms): string => addHistograms(parts.map((p) => p.report.results.latency.histograms[k]));
  const histograms: Histograms = { corrected: set('corrected'), uncorrected: set('uncorrected'), connect: set('connect') };
  return {
    corrected: percentilesOf(histograms.corrected),
    uncorrected: percentilesOf(histograms.uncorrected),
    connect: percentilesOf(histograms.connect),
    histograms,
  };
}

function optionalSum(values: ReadonlyArray<number | undefined>): number | undefined {
  return values.every((v) => v === undefined) ? undefined : sum(values.map((v) => v ?? 0));
}

/** Per measured second, as `stress run` reports it: the merged series' echoes over its seconds. */
function perSecond(series: readonly FleetTick[], key: 'echoed' | 'bytesEchoed', fallback: number, fallbackSec: number): number {
  return series.length > 0 ? sum(series.map((t) => t[key])) / series.length : fallback / Math.max(fallbackSec, 1);
}

function mergeResults(parts: readonly Part[], timeline: Timeline, durationSec: number): Results {
  const r = parts.map((p) => p.report.results);
  const series = alignBySecond(r.map((x) => x.series), timeline.offsets, fleetSecond);
  const t = r.map((x) => x.throughput);
  const late = optionalSum(t.map((x) => x.late));
  const probes = optionalSum(t.map((x) => x.probes));
  const delivered = optionalSum(t.map((x) => x.delivered));
  const echoed = sum(t.map((x) => x.echoed));
  const bytesEchoed = sum(t.map((x) => x.bytesEchoed));
  return {
    // peak: the parts' peaks added (each part's peak may come at another moment: an upper bound).
    connections: sumCounts(r.map((x) => x.connections)),
    throughput: {
      sent: sum(t.map((x) => x.sent)),
      echoed,
      bytesSent: sum(t.map((x) => x.bytesSent)),
      bytesEchoed,
      echoesPerSec: Math.round(perSecond(series, 'echoed', echoed, durationSec) * 10) / 10,
      bytesPerSec: Math.round(perSecond(series, 'bytesEchoed', bytesEchoed, durationSec)),
      behindSchedule: sum(t.map((x) => x.behindSchedule)),
      ...(late === undefined ? {} : { late }),
      ...(probes === undefined ? {} : { probes }),
      ...(delivered === undefined ? {} : { delivered }),
    },
    series,
    latency: mergeLatency(parts),
    integrity: sumCounts(r.map((x) => x.integrity)),
    chaos: {
      counts: sumCounts(r.map((x) => x.chaos.counts)),
      // Cut times on the fleet's clock, so the cuts of every part read as one timeline.
      cuts: r.flatMap((x, i) => x.chaos.cuts.map((c) => ({ ...c, atMs: c.atMs + (timeline.offsets[i] ?? 0) * 1000 }))).sort((a, b) => a.atMs - b.atMs),
    },
    clientErrors: sumCounts(r.map((x) => x.clientErrors)),
    client: {
      maxLagMs: Math.max(...r.map((x) => x.client.maxLagMs)),
      // Separate processes: the fleet's client CPU is theirs added.
      meanCpuPercent: Math.round(sum(r.map((x) => x.client.meanCpuPercent)) * 10) / 10,
      workers: sum(r.map((x) => x.client.workers)),
      bottleneck: r.some((x) => x.client.bottleneck),
    },
  };
}

/** Stats of separate servers added field by field (nested counts too); zombies listed together. */
function sumStats(stats: ReadonlyArray<ServerStats | null | undefined>): ServerStats | null {
  if (stats.some((s) => s === null || s === undefined)) return null;
  const all = stats as readonly ServerStats[];
  const out: Record<string, unknown> = {};
  for (const s of all) {
    for (const [k, v] of Object.entries(s)) {
      if (typeof v === 'number') out[k] = ((out[k] as number | undefined) ?? 0) + v;
      else if (Array.isArray(v)) out[k] = [...((out[k] as unknown[] | undefined) ?? []), ...(v as unknown[])];
      else if (typeof v === 'object' && v !== null) out[k] = sumCounts([(out[k] as Record<string, number> | undefined) ?? {}, v as Record<string, number>]);
    }
  }
  return out as unknown as ServerStats;
}

function nullableSum(values: ReadonlyArray<number | null>): number | null {
  return values.some((v) => v === null) ? null : sum(values as number[]);
}

/** Each part's own embedded server: their counters added, the worst outcome kept, their stderr tails labelled. */
function sumServers(parts: readonly Part[], timeline: Timeline): Server {
  const s = parts.map((p) => p.report.server);
  const memory = s.every((x) => x.memory !== undefined && x.memory !== null)
    ? { rssAtListenKiB: sum(s.map((x) => x.memory!.rssAtListenKiB)), peakRssKiB: sum(s.map((x) => x.memory!.peakRssKiB)) }
    : null;
  const sanitized = s.filter((x) => x.sanitizer !== undefined);
  const server: Server = {
    stats: sumStats(s.map((x) => x.stats)),
    quiet: sumStats(s.map((x) => x.quiet)),
    memory,
    statsSeries: alignBySecond(s.map((x) => x.statsSeries), timeline.offsets, (t, items) => ({
      t,
      sessions: sum(items.map((i) => i.sessions)),
      recvPackets: sum(items.map((i) => i.recvPackets)),
      sendPackets: sum(items.map((i) => i.sendPackets)),
    })),
    leaked: nullableSum(s.map((x) => x.leaked)),
    finalSessions: nullableSum(s.map((x) => x.finalSessions)),
    crashed: s.some((x) => x.crashed),
    // The first part whose server did not exit cleanly speaks for the fleet.
    exitCode: s.find((x) => x.exitCode !== 0 && x.exitCode !== null)?.exitCode ?? s[0]!.exitCode,
    signal: s.find((x) => x.signal !== null)?.signal ?? null,
    stderrTail: s.flatMap((x, i) => x.stderrTail.map((line) => `[shard ${parts[i]!.report.shard?.index ?? i}] ${line}`)),
  };
  if (sanitized.length > 0) {
    server.sanitizer = { count: sum(sanitized.map((x) => x.sanitizer!.count)), reports: sanitized.flatMap((x) => x.sanitizer!.reports) };
  }
  return server;
}

/** The merged report before its gates are judged again (gates empty, verdict pending). */
export function combineParts(parts: readonly Part[], argv: string[]): RunReport {
  const timeline = timelineOf(parts);
  const first = parts[0]!.report;
  const started = Math.min(...parts.map((p) => Date.parse(p.report.meta.startedAt)));
  const finished = Math.max(...parts.map((p) => Date.parse(p.report.meta.finishedAt)));
  const durationSec = Math.max(...parts.map((p, i) => p.report.meta.durationSec + (timeline.offsets[i] ?? 0)));
  const shared = sharedServer(parts);
  const interrupted = parts.find((p) => p.report.interrupted !== undefined)?.report.interrupted;
  const report: RunReport = {
    schemaVersion: SCHEMA_VERSION,
    meta: { ...first.meta, startedAt: new Date(started).toISOString(), finishedAt: new Date(finished).toISOString(), durationSec, argv },
    scenario: first.scenario,
    options: { ...first.options, shard: null, sourceIps: mergedSourceIps(parts) },
    target: first.target,
    results: mergeResults(parts, timeline, durationSec),
    server: shared ? first.server : sumServers(parts, timeline),
    gates: [],
    verdict: 'pass',
    merged: { files: parts.map((p) => p.file), count: parts.length, sharedServer: shared, startSkewSec: timeline.skewSec },
  };
  if (interrupted !== undefined) report.interrupted = interrupted;
  return report;
}

/** Every part's source addresses, in part order (a part that recorded a summary keeps it as one entry). */
function mergedSourceIps(parts: readonly Part[]): string[] | null {
  const ips = parts.flatMap((p) => {
    const v = p.report.options.sourceIps;
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  });
  return ips.length === 0 ? null : ips;
}
