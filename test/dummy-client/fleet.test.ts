import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLEET_IO, type FleetResult, type IntegrityCounts } from '../../dummy-client/types';
import { runFleet, splitClients, validateFleetConfig } from '../../dummy-client/fleet';
import { emptyCounts } from '../../dummy-client/integrity';
import { decodeHistogram, percentiles } from '../../dummy-client/latency';
import { testConfig } from './config';
import { errorsOnly, FAULT_CLASSES, startEchoServer } from './servers';
import { nativeIoMissing } from '../support/native-io';

const ALL_ACTIONS = ['rstMidBurst', 'finInFlight', 'closeAfterConnect', 'closeMidPacket', 'silence'] as const;

test('splitClients splits exactly; validateFleetConfig names every bad field', () => {
  assert.deepEqual(splitClients(10, 3), [[0, 4], [4, 7], [7, 10]]);
  assert.deepEqual(splitClients(1, 2), [[0, 1], [1, 1]]);
  const errs = validateFleetConfig(testConfig(0, { host: '10.0.0.1', clients: -1, payload: { min: 8, max: 4 } }));
  assert.ok(errs.some((e) => e.startsWith('host:')));
  assert.ok(errs.some((e) => e.startsWith('port:')));
  assert.ok(errs.some((e) => e.startsWith('clients:')));
  assert.ok(errs.some((e) => e.startsWith('payload.min:')));
  assert.ok(errs.some((e) => e.startsWith('payload:')));
});

test('honest echo server: ok > 0, every error class 0, exactly N connections opened', async () => {
  const srv = await startEchoServer();
  try {
    const ticks: number[] = [];
    const r = await runFleet(testConfig(srv.port, { clients: 200, connectRate: 2000, durationSec: 2 }), { onTick: (t) => void ticks.push(t.t) });
    assert.ok(r.integrity.ok > 0);
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
    assert.equal(r.integrity.abandoned, 0);
    assert.equal(r.totals.sent, r.integrity.ok);
    assert.equal(srv.accepts, 200);
    assert.ok(srv.peak <= 200);
    assert.equal(r.connections.opened, 200);
    assert.equal(r.connections.peak, 200);
    assert.equal(r.connections.connectErrors, 0);
    assert.deepEqual(ticks, [1, 2]);
    assert.ok(r.ticks.every((t) => t.errors === 0));
    assert.equal(decodeHistogram(r.histograms.corrected).totalCount, r.integrity.ok);
    assert.equal(decodeHistogram(r.histograms.connect).totalCount, 200);
  } finally {
    await srv.close();
  }
});

for (const [fault, cls] of FAULT_CLASSES) {
  test(`broken server (${fault.kind}) is caught: exactly ${cls} == 1 and nothing else`, async () => {
    // No echo timeout: a dropped packet is lost at the end of the drain, and a slow echo on a busy
    // machine cannot be declared lost by mistake.
    const srv = await startEchoServer(fault);
    try {
      const r = await runFleet(testConfig(srv.port, { clients: 10, workers: 2, durationSec: 1, echoTimeoutMs: 0, drainTimeoutMs: 2000 }));
      assert.ok(srv.faulted, 'the fault fired');
      const expected = { ...errorsOnly(emptyCounts()), [cls]: 1 };
      assert.deepEqual(errorsOnly(r.integrity), expected);
      assert.ok(r.integrity.ok > 0);
      assert.equal(r.integrity.abandoned, 0);
    } finally {
      await srv.close();
    }
  });
}

/** Each packet sent gets exactly one class (nothing cut, so nothing abandoned). */
function classified(i: IntegrityCounts): number {
  return i.ok + i.corrupted + i.reordered + i.duplicated + i.lost;
}

function tickErrors(r: FleetResult): number {
  return r.ticks.reduce((a, t) => a + t.errors, 0);
}

// Pipeline 1, so the held packet is the only one in flight on its connection when it goes overdue.
const slowEchoConfig = { clients: 10, workers: 1, durationSec: 2, sendModel: { kind: 'closed', pipeline: 1 }, echoTimeoutMs: 300, drainTimeoutMs: 3000 } as const;

