import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from '../../scenarios';
import { formatScenarioList } from '../../stress/commands/scenarios';
import { resolveRunOptions } from '../../stress/run/options';
import { reportMetrics } from '../../stress/run/metrics';
import { sampleReport } from '../stress/fixtures';

test('echo-flood is registered and is the default', () => {
  assert.equal(DEFAULT_SCENARIO, 'echo-flood');
  assert.ok(findScenario('echo-flood'));
  assert.equal(findScenario('no-such-scenario'), undefined);
});

test('scenario names are unique and listed one line each', () => {
  const names = SCENARIOS.map((s) => s.name);
  assert.equal(new Set(names).size, names.length);
  const lines = formatScenarioList(SCENARIOS, DEFAULT_SCENARIO).trimEnd().split('\n');
  assert.equal(lines.length, SCENARIOS.length);
  assert.match(lines[0]!, /\(default\)$/);
});

test('every scenario default passes the option validator', () => {
  for (const s of SCENARIOS) {
    const r = resolveRunOptions({}, s.defaults, { cores: 2, randomSeed: 1 });
    assert.ok(r.ok, `${s.name}: ${r.ok ? '' : r.errors.join('; ')}`);
  }
});

test('every scenario gate names a metric a report has (a typo would silently be unknown)', () => {
  const known = new Set(Object.keys(reportMetrics(sampleReport())));
  for (const s of SCENARIOS) {
    for (const g of s.gates) assert.ok(known.has(g.metric), `${s.name}: unknown metric ${g.metric}`);
  }
});
