/**
 * One `stress run`: resolved options in, exit code out.
 * Order: descriptors -> server (embedded child, or probe the external one) ->
 * fleet with a live line -> drain -> wait for the server to go quiet -> stop it ->
 * report (gates always computed) -> summary -> exit code.
 * Every wait is bounded, and a dying server aborts the fleet, so a run never hangs.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { runFleet } from '../../dummy-client/fleet';
import type { FleetConfig, FleetResult, FleetTick } from '../../dummy-client/types';
import type { Scenario } from '../../scenarios/types';
import type { ServerStats } from '../../server/types';
import { formatFailedGates, formatSummary, summaryData } from '../report/summary';
import { writeReport } from '../report/write';
import { htmlPathFor, writeHtmlReport } from '../html/write';
import { writeCiOutputs } from '../ci-output/write';
import { createAbortEvaluator, parseThreshold } from '../thresholds';
import { buildReport } from './build-report';
import { EmbeddedServer, type ServerExit } from './embedded';
import { EXIT, UsageError } from './exit-codes';
import { failedGates } from './gates';
import { childLimitProblem, descriptorsNeeded, raiseOwnLimit } from './limits';
import type { RunOptions } from './options';
import { formatTick, Progress, type ProgressSink } from './progress';
import { RssTracker } from './rss';
import { serverBinProblem, type ServerBinBuild } from '../sanitize/server-bin';


const SERVER_START_TIMEOUT_MS = 20_000;
const QUIET_TIMEOUT_MS = 10_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 3000;
/** After the server died, how long the fleet gets to notice the abort before we stop waiting for it. */
const FLEET_ABORT_GRACE_MS = 10_000;

export interface RunIo {
  stdout: ProgressSink;
  stderr: ProgressSink;
  argv: string[];
}

export function fleetConfig(o: RunOptions, host: string, port: number): FleetConfig {
  return {
    host,
    port,
    sourceIps: o.sourceIps,
    clients: o.clients,
    connectRate: o.connectRate,
    rampUpSec: o.rampUpSec,
    durationSec: o.durationSec,
    payload: o.payload,
    sendModel: o.rate !== null ? { kind: 'open', rate: o.rate } : { kind: 'closed', pipeline: o.pipeline ?? 1 },
    workers: o.workers,
    seed: o.seed,
    traffic: o.traffic,
    chaos: { probability: o.chaos, actions: o.chaosActions, reconnectDelayMs: { min: 10, max: 250 } },
    echoTimeoutMs: o.echoTimeoutMs,
    drainTimeoutMs: o.drainTimeoutMs,
    connectionLifetimeMs: o.lifetimeMs,
    // A server told to kick (or past maxSessions) cuts connections on purpose: their in-flight packets are abandoned, not lost.
    serverMayCut: o.serverKick > 0 && o.target.kind === 'embedded',
    serverMayRefuse: o.expectRefused,
    offenderFraction: o.offenderFraction,
  };
}

export function serverArgs(o: RunOptions): string[] {
  return [
    '--stats-json',
    '--host', '127.0.0.1',
    '--port', '0',
    '--workers', String(o.serverWorkers),
    '--backend', o.backend,
    '--mode', o.mode,
    '--max-payload', String(o.maxPayload),
    '--max-sessions', String(o.maxSessions),
    '--send-queue-limit', String(o.sendQueueLimit),
    '--kick', String(o.serverKick),
    '--room', String(o.room),
    '--echo-delay-us', String(o.serverEchoDelayUs),
    '--seed', String(o.seed),
  ];
}

/** Connects once to an external target so a typo fails fast as bad input, not as a run full of errors. */
function probe(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (problem: string | null): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(`no answer within ${PROBE_TIMEOUT_MS} ms`));
    socket.once('connect', () => finish(null));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish(err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : `${err.code ?? 'error'}: ${err.message}`),
    );
  });
}

function emptyFleetResult(config: FleetConfig, ticks: FleetTick[]): FleetResult {
  return {
    ticks,
    totals: { sent: 0, echoed: 0, bytesSent: 0, bytesEchoed: 0, behindSchedule: 0 },
    connections: { target: config.clients, opened: 0, peak: 0, reconnects: 0, connectErrors: 0 },
    integrity: { ok: 0, corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0, abandoned: 0 },
    chaos: { rstMidBurst: 0, finInFlight: 0, closeAfterConnect: 0, closeMidPacket: 0, silence: 0 },
    cuts: [],
    errors: {},
    histograms: { corrected: '', uncorrected: '', connect: '' },
    client: { maxLagMs: 0, meanCpuPercent: 0, workers: config.workers },
  };
}

