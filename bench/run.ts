/**
 * `npm run bench`: fleet capacity against the native LanServer and a plain
 * Node `net` echo server, measured side by side in one run (same fleet,
 * same duration, alternating rounds so machine noise hits both), with the
 * CPU split between the client process and the server process, and the
 * native/node ratio. Writes reports/bench-<time>.json. Not a test: no pass/fail.
 *
 *   node dist/bench/run.js [--clients 5000] [--duration 30] [--rounds 2] [--payload 16] [--pipeline 1] [--out reports]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { runFleet } from '../dummy-client/fleet';
import { integrityErrors } from '../dummy-client/integrity';
import type { FleetResult, IntegrityCounts } from '../dummy-client/types';
import { EmbeddedServer } from '../stress/run/embedded';
import { descriptorsNeeded, raiseOwnLimit } from '../stress/run/limits';
import { gitState } from '../stress/run/meta';
import { fleetConfig } from '../stress/run/orchestrate';
import { resolveRunOptions, type RunOptions } from '../stress/run/options';
import { percentilesOf } from '../stress/run/percentiles';

type ServerKind = 'native' | 'node';

interface BenchArgs {
  clients: number;
  duration: number;
  rounds: number;
  payload: string;
  pipeline: number;
  out: string;
}

function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = { clients: 5000, duration: 30, rounds: 2, payload: '16', pipeline: 1, out: 'reports' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--clients': a.clients = Number(value); break;
      case '--duration': a.duration = Number(value); break;
      case '--rounds': a.rounds = Number(value); break;
      case '--payload': a.payload = value; break;
      case '--pipeline': a.pipeline = Number(value); break;
      case '--out': a.out = value; break;
      default: throw new Error(`unknown flag ${flag} (known: --clients --duration --rounds --payload --pipeline --out)`);
    }
  }
  for (const k of ['clients', 'duration', 'rounds', 'pipeline'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} must be a positive whole number`);
  }
  return a;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** utime + stime of a process in seconds, from /proc/<pid>/stat (fields 14 and 15, after the comm's ')'). */
function procCpuSec(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function ownCpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Target {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startNative(noFile: number): Promise<Target> {
  const s = new EmbeddedServer({ noFile, serverArgs: ['--stats-json', '--host', '127.0.0.1', '--port', '0'], startTimeoutMs: 20_000 });
  const info = await s.waitListening();
  return { port: info.port, pid: info.pid, stop: async () => void (await s.stop(10_000)) };
}

async function startNode(noFile: number): Promise<Target> {
  const script = path.join(__dirname, 'node-echo-server.js');
  const child: ChildProcess = spawn('/bin/sh', ['-c', `ulimit -S -n ${noFile} && exec "$@"`, 'node-echo', process.execPath, script, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`node echo server exited (${code}) before listening`)));
  });
  const { port } = JSON.parse(first) as { port: number };
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

interface Round {
  server: ServerKind;
  round: number;
  /** Mean over the seconds with every connection open (over all seconds when there were none). */
  echoesPerSec: number;
  steadySeconds: number;
  verified: number;
  integrityErrors: number;
  integrity: IntegrityCounts;
  p50Ms: number;
  p99Ms: number;
  connections: number;
  clientCpuSec: number;
  serverCpuSec: number;
  clientRssMiB: number;
  wallSec: number;
}

