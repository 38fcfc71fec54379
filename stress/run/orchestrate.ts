/**
 * One `stress run`: resolved options in, exit code out.
 * Phases: preflight (descriptors, --server-bin, the external target, --backend) ->
 * for each backend asked for, one after the other: start the target -> load (fleet with
 * a live line, drain) -> stop (wait for the server to go quiet, stop it) -> report
 * (gates always computed) -> summary; then the CI outputs covering every run -> exit code
 * (the worst run's).
 * Every wait is bounded, and a dying server aborts the fleet, so a run never hangs.
 * The first SIGINT/SIGTERM stops the fleet, writes the report (verdict interrupted, exit 4)
 * and skips the backends not yet run; the second quits at once.
 */
import { formatHostPort } from '../../server/loopback';
import * as net from 'node:net';
import * as path from 'node:path';
import { runFleet } from '../../dummy-client/fleet';
import { loadProtocol, ProtocolModuleError } from '../../dummy-client/protocol-load';
import { nativeIoAvailable } from '../../dummy-client/native-socket';
import type { FleetConfig, FleetIo, FleetIoChoice, FleetResult, FleetTick, SendModel } from '../../dummy-client/types';
import { stagesRated } from './stages-option';
import type { Scenario } from '../../scenarios/types';
import type { Backend, ServerStats } from '../../server/types';
import { formatBackendVerdicts, formatFailedGates, formatSummary, summaryData } from '../report/summary';
import type { Interruption, RunReport } from '../report/types';
import { writeReport } from '../report/write';
import { htmlPathFor, writeHtmlReport } from '../html/write';
import { writeCiOutputs } from '../ci-output/write';
import { AddonNotBuiltError } from '../../server/addon';
import { backendsHere, planBackends } from './backends';
import { createAbortEvaluator, parseThreshold } from '../thresholds';
import { buildReport } from './build-report';
import { EmbeddedServer, type ServerExit } from './embedded';
import { EXIT, UsageError, worstExit } from './exit-codes';
import { failedGates } from './gates';
import { childLimitProblem, descriptorsNeeded, raiseOwnLimit } from './limits';
import { embeddedServerFlags, type RunOptions } from './options';
import { formatTick, Progress, type ProgressSink } from './progress';
import { RssTracker } from './rss';
import { serverBinProblem, serverCmdProblem, splitCommand, type ServerBinBuild } from '../sanitize/server-bin';
import { shareOf, waitUntil } from './shard-plan';
import { startMetricsExporter, type MetricsExporter } from '../metrics/exporter';
import type { LiveMetrics } from '../metrics/live';
import { colourOn } from '../format/terminal';


const SERVER_START_TIMEOUT_MS = 20_000;
/** --server-cmd: a Wine prefix created on first use takes a few seconds more. */
const LAUNCHED_START_TIMEOUT_MS = 60_000;
const QUIET_TIMEOUT_MS = 10_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 3000;
/** After the server died, how long the fleet gets to notice the abort before we stop waiting for it. */
const FLEET_ABORT_GRACE_MS = 10_000;

export interface RunIo {
  stdout: ProgressSink;
  stderr: ProgressSink;
  /** The command line recorded in the report (for run(): the equivalent command line). */
  argv: string[];
  /** false: the JSON and HTML reports are not written (run() without `out`); --junit and --markdown still are, when given. */
  writeReports: boolean;
  /** run()'s caller stopping the run: its abort interrupts as the first SIGINT does (verdict interrupted). */
  signal?: AbortSignal;
}

/** What runScenario did: the exit code of the whole command, and each backend's run. */
export interface ScenarioOutcome {
  exitCode: number;
  runs: RunResult[];
}