test('a slow but correct server (one echo held past the echo timeout, order kept): late, never lost or reordered', async () => {
  const srv = await startEchoServer({ kind: 'delay', at: 100, ms: 1200, inOrder: true });
  try {
    const r = await runFleet(testConfig(srv.port, slowEchoConfig));
    assert.ok(srv.faulted, 'the fault fired');
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
    assert.equal(r.integrity.ok, r.totals.sent, 'every packet counted once, as ok');
    // The held echo, and those sent on its connection while it was held, arrived after the timeout.
    assert.ok((r.totals.late ?? 0) >= 1, `late ${r.totals.late}`);
    assert.ok((r.totals.late ?? 0) <= 1200 / 300 + 1, `late ${r.totals.late}`);
    assert.equal(tickErrors(r), 0, 'the live line showed no error either');
  } finally {
    await srv.close();
  }
});

test('one echo held past the timeout while later ones overtake it: exactly reordered == 1, never also lost', async () => {
  const srv = await startEchoServer({ kind: 'delay', at: 100, ms: 1200, inOrder: false });
  try {
    const r = await runFleet(testConfig(srv.port, slowEchoConfig));
    assert.ok(srv.faulted, 'the fault fired');
    assert.deepEqual(errorsOnly(r.integrity), { ...errorsOnly(emptyCounts()), reordered: 1 });
    assert.equal(classified(r.integrity), r.totals.sent);
    assert.equal(r.totals.late, 1);
    // Declared lost when the next echo overtook it, moved to reordered when it came: one error in all.
    assert.equal(tickErrors(r), 1);
  } finally {
    await srv.close();
  }
});

test('a dropped packet is caught through the echo timeout: exactly lost == 1, and the live errors agree', async () => {
  const srv = await startEchoServer({ kind: 'drop', at: 100 });
  try {
    const r = await runFleet(testConfig(srv.port, slowEchoConfig));
    assert.ok(srv.faulted, 'the fault fired');
    assert.deepEqual(errorsOnly(r.integrity), { ...errorsOnly(emptyCounts()), lost: 1 });
    assert.equal(classified(r.integrity), r.totals.sent);
    assert.equal(r.totals.late, 0);
    assert.equal(tickErrors(r), 1);
  } finally {
    await srv.close();
  }
});

test('open loop against a server that stalls once for 200 ms: corrected latency shows it, uncorrected does not', async () => {
  const srv = await startEchoServer({ kind: 'stall', at: 1000, ms: 200 });
  try {
    const r = await runFleet(testConfig(srv.port, { clients: 20, workers: 1, durationSec: 3, sendModel: { kind: 'open', rate: 100 } }));
    assert.ok(srv.faulted);
    const ch = decodeHistogram(r.histograms.corrected);
    const uh = decodeHistogram(r.histograms.uncorrected);
    const corrected = percentiles(ch);
    const uncorrected = percentiles(uh);
    assert.ok(corrected.max >= 150_000, `corrected max ${corrected.max} us`);
    assert.ok(corrected.p99 >= 100_000, `corrected p99 ${corrected.p99} us`);
    assert.ok(uncorrected.p99 < corrected.p99, `uncorrected p99 ${uncorrected.p99} us vs corrected ${corrected.p99} us`);
    // Each connection had ~10 sends due in the first half of the stall (>= 100 ms late when echoed)
    // but only its one in-flight packet waited that long from its actual send. Client noise on a
    // busy machine lands in both figures alike (corrected >= uncorrected per sample), so the
    // difference is what the stall hid from the uncorrected one: ~180 here.
    const hidden = countAtOrAbove(ch, 100_000) - countAtOrAbove(uh, 100_000);
    assert.ok(hidden >= 100, `samples >= 100 ms: corrected - uncorrected = ${hidden}`);
    assert.ok(r.totals.behindSchedule > 0);
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
  } finally {
    await srv.close();
  }
});

/** Samples >= v, found by bisecting the percentile (the histogram API has no direct count). */
function countAtOrAbove(h: ReturnType<typeof decodeHistogram>, v: number): number {
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (h.getValueAtPercentile(mid) < v) lo = mid;
    else hi = mid;
  }
  return Math.round(((100 - hi) / 100) * h.totalCount);
}

function cutSet(r: FleetResult, beforeMs: number): string[] {
  return r.cuts.filter((c) => c.atMs < beforeMs).map((c) => `${c.serial}:${c.action}`).sort();
}

