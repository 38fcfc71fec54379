import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from '../../scenarios';
import { formatScenarioList } from '../../stress/commands/scenarios';
import { resolveRunOptions } from '../../stress/run/options';
import { reportMetrics } from '../../stress/run/metrics';
import { scenarioGates, verdictOf } from '../../stress/run/gates';
import { applyDerived } from '../../stress/run/scenario-exprs';
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

test('every scenario gate, and every precondition of one, names a metric a report has (a typo would silently be unknown)', () => {
  const known = new Set(Object.keys(reportMetrics(sampleReport())));
  // Client error codes appear only once seen; a gate on one judges its absence as 0.
  const clientCodes = /^clientErrors\.(badInput\.(ignored|oversize|garbage|halfHeader|closedByServer|detectable)|slowReader\.(cutByServer|started)|stall\.long|refused|serverClosed)$/;
  for (const s of SCENARIOS) {
    for (const g of s.gates) {
      assert.ok(known.has(g.metric) || clientCodes.test(g.metric), `${s.name}: unknown metric ${g.metric}`);
      if (g.given !== undefined) assert.ok(known.has(g.given.metric) || clientCodes.test(g.given.metric), `${s.name}: unknown precondition metric ${g.given.metric}`);
    }
  }
});

test('the scenarios of issue 4 are registered, each with its own gates', () => {
  for (const name of ['chaos', 'churn', 'broadcast', 'slow-reader', 'bad-input', 'max-sessions']) {
    const s = findScenario(name);
    assert.ok(s, name);
    assert.ok(s.gates.length > 0, `${name} has no gates`);
  }
});

test('max-sessions keeps the server cap below --clients unless --max-sessions is given', () => {
  const s = findScenario('max-sessions')!;
  const r = resolveRunOptions({ clients: '200' }, s.defaults, { cores: 2, randomSeed: 1 });
  assert.ok(r.ok);
  const adjusted = applyDerived(s, r.options, { clients: '200' });
  assert.equal(adjusted.maxSessions, 150);
  assert.equal(adjusted.expectRefused, true);
  const given = resolveRunOptions({ clients: '200', maxSessions: '20' }, s.defaults, { cores: 2, randomSeed: 1 });
  assert.ok(given.ok);
  assert.equal(applyDerived(s, given.options, { clients: '200', maxSessions: '20' }).maxSessions, 20);
});

test('a gate value may follow the options, and a gate may apply only to some runs', () => {
  const report = sampleReport();
  const m = reportMetrics(report);
  const r = resolveRunOptions({ clients: '10', serverKick: '0' }, findScenario('chaos')!.defaults, { cores: 2, randomSeed: 1 });
  assert.ok(r.ok);
  const names = scenarioGates(findScenario('chaos')!.gates, m, r.options).map((g) => g.name);
  assert.ok(!names.some((n) => n.startsWith('server.disconnects.kicked')), 'kick gate judged although --server-kick 0');
  const slow = resolveRunOptions({ clients: '100' }, findScenario('slow-reader')!.defaults, { cores: 2, randomSeed: 1 });
  assert.ok(slow.ok);
  const rss = scenarioGates(findScenario('slow-reader')!.gates, m, slow.options).find((g) => g.name.startsWith('server.rssGrowthMiB'));
  // 100 clients x (256 KiB queue + 256 KiB slack) = 50 MiB, + 64 MiB for the process.
  assert.equal(rss?.expected, '< 114');
});

test('a client error code never seen is a count of 0 for a scenario gate, a server metric unknown', () => {
  const m = reportMetrics(sampleReport());
  const r = resolveRunOptions({}, {}, { cores: 2, randomSeed: 1 });
  assert.ok(r.ok);
  const [ignored, unknownServer] = scenarioGates(
    [
      { metric: 'clientErrors.badInput.ignored', op: '==', value: 0, why: '' },
      { metric: 'server.noSuchCounter', op: '==', value: 0, why: '' },
    ],
    m,
    r.options,
  );
  assert.equal(ignored!.actual, 0);
  assert.ok(ignored!.pass);
  assert.ok(unknownServer!.unknown);
});

test('a gate whose precondition did not hold is unknown, says what was missing, and neither passes nor fails the run', () => {
  const m = { ...reportMetrics(sampleReport()), 'chaos.rstMidBurst': 1, 'server.disconnects.peerReset': 0 };
  const r = resolveRunOptions({}, {}, { cores: 2, randomSeed: 1 });
  assert.ok(r.ok);
  const gate = { metric: 'server.disconnects.peerReset', op: '>', value: 0, why: '', given: { metric: 'chaos.rstMidBurst', op: '>=', value: 2 } } as const;
  const [skipped] = scenarioGates([gate], m, r.options);
  assert.deepEqual({ unknown: skipped!.unknown, pass: skipped!.pass, actual: skipped!.actual }, { unknown: true, pass: false, actual: 0 });
  assert.equal(skipped!.notJudged, 'chaos.rstMidBurst was 1, needs >= 2');
  assert.equal(verdictOf({ gates: [skipped!], interrupted: undefined, server: { crashed: false } }), 'pass');
  // Once the run gave it a chance, the same gate is judged: 0 resets is a failure.
  const [judged] = scenarioGates([gate], { ...m, 'chaos.rstMidBurst': 2 }, r.options);
  assert.deepEqual({ unknown: judged!.unknown, pass: judged!.pass, notJudged: judged!.notJudged }, { unknown: false, pass: false, notJudged: undefined });
  assert.equal(verdictOf({ gates: [judged!], interrupted: undefined, server: { crashed: false } }), 'fail');
  // A client event never seen counts 0 in a precondition too.
  const [unseen] = scenarioGates([{ ...gate, given: { metric: 'clientErrors.stall.long', op: '>=', value: 2 } }], m, r.options);
  assert.equal(unseen!.notJudged, 'clientErrors.stall.long was 0, needs >= 2');
});