export function fleetConfig(o: RunOptions, host: string, port: number): FleetConfig {
  // A shard runs its share of the fleet's clients and of its connect rate; --rate is per connection already.
  const share = o.shard === null ? null : shareOf(o.shard, o.clients);
  return {
    host,
    port,
    sourceIps: o.sourceIps,
    clients: share?.clients ?? o.clients,
    connectRate: share === null ? o.connectRate : o.connectRate * share.fraction,
    rampUpSec: o.rampUpSec,
    durationSec: o.durationSec,
    framing: o.framing,
    warmUpSec: o.warmUpSec,
    thinkTimeMs: o.thinkTimeMs,
    ...(o.mix.length > 0 ? { mix: o.mix } : {}),
    payload: o.payload,
    // An external target's maxPayload is unknown: the largest payload the user allows stands for it.
    serverMaxPayload: o.maxPayload,
    connectTimeoutMs: o.connectTimeoutMs,
    io: resolveIo(o.io),
    sendModel: sendModelOf(o),
    workers: o.workers,
    seed: o.seed,
    traffic: o.traffic,
    chaos: { probability: o.chaos, actions: o.chaosActions, reconnectDelayMs: { min: 10, max: 250 } },
    echoTimeoutMs: o.echoTimeoutMs,
    drainTimeoutMs: o.drainTimeoutMs,
    connectionLifetimeMs: o.lifetimeMs,
    // A server told to kick (or past maxSessions) cuts connections on purpose: their in-flight packets are abandoned, not lost.
    // The server's probes kick live sessions from their own thread too.
    serverMayCut: (o.serverKick > 0 || o.serverProbes) && o.target.kind === 'embedded',
    serverMayRefuse: o.expectRefused,
    offenderFraction: o.offenderFraction,
    ...(o.protocol === null ? {} : { protocol: path.resolve(o.protocol) }),
    ...(share === null ? {} : { shard: { firstSlot: share.firstSlot, fleetClients: o.clients } }),
    ...loadPlan(o, share?.clients ?? o.clients, share?.fraction ?? 1),
  };
}

/**
 * Rated stages and a total rate set each connection's rate as the run goes (dummy-client/stages.ts):
 * the open loop starts at a stand-in rate the pool replaces before the first connect.
 */
function sendModelOf(o: RunOptions): SendModel {
  if (o.rate !== null) return { kind: 'open', rate: o.rate };
  if (o.totalRate !== null || stagesRated(o.stages)) return { kind: 'open', rate: 1 };
  return { kind: 'closed', pipeline: o.pipeline ?? 1 };
}

/** The stages, or a total rate (this shard's part of it) as one stage that holds it from the start. */
function loadPlan(o: RunOptions, clients: number, fraction: number): Pick<FleetConfig, 'stages'> {
  if (o.stages.length > 0) return { stages: o.stages };
  if (o.totalRate !== null) return { stages: [{ durationSec: 0, clients, rate: null, totalRate: o.totalRate * fraction }] };
  return {};
}

/** The options of one run: --backend resolved to the one backend this run's server uses. */
export type SingleRunOptions = RunOptions & { backend: Backend };

/** The embedded `stress server` child's argv: stats on stdout, a free port on --host, then every server-side flag of the table. */
export function serverArgs(o: SingleRunOptions): string[] {
  return ['--stats-json', '--port', '0', ...embeddedServerFlags(o)];
}

/**
 * Connects once to an external target so a typo fails fast as bad input, not as a run full of
 * errors. Returns the address that answered (where the fleet then connects), or the problem.
 */
function probe(host: string, port: number): Promise<{ address: string } | { problem: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (result: { address: string } | { problem: string }): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ problem: `no answer within ${PROBE_TIMEOUT_MS} ms` }));
    socket.once('connect', () => finish({ address: socket.remoteAddress ?? host }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ problem: err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : `${err.code ?? 'error'}: ${err.message}` }),
    );
  });
}

function emptyFleetResult(config: FleetConfig, ticks: FleetTick[]): FleetResult {
  return {
    ticks,
    totals: { sent: 0, echoed: 0, bytesSent: 0, bytesEchoed: 0, behindSchedule: 0, probes: 0, delivered: 0 },
    connections: { target: config.clients, opened: 0, peak: 0, reconnects: 0, connectErrors: 0 },
    integrity: { ok: 0, corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0, abandoned: 0 },
    chaos: { rstMidBurst: 0, finInFlight: 0, closeAfterConnect: 0, closeMidPacket: 0, silence: 0 },
    cuts: [],
    errors: {},
    histograms: { corrected: '', uncorrected: '', connect: '', lag: '' },
    client: { maxLagMs: 0, meanCpuPercent: 0, workers: config.workers },
  };
}

