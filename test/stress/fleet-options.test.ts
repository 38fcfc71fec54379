/** The run flags the fleet owns: --connect-timeout and --traffic chaos (the chaos scenario's default). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONNECT_TIMEOUT_MS, optionsRecord, resolveRunOptions } from '../../stress/run/options';
import { fleetConfig } from '../../stress/run/orchestrate';
import { findScenario } from '../../scenarios';

const env = { cores: 2, randomSeed: 42 };

test('--connect-timeout: default, recorded, passed to the fleet, and validated', () => {
  const d = resolveRunOptions({}, {}, env);
  assert.ok(d.ok);
  assert.equal(d.options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const r = resolveRunOptions({ connectTimeout: '250', maxPayload: '1024' }, {}, env);
  assert.ok(r.ok);
  assert.equal(optionsRecord(r.options).connectTimeout, 250);
  const f = fleetConfig(r.options, '127.0.0.1', 9);
  assert.equal(f.connectTimeoutMs, 250);
  assert.equal(f.serverMaxPayload, 1024, "the fleet knows the server's maxPayload");
  for (const bad of ['0', '-5', '1.5', 'soon']) {
    const b = resolveRunOptions({ connectTimeout: bad }, {}, env);
    assert.ok(!b.ok && b.errors.some((e) => e.startsWith('--connect-timeout')), bad);
  }
});

test('--traffic chaos is accepted, and is the chaos scenario default', () => {
  const r = resolveRunOptions({ traffic: 'chaos' }, {}, env);
  assert.ok(r.ok && r.options.traffic === 'chaos');
  const chaos = findScenario('chaos');
  assert.ok(chaos !== undefined);
  const c = resolveRunOptions({}, chaos.defaults, env);
  assert.ok(c.ok && c.options.traffic === 'chaos');
});
