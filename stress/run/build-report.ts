/**
 * Builds the RunReport from what the fleet and the server said. Pure apart
 * from reading build metadata (git, package.json, the addon's buildInfo).
 */
import * as os from 'node:os';
import type { FleetResult, FleetTick } from '../../dummy-client/types';
import type { Scenario } from '../../scenarios/types';
import { leaked, type ServerStats } from '../../server/types';
import { evaluateThresholds } from '../thresholds';
import { SCHEMA_VERSION, type BuildMeta, type Interruption, type RunReport } from '../report/types';
import type { ServerExit, StatsPoint } from './embedded';
import type { ServerBinBuild } from '../sanitize/server-bin';
import { integrityGates, scenarioGates, verdictOf } from './gates';
import { buildMeta } from './meta';
import { reportMetrics } from './metrics';
import { optionsRecord, type RunOptions } from './options';
import { clientLagOf, percentilesOf } from './percentiles';
import { clientBound, clientSaturated, type ClientLoad } from '../report/client-bound';


function sumOf(ticks: readonly FleetTick[], key: 'sent' | 'echoed' | 'bytesSent' | 'bytesEchoed'): number {
  return ticks.reduce((a, t) => a + t[key], 0);
}

export interface ServerOutcome {
  kind: 'embedded' | 'external';
  host: string;
  port: number;
  backend: string | null;
  exit: ServerExit | null;
  /** Sessions at the quiet moment after the fleet closed, before stop. */
  quiet: ServerStats | null;
  series: StatsPoint[];
  /** How long stop() waited before SIGKILL (named in the gate when it had to). */
  stopTimeoutMs: number;
  /** The standalone binary that was the server (--server-bin), or absent for the addon. */
  bin?: ServerBinBuild | null;
  /** Resident memory of the server process, when it could be read. */
  rss?: { rssAtListenKiB: number; peakRssKiB: number } | null;
}

/** A --server-bin run records the binary that served, not the addon it did not load. */
function withServerBin(meta: BuildMeta, bin: ServerBinBuild | null): BuildMeta {
  if (bin === null) return meta;
  const faults = bin.faults.length > 0 ? ` FAULT=${bin.faults.join(',')}` : '';
  return {
    ...meta,
    addon: { buildType: bin.build, flags: `standalone lanserver ${bin.binary}${faults}`, backend: meta.addon.backend, binary: bin.binary, faults: bin.faults },
  };
}

/** The warm-up's seconds of the series (--warm-up, rounded up to whole seconds) and what they carried. */
function warmUpOf(ticks: readonly FleetTick[], warmUpSec: number): { sec: number; ticks: FleetTick[]; sent: number; echoed: number; bytesSent: number; bytesEchoed: number } {
  const sec = Math.ceil(warmUpSec);
  const warm = ticks.filter((t) => t.t <= sec);
  return { sec, ticks: warm, sent: sumOf(warm, 'sent'), echoed: sumOf(warm, 'echoed'), bytesSent: sumOf(warm, 'bytesSent'), bytesEchoed: sumOf(warm, 'bytesEchoed') };
}

