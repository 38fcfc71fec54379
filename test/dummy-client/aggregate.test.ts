import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateResult, aggregateTick } from '../../dummy-client/aggregate';
import { emptyCounts } from '../../dummy-client/integrity';
import { createHistogram, decodeHistogram, encodeHistogram, recordUs } from '../../dummy-client/latency';
import { MAX_CUTS, emptyChaosCounts, type FinalReport, type IntervalReport } from '../../dummy-client/pool';
import type { ChaosCut } from '../../dummy-client/types';

function encoded(...us: number[]): string {
  const h = createHistogram(false);
  for (const v of us) recordUs(h, v);
  return encodeHistogram(h);
}

function interval(over: Partial<IntervalReport>): IntervalReport {
  return { connections: 0, connecting: 0, sent: 0, echoed: 0, bytesSent: 0, bytesEchoed: 0, behindSchedule: 0, errors: 0, cuts: emptyChaosCounts(), lagMs: 0, histogram: '', ...over };
}

function final(over: Partial<FinalReport> & { sent?: number; opened?: number }): FinalReport {
  const { sent = 0, opened = 0, ...rest } = over;
  return {
    counters: { sent, echoed: sent, bytesSent: sent * 20, bytesEchoed: sent * 20, behindSchedule: 1, late: 2, probes: 3, delivered: 4, errors: 0, opened, reconnects: 1, connectErrors: 0 },
    peak: opened,
    integrity: { ...emptyCounts(), ok: sent },
    chaos: emptyChaosCounts(),
    cuts: [],
    errors: {},
    histograms: { corrected: encoded(1000), uncorrected: encoded(500), connect: encoded(100), lag: encoded(2000) },
    maxLagMs: 0,
    ...rest,
  };
}

function cut(serial: number, atMs: number): ChaosCut {
  return { serial, action: 'finInFlight', seq: 0, inFlight: 0, bytesInFlight: 0, atMs };
}

test('aggregateTick sums the workers, takes the worst lag and the merged percentiles', () => {
  const t = aggregateTick(
    7,
    [
      interval({ connections: 3, sent: 10, echoed: 9, errors: 1, lagMs: 4, behindSchedule: 2, histogram: encoded(1000, 1000), cuts: { ...emptyChaosCounts(), silence: 2 } }),
      interval({ connections: 2, sent: 5, echoed: 5, lagMs: 9, histogram: encoded(2000, 2000), cuts: { ...emptyChaosCounts(), silence: 1, rstMidBurst: 4 } }),
    ],
    12.345,
  );
  assert.equal(t.t, 7);
  assert.equal(t.connections, 5);
  assert.equal(t.sent, 15);
  assert.equal(t.echoed, 14);
  assert.equal(t.errors, 1);
  assert.equal(t.behindSchedule, 2);
  assert.equal(t.lagMs, 9);
  assert.equal(t.cpuPercent, 12.3);
  assert.equal(t.p50, 1);
  assert.equal(t.p99, 2);
  assert.deepEqual(t.cuts, { ...emptyChaosCounts(), silence: 3, rstMidBurst: 4 }, 'cuts per action summed over the workers');
  assert.equal(aggregateTick(1, [interval({})], 0).p99, null, 'no echo: no percentile');
});

test('aggregateResult sums counters and classes, merges errors and histograms, orders and bounds the cuts', () => {
  const a = final({ sent: 100, opened: 3, errors: { ECONNRESET: 2 }, cuts: [cut(5, 30), cut(1, 10)], maxLagMs: 4.26 });
  const b = final({ sent: 50, opened: 2, errors: { ECONNRESET: 1, ETIMEDOUT: 4 }, cuts: [cut(2, 10), cut(0, 20)], maxLagMs: 2 });
  a.chaos.finInFlight = 2;
  b.chaos.finInFlight = 2;
  b.integrity.lost = 3;
  const r = aggregateResult({ clients: 4, workers: 2, finals: [a, b], ticks: [], cpuSamples: [10, 20, 40] });
  assert.deepEqual(r.totals, { sent: 150, echoed: 150, bytesSent: 3000, bytesEchoed: 3000, behindSchedule: 2, late: 4, probes: 6, delivered: 8 });
  assert.deepEqual(r.connections, { target: 4, opened: 5, peak: 4, reconnects: 2, connectErrors: 0 }, 'the peak never exceeds the target');
  assert.deepEqual(r.integrity, { ...emptyCounts(), ok: 150, lost: 3 });
  assert.equal(r.chaos.finInFlight, 4);
  assert.deepEqual(r.errors, { ECONNRESET: 3, ETIMEDOUT: 4 });
  assert.deepEqual(
    r.cuts.map((c) => [c.atMs, c.serial]),
    [[10, 1], [10, 2], [20, 0], [30, 5]],
  );
  assert.equal(decodeHistogram(r.histograms.corrected).totalCount, 2);
  assert.equal(decodeHistogram(r.histograms.connect).totalCount, 2);
  assert.equal(decodeHistogram(r.histograms.lag).totalCount, 2);
  assert.deepEqual(r.client, { maxLagMs: 4.3, meanCpuPercent: 23.3, workers: 2 });

  const many = final({ cuts: Array.from({ length: MAX_CUTS + 5 }, (_, i) => cut(i, MAX_CUTS + 5 - i)) });
  const bounded = aggregateResult({ clients: 1, workers: 1, finals: [many], ticks: [], cpuSamples: [] });
  assert.equal(bounded.cuts.length, MAX_CUTS);
  assert.equal(bounded.cuts[0]!.atMs, 1, 'the earliest cuts are kept');
  assert.equal(bounded.client.meanCpuPercent, 0);
});

test('aggregateResult: a tick that saw more connections than the workers peaked at raises the peak', () => {
  const tick = aggregateTick(1, [interval({ connections: 3 })], 0);
  const r = aggregateResult({ clients: 10, workers: 1, finals: [final({ opened: 1 })], ticks: [tick], cpuSamples: [] });
  assert.equal(r.connections.peak, 3);
  assert.equal(r.ticks.length, 1);
});
