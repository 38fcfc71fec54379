/** --shard and --start-at as parsed, refused and turned into the fleet's config; the options record read back. No load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitClients } from '../../dummy-client/fleet';
import { optionsFromRecord, optionsRecord, resolveRunOptions } from '../../stress/run/options';
import { fleetConfig } from '../../stress/run/orchestrate';
import { shareOf } from '../../stress/run/shard-plan';

const env = { cores: 2, randomSeed: 1 };

test('the parts split the clients as the fleet splits them over workers: every slot once', () => {
  for (const [clients, count] of [[5000, 4], [10, 3], [7, 7]] as const) {
    const shares = Array.from({ length: count }, (_, index) => shareOf({ index, count }, clients));
    assert.deepEqual(shares.map((s) => [s.firstSlot, s.firstSlot + s.clients]), splitClients(clients, count));
    assert.equal(shares.reduce((a, s) => a + s.fraction, 0).toFixed(9), (1).toFixed(9));
  }
});

test("a shard's fleet runs its share with the whole fleet's serial numbering and its share of the connect rate", () => {
  const r = resolveRunOptions({ clients: '10', shard: '2/3', connectRate: '300', rate: '5' }, {}, env);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  const cfg = fleetConfig(r.options, '127.0.0.1', 9);
  assert.equal(cfg.clients, 3);
  assert.deepEqual(cfg.shard, { firstSlot: 7, fleetClients: 10 });
  assert.equal(cfg.connectRate, 90);
  assert.deepEqual(cfg.sendModel, { kind: 'open', rate: 5 }, '--rate stays per connection');
  const whole = resolveRunOptions({ clients: '10' }, {}, env);
  assert.ok(whole.ok);
  assert.equal(fleetConfig(whole.options, '127.0.0.1', 9).shard, undefined);
});

test('--shard and --start-at: bad values and more parts than clients are exit-2 problems naming the flag', () => {
  const bad = (raw: Record<string, string>, why: RegExp): void => {
    const r = resolveRunOptions(raw, {}, env);
    assert.ok(!r.ok, JSON.stringify(raw));
    assert.ok(r.errors.some((e) => why.test(e)), r.errors.join('\n'));
  };
  bad({ shard: '4/4' }, /^--shard "4\/4": the index is 0-based: 0\.\.3/);
  bad({ shard: '1' }, /^--shard "1": must be I\/N/);
  bad({ shard: '0/0' }, /^--shard "0\/0": the number of parts/);
  bad({ shard: '0/8', clients: '4' }, /^--shard "0\/8": 8 parts need at least as many --clients \(4\)/);
  bad({ startAt: '2026-01-01T12:00:00' }, /^--start-at .*with its zone/);
  bad({ startAt: 'soon' }, /^--start-at "soon"/);
  bad({ startAt: String(Date.now() + 3 * 24 * 3600 * 1000) }, /^--start-at .*more than 24 h ahead/);
  const ok = resolveRunOptions({ shard: '0/2', startAt: '2026-01-01T12:00:00+02:00' }, {}, env);
  assert.ok(ok.ok);
  assert.equal(ok.options.startAtMs, Date.parse('2026-01-01T10:00:00Z'));
});

test("a report's options record reads back as the options it was made from", () => {
  const r = resolveRunOptions({ clients: '40', shard: '1/4', payload: '16-64', target: '127.0.0.1:9000', startAt: '1767268800000', threshold: ['p99<5ms'], rate: '20', traffic: 'bad-input' }, {}, env);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  const back = optionsFromRecord(optionsRecord(r.options), env);
  assert.ok(back.ok, back.ok ? '' : back.errors.join('; '));
  assert.deepEqual(back.options, r.options);
});
