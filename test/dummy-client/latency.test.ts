import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../dummy-client/codec';
import { createHistogram, decodeHistogram, encodeHistogram, initWasm, mergeEncoded, percentiles, recordUs } from '../../dummy-client/latency';

test('histograms recorded by several workers and merged equal one histogram of the same values', () => {
  initWasm();
  const rng = new Prng(3);
  const single = createHistogram(false);
  const parts = [createHistogram(), createHistogram(), createHistogram(false)];
  for (let i = 0; i < 30000; i++) {
    // Log-spread values from 1 us to ~60 s, some clamped at the edges.
    const v = Math.exp(rng.next() * Math.log(70e6));
    recordUs(single, v);
    recordUs(parts[i % parts.length]!, v);
  }
  const merged = mergeEncoded(parts.map(encodeHistogram));
  assert.equal(merged.totalCount, single.totalCount);
  for (const p of [0, 1, 25, 50, 90, 99, 99.9, 100]) assert.equal(merged.getValueAtPercentile(p), single.getValueAtPercentile(p), `p${p}`);
  assert.deepEqual(percentiles(merged), percentiles(single));
  for (const h of parts) h.destroy();
});

test('encode/decode keeps every percentile; empty histograms give zeros', () => {
  const h = createHistogram();
  for (let v = 1; v <= 1000; v++) recordUs(h, v * 37);
  const back = decodeHistogram(encodeHistogram(h));
  assert.deepEqual(percentiles(back), percentiles(h));
  assert.equal(percentiles(createHistogram(false)).count, 0);
  h.destroy();
});

test('values are clamped to 1 us .. 60 s', () => {
  const h = createHistogram(false);
  recordUs(h, 0);
  recordUs(h, 1e12);
  assert.equal(h.totalCount, 2);
  assert.equal(h.minNonZeroValue, 1);
  assert.ok(h.maxValue >= 59_900_000 && h.maxValue <= 60_100_000);
});
