/**
 * The two passes of `npm run bench:fleet` at one offered load against one C echo server:
 * the lanstress fleet (the stress CLI, verifying every byte) and the C load client (verifying
 * nothing, the yardstick), each figure being echoes per client CPU-second over a steady window.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';
import { rateWindow } from '../lib/load';
import { CpuSampler } from '../lib/procfs';
import { readStressReport } from './stress-report';
import type { FleetIoChoice } from '../../dummy-client/types';

export interface FleetPlan {
  clients: number;
  ratePerConn: number;
  /** wire bytes per message: the fleet's payload is this less its 2-byte length header */
  size: number;
  /** whole seconds skipped at the start (connecting, JIT warm-up) */
  warmupSec: number;
  /** whole seconds measured */
  durationSec: number;
  reportsDir: string;
  /** This checkout's fleet sockets (stress --io); the baseline runs with its own default. */
  io: FleetIoChoice;
}

export interface StressPass {
  argv: string[];
  report: string;
  windowSec: number;
  verifiedEchoes: number;
  cpuSec: number;
  verifiedPerCpuSec: number;
  echoesPerSec: number;
  lagMeanMs: number;
  lagMaxMs: number;
  /** the report's own figures, for context: lag over the whole run, percentiles after the warm-up */
  runMaxLagMs: number;
  p50Ms: number | null;
  p99Ms: number | null;
  integrityErrors: number;
  workers: number;
  /** The sockets the fleet ran on (stress --io, resolved). */
  io: string;
}

export interface CClientPass {
  windowSec: number;
  echoes: number;
  cpuSec: number;
  echoesPerCpuSec: number;
  echoesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  skipped: number;
}

export function stressArgs(plan: FleetPlan, port: number): string[] {
  return [
    '--clients', String(plan.clients),
    '--rate', String(plan.ratePerConn),
    '--payload', String(plan.size - 2),
    // one whole second after the window, so the drain at the end is never in it
    '--duration', `${plan.warmupSec + plan.durationSec + 1}s`,
    // latency as the C client takes it: the connect storm of the warm-up left out of the percentiles
    '--warm-up', `${plan.warmupSec}s`,
    // connect the fleet within the warm-up (the default 2000/s takes 2.5 s for 5000)
    '--connect-rate', '50000',
    '--target', `127.0.0.1:${port}`,
    '--out', plan.reportsDir,
    '--json',
  ];
}

function runToExit(args: string[], sampler: (pid: number) => CpuSampler): Promise<{ code: number | null; stdout: string; stderr: string; cpu: CpuSampler }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: packageRoot() });
  const cpu = sampler(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      cpu.stop();
      resolve({ code, stdout, stderr, cpu });
    });
  });
}

/** This checkout's stress CLI. */
export function ownCli(): string {
  return path.join(packageRoot(), 'dist', 'stress', 'cli.js');
}

/**
 * The stress CLI cannot mark its own window, so its CPU is sampled from /proc every 100 ms and
 * read off at the window's edges, placed by the report's start time and its per-second series
 * (seconds since the fleet started; against an external target the fleet starts within
 * milliseconds of the report's startedAt). Echoes and CPU are both steady there, so a few ms of
 * misplacement moves both alike.
 */
export async function measureStress(plan: FleetPlan, port: number, cli: string, extra: readonly string[] = []): Promise<StressPass> {
  const argv = [...stressArgs(plan, port), ...extra];
  const run = await runToExit([cli, ...argv], (pid) => new CpuSampler(pid, 100));
  if (run.code !== 0) throw new Error(`stress ${argv.join(' ')} exited ${run.code}: ${run.stderr.trim().slice(-800)}`);
  const printed = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { report?: unknown };
  if (typeof printed.report !== 'string') throw new Error(`stress --json printed no report path: ${run.stdout.slice(0, 300)}`);
  const report = readStressReport(printed.report);

  const inWindow = report.series.filter((s) => s.t > plan.warmupSec && s.t <= plan.warmupSec + plan.durationSec);
  if (inWindow.length < plan.durationSec) throw new Error(`stress report covers ${inWindow.length} of the ${plan.durationSec} window seconds`);
  const windowStart = report.startedAtMs + plan.warmupSec * 1000;
  const windowEnd = windowStart + plan.durationSec * 1000;
  const cpuStart = run.cpu.cpuAt(windowStart);
  const cpuEnd = run.cpu.cpuAt(windowEnd);
  if (cpuStart === null || cpuEnd === null) throw new Error('the stress process was not sampled across the whole window');
  const echoed = inWindow.reduce((sum, s) => sum + s.echoed, 0);
  // The series counts echoes; the share of them that verified is the run's (1.0 against a correct server).
  const verified = report.echoed > 0 ? echoed * (report.verified / report.echoed) : 0;
  const cpuSec = cpuEnd - cpuStart;
  return {
    argv,
    report: printed.report,
    windowSec: plan.durationSec,
    verifiedEchoes: verified,
    cpuSec,
    verifiedPerCpuSec: cpuSec > 0 ? verified / cpuSec : 0,
    echoesPerSec: echoed / plan.durationSec,
    lagMeanMs: inWindow.reduce((sum, s) => sum + s.lagMs, 0) / inWindow.length,
    lagMaxMs: Math.max(...inWindow.map((s) => s.lagMs)),
    runMaxLagMs: report.maxLagMs,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    integrityErrors: report.integrityErrors,
    workers: report.workers,
    io: report.io,
  };
}

export async function measureCClient(client: string, plan: FleetPlan, port: number): Promise<CClientPass> {
  const { result: r } = await rateWindow(client, { port, watchPid: 0 }, {
    connections: plan.clients,
    ratePerConn: plan.ratePerConn,
    size: plan.size,
    warmupSec: plan.warmupSec,
    durationSec: plan.durationSec,
  });
  return {
    windowSec: r.windowSec,
    echoes: r.echoes,
    cpuSec: r.clientCpuSec,
    echoesPerCpuSec: r.clientCpuSec > 0 ? r.echoes / r.clientCpuSec : 0,
    echoesPerSec: r.echoes / r.windowSec,
    p50Ms: r.latencyUs.p50 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    skipped: r.skipped,
  };
}
