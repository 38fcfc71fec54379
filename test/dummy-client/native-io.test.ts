/**
 * The fleet on the native socket engine (--io native, dummy-client/native-socket.ts) over real
 * sockets: an honest server passes with every connection accounted for; each broken server is
 * caught by its own integrity class on this path too (the checks are the same JS, the bytes come
 * through the engine's batches); chaos traffic and every chaos action pass against the shipped
 * server; a connect nobody answers still times out; and `stress chaos --io native --gate` passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHAOS_ACTIONS } from '../../dummy-client/types';
import { runFleet } from '../../dummy-client/fleet';
import { emptyCounts } from '../../dummy-client/integrity';
import { testConfig } from './config';
import { assertCleanAfterChaos, spawnServer } from './native-server';
import { errorsOnly, FAULT_CLASSES, startEchoServer } from './servers';
import { failed, runScenarioCli } from '../scenarios/run-helpers';
import { nativeIoMissing } from '../support/native-io';

const skip = nativeIoMissing();

test('native io, honest echo server: every echo ok, exactly N connections, nothing else', { skip }, async () => {
  const srv = await startEchoServer();
  try {
    const r = await runFleet(testConfig(srv.port, { io: 'native', clients: 200, connectRate: 2000, durationSec: 2 }));
    assert.ok(r.integrity.ok > 1000, `ok ${r.integrity.ok}`);
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
    assert.equal(r.totals.sent, r.integrity.ok);
    assert.equal(srv.accepts, 200);
    assert.equal(r.connections.opened, 200);
    assert.equal(r.connections.connectErrors, 0);
    assert.deepEqual(r.errors, {});
  } finally {
    await srv.close();
  }
});

test('native io, broken servers: each is caught by exactly its class, once', { skip }, async () => {
  for (const [fault, cls] of FAULT_CLASSES) {
    const srv = await startEchoServer(fault);
    try {
      const r = await runFleet(testConfig(srv.port, { io: 'native', clients: 10, durationSec: 1, echoTimeoutMs: 0, drainTimeoutMs: 2000 }));
      assert.ok(srv.faulted, `${fault.kind}: the fault fired`);
      assert.deepEqual(errorsOnly(r.integrity), { ...errorsOnly(emptyCounts()), [cls]: 1 }, fault.kind);
      assert.ok(r.integrity.ok > 0);
    } finally {
      await srv.close();
    }
  }
});

test('native io, junk from the server: corrupted at once and the connection cut', { skip }, async () => {
  const srv = await startEchoServer({ kind: 'junkHeader', at: 200 });
  try {
    const r = await runFleet(testConfig(srv.port, { io: 'native', clients: 10, durationSec: 2, echoTimeoutMs: 60_000, drainTimeoutMs: 1000 }));
    assert.equal(r.integrity.corrupted, 1, JSON.stringify(r.integrity));
    assert.equal(r.integrity.lost, 0);
    assert.equal(r.errors.junkFrame, 1);
  } finally {
    await srv.close();
  }
});

test('native io, chaos traffic and every chaos action against the shipped server: 0 integrity errors, server clean', { skip }, async () => {
  const server = await spawnServer(['--workers', '2', '--send-queue-limit', '262144']);
  try {
    const r = await runFleet(
      testConfig(server.port, {
        io: 'native',
        traffic: 'chaos',
        clients: 100,
        durationSec: 4,
        payload: { min: 16, max: 512 },
        chaos: { probability: 0.3, actions: [...CHAOS_ACTIONS], reconnectDelayMs: { min: 10, max: 100 } },
      }),
    );
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
    assert.ok(r.integrity.ok > 1000, `ok ${r.integrity.ok}`);
    for (const a of CHAOS_ACTIONS) assert.ok(r.chaos[a] > 0, `no ${a} cut: ${JSON.stringify(r.chaos)}`);
    assert.ok((r.errors['stall.started'] ?? 0) > 0, `no stall: ${JSON.stringify(r.errors)}`);
    await assertCleanAfterChaos(server);
  } finally {
    await server.stop();
  }
});

test('native io, a refused connect is a connect error with its errno name', { skip }, async () => {
  const srv = await startEchoServer();
  const port = srv.port;
  await srv.close();
  const r = await runFleet(testConfig(port, { io: 'native', clients: 5, workers: 1, durationSec: 1, drainTimeoutMs: 200 }));
  assert.ok(r.connections.connectErrors > 0, JSON.stringify(r.connections));
  assert.ok((r.errors.ECONNREFUSED ?? 0) > 0, JSON.stringify(r.errors));
  assert.equal(r.connections.opened, 0);
});

test('stress chaos --io native --gate passes against the shipped server', { skip }, async () => {
  const run = await runScenarioCli(['chaos', '--io', 'native', '--backend', 'epoll', '--clients', '200', '--duration', '4', '--gate']);
  assert.equal(run.cli.code, 0, `failed: ${failed(run.report).join(', ')}\n${run.cli.stderr.slice(-2000)}`);
  assert.equal(run.report.verdict, 'pass');
});