/** Runs the scenario once per backend asked for; returns the exit code and the runs. Throws UsageError for bad input found late (limits, target, backend). */
export async function runScenario(scenario: Scenario, given: RunOptions, io: RunIo): Promise<ScenarioOutcome> {
  // Resolved once, here: the report's options then say which sockets ran.
  const options: RunOptions = { ...given, io: resolveIo(given.io) };
  const { needed, targetAddress } = await preflight(options);
  const backends = resolveBackends(options);
  const several = backends.length > 1;
  const progress = new Progress(options.json ? null : io.stderr);
  const exporter = await openMetricsExporter(options, io);
  const stopper = new Stopper(progress);
  stopper.install();
  const onAbort = (): void => stopper.interrupt(null, 'aborted by the caller');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted === true) onAbort();
  const runs: RunResult[] = [];
  try {
    for (const backend of backends) {
      if (stopper.interruption !== null) {
        runs.push({ backend, label: backend, report: null, exitCode: EXIT.interrupted });
        continue;
      }
      const label = several ? backend : null;
      if (several) progress.note(`stress: ${scenario.name} on ${backend} (${runs.length + 1} of ${backends.length})`);
      runs.push(await runOnce(scenario, { ...options, backend }, label, { io, progress, stopper, needed, targetAddress, metrics: exporter?.live ?? null }));
    }
  } finally {
    stopper.uninstall();
    io.signal?.removeEventListener('abort', onAbort);
    await exporter?.close();
  }
  return { exitCode: finish(runs, options, io), runs };
}

/**
 * Bad input that can be found before any server starts: exit 2 naming the flag. Returns the
 * descriptors a run needs and, for an external target, the address that answered the probe.
 */
async function preflight(options: RunOptions): Promise<{ needed: number; targetAddress: string | null }> {
  const needed = descriptorsNeeded(options.shard === null ? options.clients : shareOf(options.shard, options.clients).clients);
  if (options.protocol !== null) await checkProtocol(options.protocol);
  const own = raiseOwnLimit(needed);
  if (!own.ok) throw new UsageError(`--clients ${options.clients}: ${own.message}`);
  if (options.target.kind === 'embedded') {
    const problem = childLimitProblem(needed);
    if (problem !== null) throw new UsageError(`--clients ${options.clients}: ${problem}`);
    const binProblem = options.serverBin === null ? null : serverBinProblem(options.serverBin);
    if (binProblem !== null) throw new UsageError(`--server-bin ${options.serverBin}: ${binProblem}`);
    const cmdProblem = options.serverCmd === null ? null : serverCmdProblem(options.serverCmd);
    if (cmdProblem !== null) throw new UsageError(`--server-cmd ${options.serverCmd}: ${cmdProblem}`);
  } else {
    const answer = await probe(options.target.host, options.target.port);
    if ('problem' in answer) throw new UsageError(`--target ${formatHostPort(options.target.host, options.target.port)}: ${answer.problem}`);
    return { needed, targetAddress: answer.address };
  }
  return { needed, targetAddress: null };
}

/**
 * --io auto: native where this addon build has the fleet's engine (Linux), net elsewhere (a
 * Windows build; no addon at all, which an external --target does not need). --io native
 * without the engine is bad input (exit 2), or every connection would fail once the load starts.
 */
function resolveIo(choice: FleetIoChoice): FleetIo {
  if (choice === 'net') return 'net';
  if (choice === 'native') {
    checkNativeIo();
    return 'native';
  }
  try {
    return nativeIoAvailable() ? 'native' : 'net';
  } catch (err) {
    if (err instanceof AddonNotBuiltError) return 'net';
    throw err;
  }
}