async function measure(kind: ServerKind, round: number, options: RunOptions, noFile: number): Promise<Round> {
  const target = kind === 'native' ? await startNative(noFile) : await startNode(noFile);
  try {
    const serverCpu0 = procCpuSec(target.pid);
    const clientCpu0 = ownCpuSec();
    const t0 = process.hrtime.bigint();
    const result: FleetResult = await runFleet(fleetConfig(options, '127.0.0.1', target.port));
    const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const serverCpuSec = procCpuSec(target.pid) - serverCpu0;
    const clientCpuSec = ownCpuSec() - clientCpu0;
    // Seconds with every connection open: the fleet's connect pace differs with the server's speed,
    // so whole-run means would compare different loads.
    const steady = result.ticks.filter((t) => t.connections >= options.clients);
    const ticks = steady.length > 0 ? steady : result.ticks;
    const echoed = ticks.reduce((s, t) => s + t.echoed, 0);
    const i = result.integrity;
    const lat = percentilesOf(result.histograms.corrected);
    return {
      server: kind,
      round,
      echoesPerSec: Math.round(echoed / Math.max(ticks.length, 1)),
      steadySeconds: steady.length,
      verified: i.ok,
      integrityErrors: integrityErrors(i),
      integrity: i,
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      connections: result.connections.peak,
      clientCpuSec: Math.round(clientCpuSec * 100) / 100,
      serverCpuSec: Math.round(serverCpuSec * 100) / 100,
      clientRssMiB: Math.round(process.memoryUsage().rss / (1 << 20)),
      wallSec: Math.round(wallSec * 100) / 100,
    };
  } finally {
    await target.stop();
  }
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const command = `node ${path.relative(process.cwd(), __filename)} --clients ${args.clients} --duration ${args.duration} --rounds ${args.rounds} --payload ${args.payload} --pipeline ${args.pipeline} --out ${args.out}`;
  process.stdout.write(`$ ${command}\n`);
  const resolved = resolveRunOptions(
    // A generous echo timeout: an overloaded baseline's slow tail would otherwise count as lost
    // (and its late echoes as reordered), and this bench measures capacity, not the timeout.
    { clients: String(args.clients), duration: String(args.duration), payload: args.payload, pipeline: String(args.pipeline), echoTimeout: '30000' },
    {},
    { cores: os.availableParallelism(), randomSeed: 1 },
  );
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  const noFile = descriptorsNeeded(args.clients);
  const raised = raiseOwnLimit(noFile);
  if (!raised.ok) throw new Error(raised.message);

  const rounds: Round[] = [];
  for (let r = 1; r <= args.rounds; r++) {
    // Alternate which goes first so a drift in machine load does not favour one side.
    const order: ServerKind[] = r % 2 === 1 ? ['native', 'node'] : ['node', 'native'];
    for (const kind of order) {
      const m = await measure(kind, r, resolved.options, noFile);
      rounds.push(m);
      process.stdout.write(
        `round ${r} ${kind.padEnd(6)} ${String(m.echoesPerSec).padStart(8)} echoes/s  p99 ${m.p99Ms} ms  ` +
          `client cpu ${m.clientCpuSec}s server cpu ${m.serverCpuSec}s  errors ${m.integrityErrors}  conns ${m.connections}  steady ${m.steadySeconds}s\n`,
      );
    }
  }
  const side = (k: ServerKind) => {
    const rs = rounds.filter((x) => x.server === k);
    return {
      echoesPerSec: Math.round(mean(rs.map((x) => x.echoesPerSec))),
      p99Ms: Math.round(mean(rs.map((x) => x.p99Ms)) * 1000) / 1000,
      clientCpuSec: Math.round(mean(rs.map((x) => x.clientCpuSec)) * 100) / 100,
      serverCpuSec: Math.round(mean(rs.map((x) => x.serverCpuSec)) * 100) / 100,
      /** Echoes per server CPU-second: how much work the server did per unit of CPU. */
      echoesPerServerCpuSec: Math.round(mean(rs.map((x) => (x.serverCpuSec > 0 ? (x.echoesPerSec * x.wallSec) / x.serverCpuSec : 0)))),
      integrityErrors: rs.reduce((s, x) => s + x.integrityErrors, 0),
    };
  };
  const native = side('native');
  const node = side('node');
  const summary = {
    native,
    node,
    ratio: {
      echoesPerSec: node.echoesPerSec > 0 ? Math.round((native.echoesPerSec / node.echoesPerSec) * 100) / 100 : null,
      echoesPerServerCpuSec: node.echoesPerServerCpuSec > 0 ? Math.round((native.echoesPerServerCpuSec / node.echoesPerServerCpuSec) * 100) / 100 : null,
    },
  };
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  mkdirSync(args.out, { recursive: true });
  const file = path.join(args.out, `bench-${stamp}.json`);
  const doc = {
    bench: 'fleet-capacity',
    command,
    startedAt: new Date().toISOString(),
    git: gitState(),
    node: process.version,
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism() },
    config: args,
    rounds,
    summary,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`native ${native.echoesPerSec} echoes/s vs node ${node.echoesPerSec} echoes/s: ratio ${summary.ratio.echoesPerSec}` +
    ` (per server CPU-second: ${summary.ratio.echoesPerServerCpuSec})\n${file}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
