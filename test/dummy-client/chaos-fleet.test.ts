/**
 * Chaos traffic, junk frames and the connect timeout over real sockets: an honest Node echo server
 * and the shipped native server pass; each deliberately broken server (servers.ts) is caught, and
 * caught by what it breaks (corrupted at once, not lost after an echo timeout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { FleetResult, IntegrityCounts } from '../../dummy-client/types';
import { runFleet } from '../../dummy-client/fleet';
import { integrityErrors } from '../../dummy-client/integrity';
import { addonPath } from '../../server/addon';
import { leaked } from '../../server/types';
import { testConfig } from './config';
import { assertCleanAfterChaos, spawnServer } from './native-server';
import { startEchoServer, type Fault } from './servers';
import { failed, runScenarioCli } from '../scenarios/run-helpers';

const noAddon = fs.existsSync(addonPath()) ? false : `native addon not built (${addonPath()} missing): run npm run build:native`;

function errorsOnly(i: IntegrityCounts): Partial<IntegrityCounts> {
  return { corrupted: i.corrupted, reordered: i.reordered, duplicated: i.duplicated, unexpected: i.unexpected, lost: i.lost };
}
const NO_ERRORS = { corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0 };

/** Chaos traffic long enough for stalls (they start 0.3..2.5 s into a connection's life). */
const chaosRun = { traffic: 'chaos' as const, clients: 60, durationSec: 4, payload: { min: 16, max: 512 }, serverMaxPayload: 8192 };

async function againstNode(fault: Fault, over: Parameters<typeof testConfig>[1]): Promise<FleetResult> {
  const srv = await startEchoServer(fault);
  try {
    return await runFleet(testConfig(srv.port, over));
  } finally {
    await srv.close();
  }
}

test('chaos traffic against an honest echo server: every echo checks out, stalls happened and were read back', async () => {
  const r = await againstNode({ kind: 'none' }, chaosRun);
  assert.deepEqual(errorsOnly(r.integrity), NO_ERRORS);
  assert.ok(r.integrity.ok > 1000, `ok ${r.integrity.ok}`);
  assert.ok((r.errors['stall.started'] ?? 0) > 0, `no stall: ${JSON.stringify(r.errors)}`);
  assert.equal(r.errors['stall.cutByServer'] ?? 0, 0, 'a Node server has no send-queue limit: nobody is cut');
  assert.equal(r.totals.probes, 0);
});

test('chaos traffic catches what plain echo traffic cannot: split frames, exactly maxPayload, 0-length frames', async () => {
  const broken: Array<[string, Fault]> = [
    ['frames parsed per read (split frames dropped)', { kind: 'chunkLocal' }],
    ['exactly maxPayload taken as a violation', { kind: 'rejectMax', maxPayload: 8192 }],
    ['0-length frames never echoed', { kind: 'dropEmpty' }],
  ];
  for (const [name, fault] of broken) {
    const r = await againstNode(fault, { ...chaosRun, clients: 20, durationSec: 2, echoTimeoutMs: 1000, drainTimeoutMs: 1000 });
    assert.ok(integrityErrors(r.integrity) > 0, `${name}: ${JSON.stringify(r.integrity)}`);
  }
});

test('junk from the server (a wrong length header, garbage, a truncated echo) is corrupted at once, never left to time out', async () => {
  for (const kind of ['junkHeader', 'garbage', 'truncate'] as const) {
    // An echo timeout longer than the run: any error seen came from the check itself.
    const r = await againstNode({ kind, at: 200 }, { clients: 10, durationSec: 2, echoTimeoutMs: 60_000, drainTimeoutMs: 1000 });
    assert.ok(r.integrity.corrupted >= 1, `${kind}: ${JSON.stringify(r.integrity)}`);
    assert.equal(r.integrity.unexpected + r.integrity.duplicated + r.integrity.reordered, 0, `${kind}: ${JSON.stringify(r.integrity)}`);
    const firstError = r.ticks.find((t) => t.errors > 0);
    assert.ok(firstError !== undefined && firstError.t <= 2, `${kind}: errors only at the end`);
    if (kind !== 'truncate') {
      // Counted once: the junk frame is corrupted, the cut connection's other packets abandoned.
      assert.equal(r.integrity.corrupted, 1, `${kind}: ${JSON.stringify(r.integrity)}`);
      assert.equal(r.integrity.lost, 0);
      assert.equal(r.errors.junkFrame, 1);
    }
  }
});

/**
 * A listener that never accepts (its event loop is blocked), with backlog 1 (Node takes 0 as its
 * default, 511): the kernel completes two handshakes, then drops every further SYN.
 */
async function neverAccepting(): Promise<{ port: number; child: ChildProcess }> {
  const code = `const s = require('net').createServer(); s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
    process.stdout.write(s.address().port + '\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
  });
  return { port, child };
}

test('connects that never complete are connect errors (ETIMEDOUT), and a --threshold connectErrors==0 run fails', async () => {
  // One listener each: the queue slots a run used stay taken (nobody accepts them).
  const fleetTarget = await neverAccepting();
  const cliTarget = await neverAccepting();
  try {
    const r = await runFleet(testConfig(fleetTarget.port, { clients: 10, workers: 1, durationSec: 2, connectTimeoutMs: 300, drainTimeoutMs: 500 }));
    assert.ok(r.connections.connectErrors > 0, JSON.stringify(r.connections));
    assert.ok((r.errors.ETIMEDOUT ?? 0) > 0, JSON.stringify(r.errors));
    const run = await runScenarioCli(['echo-flood', '--target', `127.0.0.1:${cliTarget.port}`, '--clients', '10', '--duration', '2', '--connect-timeout', '300', '--drain-timeout', '500', '--threshold', 'connectErrors==0']);
    assert.ok(failed(run.report).some((g) => g.startsWith('connectErrors')), `failed: ${failed(run.report).join(', ')}`);
    assert.equal(run.cli.code, 1);
  } finally {
    fleetTarget.child.kill('SIGKILL');
    cliTarget.child.kill('SIGKILL');
  }
});

test('chaos traffic against the native server: 0 integrity errors, server clean', { skip: noAddon }, async () => {
  const server = await spawnServer(['--workers', '2']);
  try {
    const r = await runFleet(testConfig(server.port, { ...chaosRun, clients: 100, durationSec: 5 }));
    assert.deepEqual(errorsOnly(r.integrity), NO_ERRORS);
    assert.ok(r.integrity.ok > 1000, `ok ${r.integrity.ok}`);
    assert.ok((r.errors['stall.started'] ?? 0) > 0);
    await assertCleanAfterChaos(server);
  } finally {
    await server.stop();
  }
});

test('probe packets from the native server (--probes) are counted, never an integrity error', { skip: noAddon }, async () => {
  const server = await spawnServer(['--workers', '2', '--probes', '--send-buffer', '4608']);
  try {
    // The probes also kick live sessions: those cuts are the server's on purpose.
    const r = await runFleet(testConfig(server.port, { ...chaosRun, clients: 50, durationSec: 3, serverMayCut: true }));
    assert.deepEqual(errorsOnly(r.integrity), NO_ERRORS);
    assert.ok((r.totals.probes ?? 0) > 0, `probes ${r.totals.probes}`);
    assert.equal(r.totals.echoed, r.integrity.ok, 'a probe is not an echo');
    const s = await server.quiet();
    assert.equal(leaked(s), 0);
  } finally {
    await server.stop();
  }
});
