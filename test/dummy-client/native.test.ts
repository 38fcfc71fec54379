/**
 * The fleet against the shipped native LanServer (build/Release/lanserver.node, run by
 * `stress server` in a child process). Skips with a reason when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { IntegrityCounts } from '../../dummy-client/types';
import { runFleet } from '../../dummy-client/fleet';
import { addonPath } from '../../server/addon';
import { leaked, type ServerStats } from '../../server/types';
import { testConfig } from './config';
import { noAnomalies } from '../stress/fixtures';
import { spawnServer, type ServerChild } from './native-server';

const skip = fs.existsSync(addonPath()) ? false : `native addon not built (${addonPath()} missing): run npm run build:native`;

function errorsOnly(i: IntegrityCounts): number[] {
  return [i.corrupted, i.reordered, i.duplicated, i.unexpected, i.lost];
}

async function quiet(server: ServerChild): Promise<ServerStats> {
  return server.quiet();
}

function assertServerClean(s: ServerStats): void {
  assert.equal(leaked(s), 0, 'server leaked sessions');
  assert.equal(s.sessions, 0, 'sessions returned to 0');
  assert.deepEqual(s.anomalies, noAnomalies());
}

test('fleet against the native echo server: ok > 0, every error class 0, server leaked 0', { skip }, async () => {
  const server = await spawnServer(['--workers', '2']);
  const { port } = server;
  try {
    const r = await runFleet(testConfig(port, { clients: 300, connectRate: 3000, durationSec: 2 }));
    assert.ok(r.integrity.ok > 0);
    assert.deepEqual(errorsOnly(r.integrity), [0, 0, 0, 0, 0]);
    assert.equal(r.integrity.abandoned, 0);
    assert.equal(r.connections.opened, 300);
    const s = await quiet(server);
    assert.equal(s.accepted, 300);
    assertServerClean(s);
    assert.equal(s.recvPackets, r.totals.sent);
  } finally {
    await server.stop();
  }
});

test('fleet with every chaos action against the native server: abandoned only, server leaked 0', { skip }, async () => {
  const server = await spawnServer(['--workers', '2']);
  const { port } = server;
  try {
    const r = await runFleet(testConfig(port, {
      clients: 100,
      durationSec: 3,
      chaos: { probability: 0.5, actions: ['rstMidBurst', 'finInFlight', 'closeAfterConnect', 'closeMidPacket', 'silence'], reconnectDelayMs: { min: 20, max: 200 } },
    }));
    assert.ok(r.integrity.ok > 0);
    assert.deepEqual(errorsOnly(r.integrity), [0, 0, 0, 0, 0]);
    assert.ok(r.cuts.length > 0);
    const s = await quiet(server);
    // A connect the server accepted but the client gave up on at stop counts on the server only;
    // at most one socket per client slot can be in that state.
    assert.ok(s.accepted >= r.connections.opened && s.accepted - r.connections.opened <= 100, `accepted ${s.accepted}, opened ${r.connections.opened}`);
    assertServerClean(s);
  } finally {
    await server.stop();
  }
});

test('broadcast traffic against the native broadcast server: intact and in order per sender', { skip }, async () => {
  const server = await spawnServer(['--workers', '2', '--mode', 'broadcast', '--room', '5']);
  const { port } = server;
  try {
    const r = await runFleet(testConfig(port, { clients: 20, durationSec: 2, traffic: 'broadcast', sendModel: { kind: 'open', rate: 50 } }));
    assert.ok(r.integrity.ok > 0);
    assert.deepEqual(errorsOnly(r.integrity), [0, 0, 0, 0, 0]);
    assertServerClean(await quiet(server));
  } finally {
    await server.stop();
  }
});

test('badInput traffic: the server disconnects oversize headers; tallied apart from integrity', { skip }, async () => {
  const server = await spawnServer(['--workers', '2', '--max-payload', '1024']);
  const { port } = server;
  try {
    const r = await runFleet(testConfig(port, { clients: 20, durationSec: 2, traffic: 'badInput' }));
    assert.ok((r.errors['badInput.oversize'] ?? 0) > 0);
    assert.ok((r.errors['badInput.closedByServer'] ?? 0) > 0);
    assert.deepEqual(errorsOnly(r.integrity), [0, 0, 0, 0, 0]);
    const s = await quiet(server);
    assert.ok(s.disconnects.protocol > 0);
    assertServerClean(s);
  } finally {
    await server.stop();
  }
});

test('server-side kicks: abandoned when the scenario says the server may cut, lost otherwise', { skip }, async () => {
  for (const serverMayCut of [true, false]) {
    const server = await spawnServer(['--workers', '2', '--kick', '0.0005', '--seed', '7']);
    try {
      const r = await runFleet(testConfig(server.port, { clients: 20, durationSec: 2, serverMayCut }));
      assert.ok(r.integrity.ok > 0);
      const s = await quiet(server);
      assert.ok(s.disconnects.kicked > 0, 'the server kicked someone');
      assertServerClean(s);
      if (serverMayCut) {
        assert.deepEqual(errorsOnly(r.integrity), [0, 0, 0, 0, 0]);
        assert.ok((r.errors.serverClosed ?? 0) > 0);
      } else {
        assert.ok(r.integrity.lost > 0, 'in-flight packets of an unexpected server close are lost');
        assert.deepEqual(errorsOnly(r.integrity).slice(0, 4), [0, 0, 0, 0]);
      }
    } finally {
      await server.stop();
    }
  }
});
