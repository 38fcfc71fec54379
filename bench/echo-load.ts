/**
 * A load script for the native server (not a test, not part of `npm run bench`):
 *
 *   node dist/bench/echo-load.js --connections 100 --duration 10
 *     N connections each keep --pipeline echo packets in flight against the addon
 *     server running in this process; prints packets/s each second and overall.
 *
 *   node dist/bench/echo-load.js --idle 5000
 *     runs the server as a child (the standalone, or `stress server` with --server stress)
 *     so its RSS is its own, opens N idle connections and prints the server's RSS.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { packageRoot, standalonePath } from '../server/addon';
import { LanServer } from '../server/lan-server';
import { parseServerLine } from '../server/lines';
import type { Backend, ServerLine, ServerStats } from '../server/types';
import { anomalyTotal } from '../stress/run/metrics';

const HOST = '127.0.0.1';

function parseFlags(): ReturnType<typeof parseFlagsStrict> {
  try {
    return parseFlagsStrict();
  } catch (err) {
    process.stderr.write(`echo-load: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

function parseFlagsStrict() {
  return parseArgs({
    options: {
      connections: { type: 'string', default: '100' },
      duration: { type: 'string', default: '10' },
      payload: { type: 'string', default: '64' },
      pipeline: { type: 'string', default: '8' },
      workers: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      idle: { type: 'string' },
      server: { type: 'string', default: 'standalone' },
    },
    strict: true,
  });
}

const { values } = parseFlags();

function int(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`echo-load: --${name} must be an integer from ${min} to ${max}, got ${text}\n`);
    process.exit(2);
  }
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * One closed-loop connection: every packet it sends is the same frame, so an echo is checked
 * by comparing bytes against that frame, and each whole echo sends the next packet.
 */
function driveConnection(socket: net.Socket, frame: Buffer, pipeline: number, counters: { packets: number; corrupted: number }, running: () => boolean): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    let echoed = 0;
    while (pending.length - offset >= frame.length) {
      if (pending.compare(frame, 0, frame.length, offset, offset + frame.length) !== 0) counters.corrupted++;
      offset += frame.length;
      echoed++;
    }
    pending = pending.subarray(offset);
    counters.packets += echoed;
    if (echoed > 0 && running()) socket.write(echoed === 1 ? frame : Buffer.concat(new Array<Buffer>(echoed).fill(frame)));
  });
  socket.on('error', () => undefined);
  socket.write(Buffer.concat(new Array<Buffer>(pipeline).fill(frame)));
}

async function throughput(): Promise<void> {
  const connections = int('connections', values.connections, 1, 10000);
  const duration = int('duration', values.duration, 1, 3600);
  const payload = int('payload', values.payload, 0, 8192);
  const pipeline = int('pipeline', values.pipeline, 1, 1000);
  const workers = values.workers === undefined ? undefined : int('workers', values.workers, 1, 256);

  const server = new LanServer({ host: HOST, port: 0, workers, backend: values.backend as Backend, maxSessions: connections + 100 });
  const info = server.start();
  console.log(`server: addon in-process on ${info.host}:${info.port} backend=${info.backend} workers=${server.options.workers}`);
  console.log(`load: ${connections} connections, payload ${payload} B, pipeline ${pipeline}, ${duration} s`);

  const counters = { packets: 0, corrupted: 0 };
  let running = true;
  const sockets: net.Socket[] = [];
  for (let i = 0; i < connections; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, connections - i) }, () => connect(info.port)));
    sockets.push(...batch);
  }
  const started = process.hrtime.bigint();
  sockets.forEach((s, i) => {
    const frame = Buffer.alloc(2 + payload, i & 0xff);
    frame.writeUInt16LE(payload, 0);
    driveConnection(s, frame, pipeline, counters, () => running);
  });

  let last = 0;
  for (let second = 1; second <= duration; second++) {
    await sleep(1000);
    console.log(`t=${second}s packets/s=${counters.packets - last}`);
    last = counters.packets;
  }
  running = false;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const total = counters.packets;
  for (const s of sockets) s.destroy();
  await waitFor(() => server.stats().sessions === 0, 10000);
  const stats = server.stop();
  console.log(`result: ${Math.round(total / seconds)} packets/s echoed (${total} packets in ${seconds.toFixed(2)} s), corrupted=${counters.corrupted}`);
  printServer(stats);
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(20);
}

function printServer(stats: ServerStats): void {
  const anomalies = anomalyTotal(stats.anomalies);
  console.log(
    `server stats: accepted=${stats.accepted} released=${stats.released} sessions=${stats.sessions} ` +
      `recvPackets=${stats.recvPackets} sendPackets=${stats.sendPackets} anomalies=${anomalies}`,
  );
}

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

async function idle(): Promise<void> {
  const count = int('idle', values.idle, 1, 9000);
  const kind = values.server;
  if (kind !== 'standalone' && kind !== 'stress') {
    process.stderr.write(`echo-load: --server must be standalone or stress, got ${kind}\n`);
    process.exit(2);
  }
  const serverArgs = ['--port', '0', '--max-sessions', String(count + 100), '--backend', values.backend ?? 'auto'];
  if (values.workers !== undefined) serverArgs.push('--workers', String(int('workers', values.workers, 1, 256)));
  const [exe, args] =
    kind === 'standalone'
      ? [standalonePath(), [...serverArgs, '--stats-interval-ms', '200']]
      : [process.execPath, [path.join(packageRoot(), 'dist', 'stress', 'cli.js'), 'server', '--stats-json', ...serverArgs]];
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: ServerLine[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = parseServerLine(text);
    if (line) lines.push(line);
  });
  await waitFor(() => lines.some((l) => l.event === 'listening') || child.exitCode !== null, 15000);
  const listening = lines.find((l): l is Extract<ServerLine, { event: 'listening' }> => l.event === 'listening');
  if (!listening) throw new Error(`the ${kind} server did not start`);
  console.log(`server: ${kind} pid ${listening.pid} on ${listening.host}:${listening.port} backend=${listening.backend} workers=${listening.workers}`);

  await sleep(500);
  const before = rssKiB(listening.pid);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, count - i) }, () => connect(listening.port)));
    for (const s of batch) s.on('error', () => undefined);
    sockets.push(...batch);
  }
  const latest = (): ServerStats | undefined => lines.filter((l) => l.event !== 'listening').at(-1) as ServerStats | undefined;
  await waitFor(() => (latest()?.sessions ?? 0) >= count, 30000);
  await sleep(1500);
  const after = rssKiB(listening.pid);
  console.log(`sessions: ${latest()?.sessions ?? 'unknown'}`);
  console.log(`server RSS: ${(before / 1024).toFixed(1)} MiB before, ${(after / 1024).toFixed(1)} MiB with ${count} idle connections ` +
    `(${(((after - before) * 1024) / count).toFixed(0)} B per connection)`);
  for (const s of sockets) s.destroy();
  await sleep(500);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const final = lines.find((l) => l.event === 'final') as ServerStats | undefined;
  if (final) printServer(final);
}

async function main(): Promise<void> {
  const script = path.relative(process.cwd(), process.argv[1]);
  console.log(`$ node ${script} ${process.argv.slice(2).join(' ')}`.trimEnd());
  if (values.idle !== undefined) await idle();
  else await throughput();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`echo-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
