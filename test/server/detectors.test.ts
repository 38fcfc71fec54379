/**
 * The server's own detectors (addon/src/core/prober.h, SessionTable::reserve): each anomaly
 * counter fires on a standalone lanserver built with the fault it exists to see (addon/Makefile
 * FAULT=), and every one stays 0 on the clean build driven the same way. Real sockets on
 * loopback against the real native server; each test bounded in time.
 *
 *  staleIdAccepted  ACQUIRE_SLOT_ONLY            probes + churn (released slots reused at once)
 *  dirtySlot        RELEASE_KEEPS_QUEUED_BYTES   slow readers cut with echoes queued, then churn
 *  releaseStalled   SKIP_SHUTDOWN_ON_DISCONNECT  broadcast: idle receivers cut (sendQueueFull) by the
 *                                                sender's worker while their recv is pending
 *
 * strandedSend is proven on a hand-built stranding in test/addon/core/prober_test.cpp: the race
 * NO_SENDFLAG_RECHECK opens (a push between the holder's empty collect and its flag store, a few
 * nanoseconds) was not hit by probes + a small send buffer + idle readers in minutes of trying.
 *
 * Also here: probe packets have the documented format, and sendQueueLimit bounds real memory
 * (RSS) for slow readers of empty packets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ServerOptions, ServerStats } from '../../server/types';
import { readRssKiB } from '../../stress/run/rss';
import { buildLanserver, toolchainMissing } from '../support/toolchain';
import { LineReader, TestClient, closeAll, isListening, isStats, sleep, standaloneArgs, waitUntil } from './helpers';

const opts = { skip: toolchainMissing(), timeout: 180_000 };
const KIB = 1024;
const MIB = 1024 * KIB;
/** The probe packets' serial (no fleet connection has it). */
const PROBE_SERIAL = 0xffffffff;
const CHURN_MS = 3000;

type Anomaly = keyof ServerStats['anomalies'];
type TestContext = { after: (f: () => void) => void };

interface Server {
  reader: LineReader;
  port: number;
  pid: number;
  /** The next stats line printed from now. */
  stats(): Promise<ServerStats>;
}

