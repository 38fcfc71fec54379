import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatCount, formatMs, formatMsFixed, formatScaled, formatValue } from '../../stress/format/units';
import { mdCell } from '../../stress/format/markdown';
import { METRICS } from '../../stress/run/metrics';

test('formatValue shows a number in every registry unit, n/a when unknown', () => {
  assert.equal(formatValue(12.345, 'ms'), '12.3 ms');
  assert.equal(formatValue(123456, '/s'), '123k/s');
  assert.equal(formatValue(2_500_000, 'B/s'), '2.50MB/s');
  assert.equal(formatValue(64.5, 'MiB'), '64.5 MiB');
  assert.equal(formatValue(87.4, '%'), '87%');
  assert.equal(formatValue(3, ''), '3');
  assert.equal(formatValue(null, 'ms'), 'n/a');
  assert.equal(formatValue(Number.POSITIVE_INFINITY, ''), 'inf');
  for (const m of METRICS) assert.notEqual(formatValue(1, m.unit), 'n/a', m.name);
});

test('the helpers keep their precision rules', () => {
  assert.equal(formatMs(0.012345), '0.0123');
  assert.equal(formatScaled(950), '950');
  assert.equal(formatMsFixed(1.234), '1.23');
  assert.equal(formatCount(12_345), '12.3k');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(mdCell('a|b\n<c>'), 'a\\|b &lt;c&gt;');
});