/** Runs the scenario; returns the process exit code. Throws UsageError for bad input found late (limits, target). */
export async function runScenario(scenario: Scenario, options: RunOptions, io: RunIo): Promise<number> {
  const needed = descriptorsNeeded(options.clients);
  const own = raiseOwnLimit(needed);
  if (!own.ok) throw new UsageError(`--clients ${options.clients}: ${own.message}`);
  if (options.target.kind === 'embedded') {
    const problem = childLimitProblem(needed);
    if (problem !== null) throw new UsageError(`--clients ${options.clients}: ${problem}`);
    const binProblem = options.serverBin === null ? null : serverBinProblem(options.serverBin);
    if (binProblem !== null) throw new UsageError(`--server-bin ${options.serverBin}: ${binProblem}`);
  } else {
    const problem = await probe(options.target.host, options.target.port);
    if (problem !== null) throw new UsageError(`--target ${options.target.host}:${options.target.port}: ${problem}`);
  }

  const progress = new Progress(options.json ? null : io.stderr);
  const startedAt = new Date();
  let embedded: EmbeddedServer | null = null;
  let host: string;
  let port: number;
  let backend: string | null = null;
  let bin: ServerBinBuild | null = null;
  if (options.target.kind === 'embedded') {
    const serverBin = options.serverBin === null ? null : path.resolve(options.serverBin);
    embedded = new EmbeddedServer({ noFile: needed, serverArgs: serverArgs(options), startTimeoutMs: SERVER_START_TIMEOUT_MS, serverBin });
    try {
      const info = await embedded.waitListening();
      host = info.host;
      port = info.port;
      backend = info.backend;
      if (serverBin !== null) bin = { binary: serverBin, build: info.build ?? 'unknown', faults: info.faults ?? [] };
    } catch (err) {
      const exit = await embedded.stop(SERVER_STOP_TIMEOUT_MS);
      const tail = exit.stderrTail.slice(-10).join('\n');
      // The server validates its own options: its usage error is ours.
      if (exit.exitCode === EXIT.usage) throw new UsageError(`the embedded server refused its options:\n${tail}`);
      io.stderr.write(`stress: ${(err as Error).message}\n${tail === '' ? '' : `${tail}\n`}`);
      return EXIT.serverCrashed;
    }
    const built = bin === null ? '' : `, ${bin.binary} [${bin.build}${bin.faults.length > 0 ? ` FAULT=${bin.faults.join(',')}` : ''}]`;
    progress.note(`server pid ${embedded.pid} listening on ${host}:${port} (${backend}${built}); ${options.clients} clients for ${options.durationSec} s`);
  } else {
    host = options.target.host;
    port = options.target.port;
    progress.note(`target ${host}:${port} (external: server checks unknown); ${options.clients} clients for ${options.durationSec} s`);
  }

  const rss = embedded?.pid === undefined ? null : new RssTracker(embedded.pid);
  rss?.sample();
  const abort = new AbortController();
  embedded?.onCrash(() => {
    progress.note(`stress: the server under test died mid-run (${embedded?.describeExit()}); stopping the fleet`);
    abort.abort();
  });
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      embedded?.kill();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    interrupted = true;
    progress.note(`stress: ${signal}: stopping the fleet and writing the report (again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const config = fleetConfig(options, host, port);
  const ticks: FleetTick[] = [];
  const fleetStart = process.hrtime.bigint();
  const abortEvaluator = options.abortOnFail ? createAbortEvaluator(options.thresholds.map(parseThreshold)) : null;
  const onTick = (t: FleetTick): void => {
    ticks.push(t);
    rss?.sample();
    progress.line(formatTick(t, options.durationSec, embedded?.latest()?.sessions ?? null, process.memoryUsage.rss()));
    const lost = abortEvaluator?.observe(t) ?? [];
    if (lost.length > 0 && !abort.signal.aborted) {
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
  }
  const fleetSec = Number(process.hrtime.bigint() - fleetStart) / 1e9;
  progress.end();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  let quiet: ServerStats | null = null;
  let exit: ServerExit | null = null;
  if (embedded !== null) {
    if (!embedded.hasExited) {
      const q = await embedded.waitQuiet(QUIET_TIMEOUT_MS);
      quiet = embedded.hasExited ? null : q;
    }
    rss?.sample();
    exit = await embedded.stop(SERVER_STOP_TIMEOUT_MS);
  }

  const report = buildReport({
    scenario,
    options,
    argv: io.argv,
    startedAt,
    finishedAt: new Date(),
    fleetSec,
    fleet,
    server: {
      kind: options.target.kind,
      host,
      port,
      backend,
      exit,
      quiet,
      series: embedded?.series ?? [],
      stopTimeoutMs: SERVER_STOP_TIMEOUT_MS,
      bin,
      rss: rss?.result() ?? null,
    },
  });
  const reportPath = writeReport(report, options.out);
  let htmlPath: string | null = null;
  try {
    htmlPath = writeHtmlReport(report, htmlPathFor(reportPath), reportPath);
  } catch (err) {
    // The JSON is the record; a page that fails to render must not cost the run its verdict.
    io.stderr.write(`stress: could not write the HTML report: ${(err as Error).message}\n`);
  }
  const ciFiles = writeCiOutputs(report, { junit: options.junit ?? undefined, markdown: options.markdown ?? undefined });

  if (options.json) {
    io.stdout.write(`${JSON.stringify({ report: reportPath, html: htmlPath, summary: summaryData(report) })}\n`);
  } else {
    io.stdout.write(formatSummary(report, { colors: io.stdout.isTTY === true, reportPath }));
    if (htmlPath !== null) io.stdout.write(`HTML: ${htmlPath}\n`);
    for (const file of ciFiles) io.stdout.write(`Wrote ${file}\n`);
  }
  if (report.server.crashed) return EXIT.serverCrashed;
  const failed = failedGates(report.gates);
  const enforced = options.gate ? failed : failed.filter((g) => g.kind === 'threshold');
  if (enforced.length > 0) {
    if (!options.json) io.stderr.write(formatFailedGates(enforced, io.stderr.isTTY === true));
    return EXIT.gateFailed;
  }
  return EXIT.pass;
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
