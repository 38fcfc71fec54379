/**
 * The JSON report, schemaVersion 1 (docs/report.md). A report is one file per run.
 * Any change to this shape bumps schemaVersion and is noted in the issue note.
 */
import type { ServerStats } from '../../server/types';
import type { SanitizerFindings } from '../sanitize/scan';
import type { ChaosCounts, ChaosCut, FleetTick, IntegrityCounts } from '../../dummy-client/types';
import type { ScenarioGate } from '../../scenarios/types';

export const SCHEMA_VERSION = 1;

export interface Percentiles {
  /** Milliseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

/** The fleet's event-loop lag, ms: how late its workers' housekeeping timers ran (stress/report/client-bound.ts). */
export interface ClientLag {
  p50: number;
  p99: number;
  max: number;
  /** Samples (timer firings over every worker). */
  count: number;
}

/** Whether the client's own load is a large part of the latency reported (docs/report.md, "Client-bound latency"). */
export interface ClientBound {
  bound: boolean;
  /** lag: lag p99 >= 5 ms and >= 1/4 of the uncorrected echo p99; saturated: the older bottleneck rule (results.client.bottleneck). */
  reasons: Array<{ rule: 'lag' | 'saturated'; detail: string }>;
  /** What to change so the numbers measure the server; null when not bound. */
  remedy: string | null;
}

export interface BuildMeta {
  tool: { name: 'lanstress'; version: string };
  git: { commit: string | null; dirty: boolean | null };
  /**
   * The server's build. For a --server-bin run: the standalone's own word (buildType release |
   * asan | tsan), its path in `binary` and the fault switches compiled in (absent otherwise).
   */
  addon: { buildType: string; flags: string; backend: string | null; binary?: string; faults?: string[] };
  node: string;
  os: { platform: string; release: string; arch: string };
  cpu: { model: string; cores: number };
  seed: number;
}

export interface GateVerdict {
  /** e.g. "integrity.corrupted == 0" or the user's threshold text "p99<20ms". */
  name: string;
  kind: 'integrity' | 'server' | 'scenario' | 'threshold';
  pass: boolean;
  /** The measured value, null when unknown (external target). */
  actual: number | null;
  expected: string;
  /** Unknown gates (server checks against an external target) neither pass nor fail the run. */
  unknown: boolean;
  /** Why a measured gate was not judged: its scenario's precondition did not hold (ScenarioGate.given), e.g. "chaos.rstMidBurst was 0, needs >= 2". */
  notJudged?: string;
}

export interface RunReport {
  schemaVersion: typeof SCHEMA_VERSION;
  meta: BuildMeta & { startedAt: string; finishedAt: string; durationSec: number; argv: string[] };
  /**
   * gates: the scenario's own gates as data (scenarios/types.ts), so a merge judges a scenario
   * file's run as the run did (absent in older reports: the built-in of that name).
   */
  scenario: { name: string; description: string; gates?: ScenarioGate[] };
  /** Every resolved option of the run (flags after scenario defaults). */
  options: Record<string, string | number | boolean | string[] | null>;
  target: { kind: 'embedded' | 'external'; host: string; port: number };
  results: {
    connections: { target: number; opened: number; peak: number; reconnects: number; connectErrors: number };
    throughput: {
      sent: number;
      echoed: number;
      bytesSent: number;
      bytesEchoed: number;
      /** Mean over the measured seconds. */
      echoesPerSec: number;
      bytesPerSec: number;
      behindSchedule: number;
      /** Echoes that came after --echo-timeout (counted ok or reordered in integrity); absent in older reports. */
      late?: number;
      /** Valid server probe packets received (--probes; not echoes, not an integrity class); absent in older reports. */
      probes?: number;
      /**
       * --warm-up: the first seconds of the load (whole seconds of the series), left out of sent,
       * echoed, bytes, the per-second means and the latency histograms; the series and the
       * integrity counts keep them. Absent when there was none.
       */
      warmUpSec?: number;
      /** --protocol: correct messages another connection's request caused (a chat relay), not an integrity class; absent in older reports. */
      delivered?: number;
    };
    series: FleetTick[];
    latency: {
      corrected: Percentiles;
      uncorrected: Percentiles;
      connect: Percentiles;
      /** Base64 HDR histograms, microseconds. */
      histograms: { corrected: string; uncorrected: string; connect: string };
      /** The fleet's event-loop lag (absent in older reports). */
      clientLag?: ClientLag;
      /** Whether that lag (or a saturated client) is a large part of the percentiles above (absent in older reports). */
      clientBound?: ClientBound;
    };
    integrity: IntegrityCounts;
    chaos: { counts: ChaosCounts; cuts: ChaosCut[] };
    clientErrors: Record<string, number>;
    client: { maxLagMs: number; meanCpuPercent: number; workers: number; bottleneck: boolean };
  };
  server: {
    /** null for an external target. */
    stats: ServerStats | null;
    /**
     * Stats at the quiet moment after the fleet closed everything, before stop() (absent in older
     * reports): what zombies and pending I/O are judged on, since stop() releases everything.
     */
    quiet?: ServerStats | null;
    /** The server process's resident memory (embedded target, read from /proc; absent when unknown). */
    memory?: { rssAtListenKiB: number; peakRssKiB: number } | null;
    statsSeries: Array<{ t: number; sessions: number; recvPackets: number; sendPackets: number }>;
    leaked: number | null;
    finalSessions: number | null;
    crashed: boolean;
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
    /** Sanitizer reports in the embedded server's stderr: count, and the first lines of the first reports (absent in older reports). */
    sanitizer?: SanitizerFindings;
  };
  gates: GateVerdict[];
  /** interrupted: stopped early (SIGINT/SIGTERM, an abort): never a pass, whatever its gates say. */
  verdict: 'pass' | 'fail' | 'interrupted';
  /** Why and when the run stopped early; absent when it ran its course (and in older reports). */
  interrupted?: Interruption;
  /** The run was part `index` (0-based) of a `count`-part fleet (--shard); absent otherwise. */
  shard?: ShardRecord;
  /** The report is `stress merge` of these shard reports (docs/report.md, "Merged reports"); absent otherwise. */
  merged?: MergeRecord;
}

export interface ShardRecord {
  index: number;
  count: number;
  /** When this part's fleet started (ISO): a merge lines the parts' seconds up by it. */
  loadStartedAt: string;
}

export interface MergeRecord {
  /** The shard reports, in shard order, as named to `stress merge`. */
  files: string[];
  count: number;
  /** One server under every part (an external host:port): its stats are taken once; else each part's own embedded server, summed. */
  sharedServer: boolean;
  /** How far the latest part's load started after the earliest's, seconds (--start-at keeps it near 0). */
  startSkewSec: number;
}

export interface Interruption {
  /** The signal that stopped it, or null for an abort that came from no signal. */
  signal: string | null;
  /** Seconds after the fleet started (0 when it came before the load began). */
  atSec: number;
  /** One line for people, e.g. "SIGINT: stopped by the user or a CI timeout". */
  reason: string;
}