function checkNativeIo(): void {
  let available: boolean;
  try {
    available = nativeIoAvailable();
  } catch (err) {
    if (err instanceof AddonNotBuiltError) throw new UsageError(`--io native: ${err.message}`);
    throw err;
  }
  if (!available) throw new UsageError('--io native: this addon build has no native fleet engine (Linux only): use --io net');
}

/** --protocol: the module loads and has its hooks here, before any load (the workers load it again). */
async function checkProtocol(file: string): Promise<void> {
  try {
    await loadProtocol(file);
  } catch (err) {
    if (err instanceof ProtocolModuleError) throw new UsageError(`--protocol ${err.message}`);
    throw err;
  }
}

/** --metrics-port: serving before any load, for the whole command; a port it cannot take is exit 2 naming the flag. */
async function openMetricsExporter(options: RunOptions, io: RunIo): Promise<MetricsExporter | null> {
  if (options.metricsPort === null) return null;
  try {
    const exporter = await startMetricsExporter(options.metricsPort);
    io.stderr.write(`stress: metrics on http://0.0.0.0:${exporter.port}/metrics\n`);
    return exporter;
  } catch (err) {
    throw new UsageError(`--metrics-port ${options.metricsPort}: cannot listen: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** --backend as the list of runs; an io_uring asked for by name but missing here is a usage error with the kernel's reason. */
function resolveBackends(options: RunOptions): Backend[] {
  // A launched server (--server-cmd) has its own backends, not this kernel's: 'all' is one run
  // on its auto (the `listening` line says which), a name is passed on for it to accept or refuse.
  if (options.serverCmd !== null && options.target.kind === 'embedded') {
    if (options.backend === 'all') return ['auto'];
    return typeof options.backend === 'string' ? [options.backend] : options.backend;
  }
  const plan = planBackends(options.backend, options.target, () => {
    try {
      return backendsHere();
    } catch (err) {
      if (err instanceof AddonNotBuiltError) throw new UsageError(`--backend ${String(options.backend)}: cannot tell which backends this kernel offers: ${err.message}`);
      throw err;
    }
  });
  if (!plan.ok) throw new UsageError(plan.error);
  if (plan.backends.length === 0) throw new UsageError(`--backend ${String(options.backend)}: no backend is available on this kernel`);
  return plan.backends;
}

export interface RunResult {
  backend: Backend;
  /** The backend when the command ran several, else null (names the report file, the JUnit suite). */
  label: string | null;
  /** null: not run (an earlier run was interrupted). */
  report: RunReport | null;
  exitCode: number;
}

interface RunContext {
  io: RunIo;
  progress: Progress;
  stopper: Stopper;
  needed: number;
  /**
   * The external target's address that answered the probe: the fleet connects there. A name
   * (localhost) may resolve to ::1 and 127.0.0.1; net tries each, the native engine takes IP
   * literals only, and either way one lookup serves every connection.
   */
  targetAddress: string | null;
  /** --metrics-port's live metrics, fed each second; null when not asked for. */
  metrics: LiveMetrics | null;
}

/**
 * The first SIGINT/SIGTERM (for the whole command, not only the load) is an interruption:
 * the current run's fleet stops, its report is written, later runs are skipped. The second
 * quits at once, killing the server of the current run.
 */
class Stopper {
  /** signal null: the caller's AbortSignal (run()), not a process signal. */
  interruption: { signal: NodeJS.Signals | null; at: bigint; reason: string } | null = null;
  private readonly listeners = new Set<() => void>();
  /** Kills the current run's server on the second signal. */
  killServer: (() => void) | null = null;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.interruption !== null) {
      this.killServer?.();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    this.progress.note(`stress: ${signal}: stopping the fleet and writing the report (again to quit at once)`);
    this.interrupt(signal, `${signal} received`);
  };

  /** The first interruption stops the current run and skips the rest; later ones change nothing. */
  interrupt(signal: NodeJS.Signals | null, reason: string): void {
    if (this.interruption !== null) return;
    this.interruption = { signal, at: process.hrtime.bigint(), reason };
    for (const f of this.listeners) f();
  }

  constructor(private readonly progress: Progress) {}

  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  uninstall(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  /** Calls `f` on the first signal (at once if it already came); returns the unsubscribe. */
  onInterrupt(f: () => void): () => void {
    if (this.interruption !== null) f();
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}

/** One whole run on one backend: start the target, load, stop, report, summary. Returns its report and exit code. */
async function runOnce(scenario: Scenario, options: SingleRunOptions, label: string | null, ctx: RunContext): Promise<RunResult> {
  const startedAt = new Date();
  const target = await startTarget(options, ctx);
  if ('exitCode' in target) return { backend: options.backend, label, report: null, exitCode: target.exitCode };
  await waitForStartAt(options, ctx);
  const loaded = await load(options, target, ctx);
  const stopped = await stopTarget(target);
  const report = buildReport({
    scenario,
    options,
    argv: ctx.io.argv,
    startedAt,
    finishedAt: new Date(),
    fleetSec: loaded.fleetSec,
    fleet: loaded.fleet,
    interrupted: loaded.interrupted,
    server: {
      kind: options.target.kind,
      host: target.host,
      port: target.port,
      backend: target.backend,
      exit: stopped.exit,
      quiet: stopped.quiet,
      series: target.embedded?.series ?? [],
      stopTimeoutMs: SERVER_STOP_TIMEOUT_MS,
      bin: target.bin,
      rss: target.rss?.result() ?? null,
    },
  });
  if (options.shard !== null) report.shard = { ...options.shard, loadStartedAt: new Date(loaded.startedAtMs).toISOString() };
  writeOutputs(report, options, label, ctx.io);
  return { backend: options.backend, label, report, exitCode: exitCodeOf(report, options) };
}

interface StartedTarget {
  embedded: EmbeddedServer | null;
  host: string;
  port: number;
  backend: string | null;
  bin: ServerBinBuild | null;
  rss: RssTracker | null;
}

/** The embedded server started and listening (or the external target named); a server that cannot start is exit 3. */
async function startTarget(options: SingleRunOptions, ctx: RunContext): Promise<StartedTarget | { exitCode: number }> {
  const { progress, io } = ctx;
  if (options.target.kind === 'external') {
    const { host, port } = options.target;
    progress.note(`target ${formatHostPort(host, port)} (external: server checks unknown); ${options.clients} clients (${options.io} sockets) for ${options.durationSec} s`);
    return { embedded: null, host: ctx.targetAddress ?? host, port, backend: null, bin: null, rss: null };
  }
  const serverBin = options.serverBin === null ? null : path.resolve(options.serverBin);
  const serverCommand = options.serverCmd === null ? null : splitCommand(options.serverCmd);
  // A Wine server starts its prefix first: give it longer to say `listening`.
  const startTimeoutMs = serverCommand === null ? SERVER_START_TIMEOUT_MS : Math.max(SERVER_START_TIMEOUT_MS, LAUNCHED_START_TIMEOUT_MS);
  const embedded = new EmbeddedServer({ noFile: ctx.needed, serverArgs: serverArgs(options), startTimeoutMs, serverBin, serverCommand });
  ctx.stopper.killServer = () => embedded.kill();
  let info: Awaited<ReturnType<EmbeddedServer['waitListening']>>;
  try {
    info = await embedded.waitListening();
  } catch (err) {
    const exit = await embedded.stop(SERVER_STOP_TIMEOUT_MS);
    const tail = exit.stderrTail.slice(-10).join('\n');
    // The server validates its own options: its usage error is ours.
    if (exit.exitCode === EXIT.usage) throw new UsageError(`the embedded server refused its options:\n${tail}`);
    io.stderr.write(`stress: ${(err as Error).message}\n${tail === '' ? '' : `${tail}\n`}`);
    return { exitCode: EXIT.serverCrashed };
  }
  const binary = serverBin ?? options.serverCmd;
  const bin = binary === null ? null : { binary, build: info.build ?? 'unknown', faults: info.faults ?? [] };
  const built = bin === null ? '' : `, ${bin.binary} [${bin.build}${bin.faults.length > 0 ? ` FAULT=${bin.faults.join(',')}` : ''}]`;
  progress.note(`server pid ${embedded.pid} listening on ${formatHostPort(info.host, info.port)} (${info.backend}${built}); ${options.clients} clients (${options.io} sockets) for ${options.durationSec} s`);
  const rss = embedded.pid === undefined ? null : new RssTracker(embedded.pid);
  rss?.sample();
  return { embedded, host: info.host, port: info.port, backend: info.backend, bin, rss };
}

/** --start-at: the target is up, the load waits for the moment every part of the fleet starts (a signal ends the wait). */
async function waitForStartAt(options: SingleRunOptions, ctx: RunContext): Promise<void> {
  if (options.startAtMs === null) return;
  const aheadMs = options.startAtMs - Date.now();
  if (aheadMs < -1000) ctx.progress.note(`stress: --start-at passed ${Math.round(-aheadMs / 1000)} s ago: starting at once`);
  else ctx.progress.note(`stress: waiting ${Math.max(0, Math.round(aheadMs / 1000))} s for --start-at ${new Date(options.startAtMs).toISOString()}`);
  const stop = new AbortController();
  const unsubscribe = ctx.stopper.onInterrupt(() => stop.abort());
  await waitUntil(options.startAtMs, stop.signal);
  unsubscribe();
}

interface Loaded {
  fleet: FleetResult;
  fleetSec: number;
  /** Wall time (epoch ms) the fleet was started: what a merge aligns the shards' seconds by. */
  startedAtMs: number;
  /** Why the load stopped early, or null when it ran its course (or a threshold stopped it: --abort-on-fail). */
  interrupted: Interruption | null;
}

/** The fleet against the target, with the live line; stopped early by a signal, a dying server or --abort-on-fail. */
async function load(options: SingleRunOptions, target: StartedTarget, ctx: RunContext): Promise<Loaded> {
  const { progress } = ctx;
  const { embedded, rss } = target;
  const abort = new AbortController();
  const fleetStart = process.hrtime.bigint();
  const startedAtMs = Date.now();
  let interrupted: Interruption | null = null;
  const interrupt = (signal: string | null, at: bigint, reason: string): void => {
    interrupted ??= { signal, atSec: Math.max(0, Math.round(Number(at - fleetStart) / 1e6) / 1000), reason };
    abort.abort();
  };
  embedded?.onCrash(() => {
    progress.note(`stress: the server under test died mid-run (${embedded.describeExit()}); stopping the fleet`);
    interrupt(null, process.hrtime.bigint(), 'the server under test died');
  });
  const unsubscribe = ctx.stopper.onInterrupt(() => {
    const i = ctx.stopper.interruption;
    if (i !== null) interrupt(i.signal, i.at, i.reason);
  });

  const config = fleetConfig(options, target.host, target.port);
  const ticks: FleetTick[] = [];
  const abortEvaluator = options.abortOnFail ? createAbortEvaluator(options.thresholds.map(parseThreshold)) : null;
  const onTick = (t: FleetTick): void => {
    ticks.push(t);
    ctx.metrics?.observeTick(t);
    const serverStats = embedded?.latest() ?? null;
    if (serverStats !== null) ctx.metrics?.observeServer(serverStats);
    rss?.sample();
    progress.line(formatTick(t, options.durationSec, embedded?.latest()?.sessions ?? null, process.memoryUsage.rss()));
    const lost = abortEvaluator?.observe(t) ?? [];
    if (lost.length > 0 && !abort.signal.aborted) {
      // Not an interruption: the run is judged, and fails on that threshold.
      progress.note(`stress: --abort-on-fail: ${lost.map((l) => `${l.threshold.text} is lost (${l.reason})`).join('; ')}; stopping the run`);
      abort.abort();
    }
  };
  let fleet: FleetResult;
  try {
    fleet = await boundAfterAbort(runFleet(config, { onTick, signal: abort.signal }), abort.signal, options.drainTimeoutMs + FLEET_ABORT_GRACE_MS);
  } catch (err) {
    if (!abort.signal.aborted) {
      await embedded?.stop(SERVER_STOP_TIMEOUT_MS);
      throw err;
    }
    fleet = emptyFleetResult(config, ticks);
  } finally {
    unsubscribe();
  }
  const fleetSec = Number(process.hrtime.bigint() - fleetStart) / 1e9;
  progress.end();
  return { fleet, fleetSec, startedAtMs, interrupted };
}

/** Waits for the server to go quiet (the moment leaks and zombies are judged), then stops it. */
async function stopTarget(target: StartedTarget): Promise<{ quiet: ServerStats | null; exit: ServerExit | null }> {
  const { embedded, rss } = target;
  if (embedded === null) return { quiet: null, exit: null };
  let quiet: ServerStats | null = null;
  if (!embedded.hasExited) {
    const q = await embedded.waitQuiet(QUIET_TIMEOUT_MS);
    quiet = embedded.hasExited ? null : q;
  }
  rss?.sample();
  const exit = await embedded.stop(SERVER_STOP_TIMEOUT_MS);
  return { quiet, exit };
}

/** The JSON and HTML reports of one run, and its summary (or its --json line). */
function writeOutputs(report: RunReport, options: SingleRunOptions, label: string | null, io: RunIo): void {
  const reportPath = io.writeReports ? writeReport(report, options.out, label) : null;
  let htmlPath: string | null = null;
  try {
    if (reportPath !== null) htmlPath = writeHtmlReport(report, htmlPathFor(reportPath), reportPath);
  } catch (err) {
    // The JSON is the record; a page that fails to render must not cost the run its verdict.
    io.stderr.write(`stress: could not write the HTML report: ${(err as Error).message}\n`);
  }
  if (options.json) {
    // One line per run (JSON Lines): with several backends, one per backend, in run order.
    const backend = label === null ? {} : { backend: label };
    io.stdout.write(`${JSON.stringify({ ...backend, report: reportPath, html: htmlPath, summary: summaryData(report) })}\n`);
  } else {
    io.stdout.write(formatSummary(report, { colors: colourOn(io.stdout), reportPath, verbose: options.verbose }));
    if (htmlPath !== null) io.stdout.write(`HTML: ${htmlPath}\n`);
  }
}

/** 3 crashed, 4 interrupted, 1 an enforced gate failed (all under --gate, thresholds always), else 0. */
function exitCodeOf(report: RunReport, options: RunOptions): number {
  if (report.server.crashed) return EXIT.serverCrashed;
  if (report.verdict === 'interrupted') return EXIT.interrupted;
  const failed = failedGates(report.gates);
  const enforced = options.gate ? failed : failed.filter((g) => g.kind === 'threshold');
  return enforced.length > 0 ? EXIT.gateFailed : EXIT.pass;
}

/** After every run: the CI files covering them all, the failed gates, the per-backend verdicts; the worst exit code. */
function finish(runs: readonly RunResult[], options: RunOptions, io: RunIo): number {
  const reported = runs.flatMap((r) => (r.report === null ? [] : [{ report: r.report, label: r.label }]));
  const ciFiles = reported.length === 0 ? [] : writeCiOutputs(reported, { junit: options.junit ?? undefined, markdown: options.markdown ?? undefined });
  if (!options.json) {
    for (const file of ciFiles) io.stdout.write(`Wrote ${file}\n`);
    for (const run of runs) {
      if (run.report === null || run.exitCode !== EXIT.gateFailed) continue;
      const failed = failedGates(run.report.gates);
      const enforced = options.gate ? failed : failed.filter((g) => g.kind === 'threshold');
      if (run.label !== null) io.stderr.write(`${run.label}:\n`);
      io.stderr.write(formatFailedGates(enforced, colourOn(io.stderr)));
    }
    if (runs.length > 1) io.stdout.write(formatBackendVerdicts(runs, colourOn(io.stdout)));
  }
  return worstExit(runs.map((r) => r.exitCode));
}

/** Once `signal` fires, waits at most `graceMs` more for `work`, then rejects: an aborted fleet cannot hang the run. */
function boundAfterAbort<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(() => reject(new Error(`the fleet did not stop within ${graceMs} ms of the abort`)), graceMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