async function startServer(t: TestContext, bin: string, options: Partial<ServerOptions>): Promise<Server> {
  const all: Partial<ServerOptions> = { host: '127.0.0.1', port: 0, workers: 2, maxSessions: 1000, backend: 'epoll', ...options };
  const reader = new LineReader(spawn(bin, standaloneArgs(all, 100), { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.after(() => {
    if (!reader.exit) reader.child.kill('SIGKILL');
  });
  const listening = await reader.next(isListening, 'listening');
  return {
    reader,
    port: listening.port,
    pid: listening.pid,
    stats: () => reader.next(isStats, 'a stats line', 15000, reader.lines.length),
  };
}

/** Connect, one echo, close; `parallel` such loops for `ms`: sessions released and their slots reused. */
async function churn(port: number, ms: number, parallel = 16): Promise<number> {
  const end = Date.now() + ms;
  let cycles = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const c = await TestClient.attempt(port);
      if (!c.closed) {
        c.send(Buffer.alloc(16, 7));
        await c.waitPackets(1, 5000).catch(() => undefined);
      }
      c.destroy();
      cycles++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
  return cycles;
}

/**
 * Connections that never read and write `bytes` of frames of `payload` bytes (0: empty frames,
 * 2-byte headers of length 0). With a payload, a session's queue fills over several reads, so the
 * server cuts it (sendQueueFull) with a send still pending; empty frames fill it within one read.
 */
async function slowReaders(port: number, n: number, bytes: number, payload: number): Promise<TestClient[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => TestClient.connect(port)));
  const frame = Buffer.alloc(2 + payload, 0x5a);
  frame.writeUInt16LE(payload, 0);
  const flood = Buffer.alloc(Math.floor(bytes / frame.length) * frame.length);
  for (let off = 0; off < flood.length; off += frame.length) frame.copy(flood, off);
  for (const c of clients) {
    c.socket.pause();
    c.socket.write(flood);
  }
  return clients;
}

async function stop(server: Server): Promise<void> {
  server.reader.child.kill('SIGTERM');
  const exit = await server.reader.waitExit();
  assert.equal(exit.code, 0, server.reader.stderr);
}

/** A decoded probe payload is well formed: its length, counter and filler as prober.h documents. */
function probeProblem(p: Buffer): string | null {
  const n = p.readUInt32LE(4);
  if (p.length !== 16 + (n % 49)) return `probe ${n}: length ${p.length}, expected ${16 + (n % 49)}`;
  for (let i = 0; i + 16 < p.length; i++) {
    if (p[16 + i] !== ((n * 7 + i * 131) & 0xff)) return `probe ${n}: filler byte ${i} is ${p[16 + i]}`;
  }
  return null;
}

function isProbe(p: Buffer): boolean {
  return p.length >= 16 && p.readUInt32LE(0) === PROBE_SERIAL;
}

/** The sweep's period and the releaseStalled delay (addon/src/core/prober.h). */
const SWEEP_MS = 100;
const kReleaseStallMs = 3000;

function assertNoAnomaly(st: ServerStats): void {
  const fired = Object.entries(st.anomalies).filter(([, v]) => v !== 0);
  assert.deepEqual(fired, [], JSON.stringify(st.anomalies));
}

interface Detector {
  anomaly: Anomaly;
  fault: string;
  drive: string;
  run: (t: TestContext, bin: string) => Promise<ServerStats>;
}

/** Probes on while connections come and go: each released id is probed as its slot is reused. */
async function probedChurn(t: TestContext, bin: string): Promise<ServerStats> {
  const server = await startServer(t, bin, { probes: true });
  await churn(server.port, CHURN_MS);
  return server.stats();
}

/** Slow readers cut with echoes still queued, then new connections reuse their slots. */
async function cutThenReuse(t: TestContext, bin: string): Promise<ServerStats> {
  const server = await startServer(t, bin, { sendBuffer: 4096, sendQueueLimit: 64 * KIB });
  const slow = await slowReaders(server.port, 10, 2 * MIB, 64);
  t.after(() => closeAll(slow));
  await waitUntil(() => server.stats(), (s) => s.disconnects.sendQueueFull + s.disconnectingSessions >= 10, 'the slow readers cut', 15000);
  closeAll(slow);
  await churn(server.port, 1000);
  return server.stats();
}

/**
 * Broadcast: idle receivers (never read, never write) are cut for sendQueueFull by the worker of
 * the one sender, while their own recv is pending; they stay connected past the stall delay.
 */
async function receiversCutWhileIdle(t: TestContext, bin: string): Promise<ServerStats> {
  const receivers = 5;
  const server = await startServer(t, bin, { mode: 'broadcast', sendBuffer: 4096, sendQueueLimit: 64 * KIB });
  const idle = await Promise.all(Array.from({ length: receivers }, () => TestClient.connect(server.port)));
  t.after(() => closeAll(idle));
  for (const c of idle) c.socket.pause();
  const sender = await TestClient.connect(server.port);
  t.after(() => sender.destroy());
  const frame = Buffer.alloc(66, 0x5a);
  frame.writeUInt16LE(64, 0);
  const burst = Buffer.concat(Array.from({ length: 300 }, () => frame));
  // Paced, and the sender reads its own copies, so the receivers' queues fill first.
  for (let i = 0; i < 100; i++) {
    sender.socket.write(burst);
    await sleep(10);
  }
  await waitUntil(() => server.stats(), (s) => s.disconnects.sendQueueFull + s.disconnectingSessions >= receivers, 'the receivers cut', 15000);
  await sleep(kReleaseStallMs + 2 * SWEEP_MS);
  return server.stats();
}


const DETECTORS: Detector[] = [
  { anomaly: 'staleIdAccepted', fault: 'ACQUIRE_SLOT_ONLY', drive: 'probes + churn', run: probedChurn },
  { anomaly: 'dirtySlot', fault: 'RELEASE_KEEPS_QUEUED_BYTES', drive: 'slow readers cut, slots reused', run: cutThenReuse },
  { anomaly: 'releaseStalled', fault: 'SKIP_SHUTDOWN_ON_DISCONNECT', drive: 'broadcast receivers cut while idle', run: receiversCutWhileIdle },
];

describe('server detectors', () => {
  test('clean build: probes, churn, idle and slow readers: every anomaly stays 0 and probe packets are well formed', opts, async (t) => {
    const bin = await buildLanserver('release', null);
    const server = await startServer(t, bin, { probes: true, sendBuffer: 4096, sendQueueLimit: 64 * KIB });
    const idle = await Promise.all(Array.from({ length: 50 }, () => TestClient.connect(server.port)));
    t.after(() => closeAll(idle));
    const slow = await slowReaders(server.port, 10, 2 * MIB, 64);
    t.after(() => closeAll(slow));
    await churn(server.port, CHURN_MS);
    await waitUntil(() => server.stats(), (s) => s.disconnects.sendQueueFull >= 10, 'the slow readers cut', 15000);
    closeAll(slow);
    await churn(server.port, 1000);
    closeAll(idle);
    const quiet = await waitUntil(() => server.stats(), (s) => s.sessions === 0, 'every session released', 15000);

    assertNoAnomaly(quiet);
    assert.equal(quiet.strandedSessions, 0);
    assert.ok(quiet.probeCalls > 1000, `probeCalls ${quiet.probeCalls}`);
    const probes = idle.flatMap((c) => c.packets).filter(isProbe);
    assert.ok(probes.length > 100, `${probes.length} probe packets reached the idle readers`);
    assert.deepEqual(probes.map(probeProblem).filter((p) => p !== null).slice(0, 5), []);
    assert.equal(idle.flatMap((c) => c.packets).filter((p) => !isProbe(p)).length, 0, 'idle readers get nothing but probes');
    await stop(server);
  });

  for (const d of DETECTORS) {
    test(`${d.anomaly}: 0 on the clean build under ${d.drive}`, opts, async (t) => {
      const st = await d.run(t, await buildLanserver('release', null));
      assertNoAnomaly(st);
      if (d.anomaly === 'staleIdAccepted') assert.ok(st.probeCalls > 0 && st.staleIdCalls > 0, 'stale ids were probed');
    });
    test(`${d.anomaly}: fires on FAULT=${d.fault} under ${d.drive}`, opts, async (t) => {
      const st = await d.run(t, await buildLanserver('release', d.fault));
      assert.ok(st.anomalies[d.anomaly] > 0, JSON.stringify(st.anomalies));
    });
  }

  test('sendQueueLimit bounds real memory: slow readers of empty packets stay within clients x limit + a base', opts, async (t) => {
    const bin = await buildLanserver('release', null);
    const clients = 50;
    const limit = 256 * KIB;
    const server = await startServer(t, bin, { sendBuffer: 4096, sendQueueLimit: limit });
    const base = readRssKiB(server.pid);
    assert.ok(base !== null, 'RSS readable from /proc');
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, readRssKiB(server.pid) ?? 0);
    }, 10);
    t.after(() => clearInterval(sampler));
    const slow = await slowReaders(server.port, clients, 4 * MIB, 0);
    t.after(() => closeAll(slow));
    await waitUntil(() => server.stats(), (s) => s.disconnects.sendQueueFull >= clients, 'every slow reader cut', 60000);
    clearInterval(sampler);
    closeAll(slow);
    const growthMiB = (peak - base) / KIB;
    // Receive rings and session bookkeeping (well under 1 MiB here) plus allocator slack.
    const boundMiB = (clients * limit) / MIB + 16;
    t.diagnostic(`RSS growth ${growthMiB.toFixed(1)} MiB, bound ${boundMiB} MiB`);
    assert.ok(growthMiB < boundMiB, `RSS grew ${growthMiB.toFixed(1)} MiB, more than ${boundMiB} MiB`);
    await stop(server);
  });
});