test('chaos: the same seed cuts the same (serial, action) set; cut connections abandon, never lose', async () => {
  const srv = await startEchoServer();
  try {
    const cfg = testConfig(srv.port, {
      clients: 40,
      durationSec: 3,
      chaos: { probability: 0.6, actions: [...ALL_ACTIONS], reconnectDelayMs: { min: 5000, max: 5000 } },
    });
    const a = await runFleet(cfg);
    const b = await runFleet(cfg);
    const other = await runFleet({ ...cfg, seed: 43 });
    // Cuts drawn for the first second of life fire at (connect time + 1000..1100 ms), those for the
    // second at (connect time + 2000 ms) or later: 1950 ms separates them even with slow connects,
    // and the 3 s run lets every first-second cut happen.
    const setA = cutSet(a, 1950);
    assert.ok(setA.length > 5, `cuts: ${setA.length}`);
    assert.deepEqual(cutSet(b, 1950), setA);
    assert.notDeepEqual(cutSet(other, 1950), setA);
    for (const r of [a, b, other]) {
      assert.equal(r.integrity.lost, 0);
      assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
      assert.ok(r.integrity.abandoned > 0);
      const fired = Object.values(r.chaos).reduce((x, y) => x + y, 0);
      assert.equal(fired, r.cuts.length);
    }
    assert.ok(srv.peak <= 40);
  } finally {
    await srv.close();
  }
});

test('chaos with reconnects and churn never exceeds N sockets at once', async () => {
  const srv = await startEchoServer();
  try {
    const r = await runFleet(testConfig(srv.port, {
      clients: 30,
      durationSec: 2,
      connectionLifetimeMs: 400,
      chaos: { probability: 0.5, actions: [...ALL_ACTIONS], reconnectDelayMs: { min: 0, max: 50 } },
    }));
    assert.ok(r.connections.reconnects > 0);
    assert.ok(srv.peak <= 30, `server saw ${srv.peak} at once`);
    // Connects still pending at stop may be accepted by the server without the client counting them.
    assert.ok(srv.accepts >= r.connections.opened && srv.accepts - r.connections.opened <= 30, `accepts ${srv.accepts}, opened ${r.connections.opened}`);
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
  } finally {
    await srv.close();
  }
});

test('abort signal stops early and still returns a drained result', async () => {
  const srv = await startEchoServer();
  try {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1200);
    const t0 = Date.now();
    const r = await runFleet(testConfig(srv.port, { durationSec: 30 }), { signal: ac.signal });
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(r.integrity.ok > 0);
    assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
  } finally {
    await srv.close();
  }
});

test('connect failures are counted by code and retried', async () => {
  const srv = await startEchoServer();
  const port = srv.port;
  await srv.close();
  const r = await runFleet(testConfig(port, { clients: 4, workers: 1, durationSec: 1 }));
  assert.ok(r.connections.connectErrors > 0);
  assert.ok((r.errors.ECONNREFUSED ?? 0) > 0);
  assert.equal(r.connections.opened, 0);
  assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
});

test('invalid config rejects with every bad field named', async () => {
  await assert.rejects(runFleet(testConfig(1, { workers: 0, durationSec: 0 })), /workers:[\s\S]*durationSec:/);
});

test('a crashing worker rejects runFleet with a clear error', async () => {
  const srv = await startEchoServer();
  try {
    await assert.rejects(
      runFleet(testConfig(srv.port), { workerFile: require.resolve('./crashing-worker') }),
      /fleet worker \d crashed: deliberate crash in a fleet worker/,
    );
  } finally {
    await srv.close();
  }
});

for (const io of FLEET_IO) {
  // The engine binds the source address itself (fleet_engine.cpp), net through localAddress.
  const skip = io === 'native' ? nativeIoMissing() : false;
  test(`sourceIps spreads connections over the given loopback addresses (--io ${io})`, { skip }, async () => {
    const srv = await startEchoServer();
    try {
      const r = await runFleet(testConfig(srv.port, { io, clients: 6, workers: 1, durationSec: 1, sourceIps: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] }));
      assert.equal(r.connections.opened, 6);
      assert.deepEqual([...srv.peers].sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      assert.deepEqual(errorsOnly(r.integrity), errorsOnly(emptyCounts()));
    } finally {
      await srv.close();
    }
  });
}
