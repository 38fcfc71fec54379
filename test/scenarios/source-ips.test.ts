import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSourceIps } from '../../stress/run/source-ips';
import { resolveRunOptions } from '../../stress/run/options';
import { fleetConfig } from '../../stress/run/orchestrate';

const env = { cores: 2, randomSeed: 1 };

test('--source-ips: a count, a range, a list', () => {
  assert.deepEqual(parseSourceIps('3'), { ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
  assert.deepEqual(parseSourceIps('127.0.0.254-127.0.1.1'), { ips: ['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1'] });
  assert.deepEqual(parseSourceIps('127.0.0.5, 127.0.0.2-127.0.0.3,127.0.0.5'), { ips: ['127.0.0.5', '127.0.0.2', '127.0.0.3'] });
  const many = parseSourceIps('300');
  assert.ok('ips' in many && many.ips.length === 300 && many.ips[299] === '127.0.1.45');
});

test('--source-ips: non-loopback, reversed, malformed and oversized are refused with the reason', () => {
  for (const [text, why] of [
    ['10.0.0.1', /127\.0\.0\.0\/8/],
    ['127.0.0.1-10.0.0.1', /127\.0\.0\.0\/8/],
    ['127.0.0.9-127.0.0.2', /reversed/],
    ['127.0.0.300', /not an IPv4/],
    ['127.0.0.1-127.0.0.2-127.0.0.3', /range/],
    ['0', /count/],
    ['127.0.0.0-127.0.0.1', /127\.0\.0\.0/],
    ['127.0.0.1,', /empty/],
  ] as const) {
    const r = parseSourceIps(text);
    assert.ok('error' in r, text);
    assert.match(r.error, why, text);
  }
});

test('run options: source ips, send queue limit and offenders are validated together, each naming its flag', () => {
  const r = resolveRunOptions({ sourceIps: '8.8.8.8', sendQueueLimit: '100', offenders: '2' }, {}, env);
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 3, r.errors.join('\n'));
  assert.ok(r.errors.some((e) => e.startsWith('--source-ips "8.8.8.8"')));
  assert.ok(r.errors.some((e) => e.startsWith('--send-queue-limit "100"') && e.includes('8194')));
  assert.ok(r.errors.some((e) => e.startsWith('--offenders "2"')));
  const ext = resolveRunOptions({ target: '127.0.0.1:9', sendQueueLimit: '100000' }, {}, env);
  assert.ok(!ext.ok && ext.errors.some((e) => e.startsWith('--send-queue-limit') && e.includes('embedded')));
});

test('the fleet gets the source addresses, and expects server cuts whenever the server kicks', () => {
  const r = resolveRunOptions({ sourceIps: '127.0.0.2-127.0.0.3', serverKick: '0.01' }, {}, env);
  assert.ok(r.ok);
  const cfg = fleetConfig(r.options, '127.0.0.1', 9);
  assert.deepEqual(cfg.sourceIps, ['127.0.0.2', '127.0.0.3']);
  assert.equal(cfg.serverMayCut, true);
  const calm = resolveRunOptions({}, {}, env);
  assert.ok(calm.ok);
  assert.equal(fleetConfig(calm.options, '127.0.0.1', 9).serverMayCut, false);
});
