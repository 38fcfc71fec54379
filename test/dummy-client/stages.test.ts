import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareOf, targetAt, type FleetStage } from '../../dummy-client/stages';
import { splitClients } from '../../dummy-client/fleet';

const st = (durationSec: number, clients: number, rate: number | null): FleetStage => ({ durationSec, clients, rate, totalRate: null });

test('each stage ramps linearly from the previous target, the first from 0; past the end the last target holds', () => {
  const stages = [st(10, 100, 10), st(0, 200, 50), st(10, 0, 0)];
  assert.deepEqual(targetAt(stages, 0), { clients: 0, rate: 0, totalRate: null });
  assert.deepEqual(targetAt(stages, 5), { clients: 50, rate: 5, totalRate: null });
  // A stage of 0 s jumps.
  assert.deepEqual(targetAt(stages, 10), { clients: 200, rate: 50, totalRate: null });
  assert.deepEqual(targetAt(stages, 15), { clients: 100, rate: 25, totalRate: null });
  assert.deepEqual(targetAt(stages, 99), { clients: 0, rate: 0, totalRate: null });
});

test('closed-loop stages carry no rate', () => {
  assert.deepEqual(targetAt([st(4, 40, null)], 1), { clients: 10, rate: null, totalRate: null });
});

test("workers' shares of a fleet-wide count add up to it exactly", () => {
  for (const [clients, workers] of [[1000, 3], [7, 2], [5, 8]] as const) {
    const split = splitClients(clients, workers);
    for (const count of [0, 1, 333, clients].filter((n) => n <= clients)) {
      const shares = split.map(([from, to]) => shareOf(count, clients, from, to));
      assert.equal(shares.reduce((a, b) => a + b, 0), count, `${count} of ${clients} over ${workers}`);
      split.forEach(([from, to], i) => assert.ok(shares[i]! <= to - from));
    }
  }
});