export function buildReport(args: {
  scenario: Scenario;
  options: RunOptions;
  argv: string[];
  startedAt: Date;
  finishedAt: Date;
  fleetSec: number;
  fleet: FleetResult;
  server: ServerOutcome;
  /** Set when the run was stopped early (a signal, an abort other than --abort-on-fail). */
  interrupted?: Interruption | null;
}): RunReport {
  const { fleet, server, options } = args;
  const ticks = fleet.ticks;
  const warmUp = warmUpOf(ticks, options.warmUpSec);
  const counted = ticks.slice(warmUp.ticks.length);
  const measured = counted.length > 0 ? counted.length : Math.max(args.fleetSec - warmUp.sec, 1);
  const echoed = counted.length > 0 ? sumOf(counted, 'echoed') : fleet.totals.echoed - warmUp.echoed;
  const bytes = counted.length > 0 ? sumOf(counted, 'bytesEchoed') : fleet.totals.bytesEchoed - warmUp.bytesEchoed;
  const exit = server.exit;
  const stats = exit === null ? null : exit.final ?? exit.last;
  const quietLeaked = server.quiet === null ? null : leaked(server.quiet);
  const finalLeaked = stats === null ? null : leaked(stats);
  const uncorrected = percentilesOf(fleet.histograms.uncorrected);
  const load: ClientLoad = { ...fleet.client, lag: clientLagOf(fleet.histograms.lag), latency: uncorrected, cores: os.availableParallelism() };
  const report: RunReport = {
    schemaVersion: SCHEMA_VERSION,
    meta: {
      ...withServerBin(buildMeta(options.seed, server.backend), server.bin ?? null),
      startedAt: args.startedAt.toISOString(),
      finishedAt: args.finishedAt.toISOString(),
      durationSec: Math.round(args.fleetSec * 1000) / 1000,
      argv: args.argv,
    },
    scenario: { name: args.scenario.name, description: args.scenario.description, gates: args.scenario.gates },
    options: optionsRecord(options),
    target: { kind: server.kind, host: server.host, port: server.port },
    results: {
      connections: fleet.connections,
      throughput: {
        ...fleet.totals,
        sent: fleet.totals.sent - warmUp.sent,
        echoed: fleet.totals.echoed - warmUp.echoed,
        bytesSent: fleet.totals.bytesSent - warmUp.bytesSent,
        bytesEchoed: fleet.totals.bytesEchoed - warmUp.bytesEchoed,
        echoesPerSec: Math.round((echoed / measured) * 10) / 10,
        bytesPerSec: Math.round(bytes / measured),
        ...(warmUp.sec > 0 ? { warmUpSec: warmUp.sec } : {}),
      },
      series: ticks,
      latency: {
        corrected: percentilesOf(fleet.histograms.corrected),
        uncorrected,
        connect: percentilesOf(fleet.histograms.connect),
        // The lag histogram is not a latency: thresholds and compare read these three.
        histograms: { corrected: fleet.histograms.corrected, uncorrected: fleet.histograms.uncorrected, connect: fleet.histograms.connect },
        ...(load.lag === null ? {} : { clientLag: load.lag }),
        clientBound: clientBound(load),
      },
      integrity: fleet.integrity,
      chaos: { counts: fleet.chaos, cuts: fleet.cuts },
      clientErrors: fleet.errors,
      client: {
        ...fleet.client,
        bottleneck: clientSaturated(load),
      },
    },
    server: {
      stats,
      quiet: server.quiet,
      memory: server.rss ?? null,
      statsSeries: server.series,
      // The worse of the quiet moment and after stop(): a session lost at either is a leak.
      leaked: quietLeaked === null ? finalLeaked : finalLeaked === null ? quietLeaked : Math.max(quietLeaked, finalLeaked),
      finalSessions: server.quiet?.sessions ?? (exit?.crashed === true ? null : stats?.sessions ?? null),
      crashed: exit?.crashed ?? false,
      exitCode: exit?.exitCode ?? null,
      signal: exit?.signal ?? null,
      stderrTail: exit?.stderrTail ?? [],
    },
    gates: [],
    verdict: 'pass',
  };
  if (args.interrupted !== undefined && args.interrupted !== null) report.interrupted = args.interrupted;
  const metrics = reportMetrics(report);
  report.gates = [
    ...integrityGates(metrics),
    ...scenarioGates(args.scenario.gates, metrics, options),
  ];
  if (exit !== null && exit.sanitizer !== undefined) {
    // A sanitizer report is a bug found even when every echo came back (a race, a leak at exit).
    report.server.sanitizer = exit.sanitizer;
    const n = exit.sanitizer.count;
    const first = exit.sanitizer.reports[0]?.lines[0]?.trim();
    report.gates.push({ name: 'server.sanitizer == 0', kind: 'server', pass: n === 0, actual: n, expected: n === 0 ? '== 0' : `== 0 (first: ${first ?? '?'})`, unknown: false });
  }
  if (exit !== null && !exit.crashed) {
    // stop() must finish (every session released, every thread joined) on SIGTERM; a hang there is a server bug.
    const stuck = exit.killed ? 1 : 0;
    report.gates.push({ name: 'server.stopTimedOut == 0', kind: 'server', pass: stuck === 0, actual: stuck, expected: `== 0 (exit within ${server.stopTimeoutMs} ms of SIGTERM)`, unknown: false });
  }
  report.gates.push(...evaluateThresholds(report, options.thresholds));
  report.verdict = verdictOf(report);
  return report;
}
