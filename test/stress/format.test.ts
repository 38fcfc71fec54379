import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatMs, formatMsFixed, formatScaled, formatValue } from '../../stress/format/units';
import { mdCell, mdCode } from '../../stress/format/markdown';
import { gateActual } from '../../stress/format/gate-value';
import { METRICS } from '../../stress/run/metrics';

test('formatValue shows a number in every registry unit, n/a when unknown', () => {
  assert.equal(formatValue(12.345, 'ms'), '12.3 ms');
  assert.equal(formatValue(123456, '/s'), '123k/s');
  assert.equal(formatValue(2_500_000, 'B/s'), '2.38 MiB/s', 'bytes in binary units everywhere, as the summary shows them');
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
  assert.equal(formatScaled(12_345), '12.3k');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(mdCell('a|b\n<c>'), 'a\\|b &lt;c&gt;');
  assert.equal(mdCode('p99<1ms'), '`p99<1ms`', 'no HTML escape inside a code span: it would show as &lt;');
  assert.equal(mdCode('a|b`c'), "`a\\|b'c`");
});

test('a gate shows its measured value in the unit of what it measures', () => {
  const gate = (name: string, kind: 'threshold' | 'integrity' | 'server', actual: number | null) => ({ name, kind, actual, pass: false, expected: '', unknown: actual === null });
  assert.equal(gateActual(gate('p99<1ms', 'threshold', 13.799)), '13.8 ms');
  assert.equal(gateActual(gate('throughput>1000', 'threshold', 123456)), '123k/s');
  assert.equal(gateActual(gate('integrity.lost == 0', 'integrity', 3)), '3');
  assert.equal(gateActual(gate('server.leaked == 0', 'server', null)), 'unknown');
});
