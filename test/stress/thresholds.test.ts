import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseThreshold, validateThresholds, ThresholdError, THRESHOLD_HELP } from '../../stress/thresholds/grammar';
import { evaluateThresholds, metricValue } from '../../stress/thresholds/evaluate';
import { createAbortEvaluator } from '../../stress/thresholds/live';
import { makeReport } from './compare-fixture';
import type { FleetTick } from '../../dummy-client/types';
import { findMetric, reportMetrics } from '../../stress/run/metrics';
import { integrityGates } from '../../stress/run/gates';
import { SCENARIOS } from '../../scenarios';
import { sampleReport } from './fixtures';

test('valid expressions parse to metric, operator and a value in the metric unit', () => {
  const cases: Array<[string, string, string, number]> = [
    ['p99<20ms', 'corrected.p99', '<', 20],
    ['p99 < 20 ms', 'corrected.p99', '<', 20],
    ['uncorrected.p99<=500us', 'uncorrected.p99', '<=', 0.5],
    ['p999<1.5s', 'corrected.p999', '<', 1500],
    ['p50<3', 'corrected.p50', '<', 3],
    ['max<2s', 'corrected.max', '<', 2000],
    ['mean!=0', 'corrected.mean', '!=', 0],
    ['connect.p99<100ms', 'connect.p99', '<', 100],
    ['throughput>100k', 'throughput', '>', 100_000],
    ['throughput>=1.5M', 'throughput', '>=', 1_500_000],
    ['bytesPerSec>10M', 'bytesPerSec', '>', 10_000_000],
    ['connectErrors==0', 'connectErrors', '==', 0],
    ['lost==0', 'lost', '==', 0],
    ['integrity.corrupted==0', 'corrupted', '==', 0],
    ['leaked==0', 'leaked', '==', 0],
    ['sessions==0', 'sessions', '==', 0],
    ['errors<10', 'errors', '<', 10],
  ];
  for (const [text, metric, op, value] of cases) {
    const t = parseThreshold(text);
    assert.equal(t.metricName, metric, text);
    assert.equal(t.op, op, text);
    assert.ok(Math.abs(t.value - value) < 1e-9, `${text}: ${t.value} != ${value}`);
  }
});

test('pNNN reads as NN.N: p999 is 99.9, p9999 is 99.99, p99.5 is 99.5', () => {
  const pct = (text: string): number => {
    const m = parseThreshold(text).metric;
    assert.ok(m.kind === 'latency' && m.stat.kind === 'percentile');
    return m.stat.percentile;
  };
  assert.equal(pct('p999<1ms'), 99.9);
  assert.equal(pct('p9999<1ms'), 99.99);
  assert.equal(pct('p99.5<1ms'), 99.5);
  assert.equal(pct('p90<1ms'), 90);
});

test('invalid expressions throw ThresholdError naming the expression and the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['p99 20ms', /no operator/],
    ['p99=20ms', /alone is not an operator/],
    ['<20ms', /no metric/],
    ['p99<', /no value/],
    ['p99<20parsecs', /latency unit "parsecs"/],
    ['throughput>20ms', /time unit only fits a latency/],
    ['lost==zero', /not a number/],
    ['p99<<20ms', /more than one operator/],
    ['latancy<20ms', /unknown metric "latancy"/],
    ['uncorrected.throughput>1', /latency statistic/],
    ['p100.5<1ms', /between 0 and 100/],
    ['p99<-1ms', /negative/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(
      () => parseThreshold(text),
      (e: unknown) => e instanceof ThresholdError && e.message.includes(`"${text}"`) && reason.test(e.message),
      text,
    );
  }
});

test('validateThresholds reports every bad expression at once, naming the flag', () => {
  const errors = validateThresholds(['p99<20ms', 'foo>1', 'lost=0', 'lost==0']);
  assert.equal(errors.length, 2);
  assert.match(errors[0] ?? '', /^--threshold: bad threshold "foo>1"/);
  assert.match(errors[1] ?? '', /^--threshold: bad threshold "lost=0"/);
  assert.match(THRESHOLD_HELP, /p99<20ms/);
});

test('evaluateThresholds measures the report: latency, percentiles from the histogram, rates, counts', () => {
  const report = makeReport({ seed: 3, medianUs: 400, connectErrors: 4, integrity: { lost: 2 } });
  const p99 = report.results.latency.corrected.p99;
  const [below, above, p95, thr, ce, lost, leaked] = evaluateThresholds(report, [
    `p99<${p99 * 2}ms`,
    `p99<${(p99 / 2) * 1000}us`,
    'p95<1000s',
    `throughput>${report.results.throughput.echoesPerSec * 2}`,
    'connectErrors==0',
    'lost==0',
    'leaked==0',
  ]);
  assert.ok(below && above && p95 && thr && ce && lost && leaked);
  assert.equal(below.pass, true);
  assert.equal(below.actual, p99);
  assert.equal(below.kind, 'threshold');
  assert.equal(above.pass, false);
  assert.equal(above.name, `p99<${(p99 / 2) * 1000}us`);
  // p95 is not listed in the report: it comes from the decoded histogram, between p90 and p99.
  assert.equal(p95.pass, true);
  assert.ok(p95.actual !== null && p95.actual >= report.results.latency.corrected.p90 && p95.actual <= p99);
  assert.equal(thr.pass, false);
  assert.equal(ce.pass, false);
  assert.equal(ce.actual, 4);
  assert.equal(lost.pass, false);
  assert.equal(lost.actual, 2);
  assert.equal(leaked.pass, true);
  assert.equal(leaked.expected, '== 0');
});

test('server thresholds against an external target are unknown, not failed', () => {
  const report = makeReport({ external: true });
  const [leaked] = evaluateThresholds(report, ['leaked==0']);
  assert.equal(leaked?.unknown, true);
  assert.equal(leaked?.actual, null);
});

test('a latency bound over a run with no echoes fails rather than passing on zero', () => {
  const report = makeReport({ rate: 0 });
  assert.equal(metricValue(report, parseThreshold('p99<1ms').metric), null);
  const [v] = evaluateThresholds(report, ['p99<1ms']);
  assert.equal(v?.pass, false);
  assert.equal(v?.unknown, false);
});

function tick(t: number, errors: number, p99: number | null): FleetTick {
  return { t, connections: 10, connecting: 0, sent: 100, echoed: 100, bytesSent: 1, bytesEchoed: 1, p50: p99, p99, errors, lagMs: 0, cpuPercent: 0, behindSchedule: 0 };
}

test('abort evaluator settles only bounds that can never be won back', () => {
  const ts = ['errors<3', 'lost==0', 'max<10ms', 'p99<1ms', 'throughput>1M', 'corrupted>=1'].map(parseThreshold);
  const ev = createAbortEvaluator(ts);
  assert.deepEqual(ev.decidable.map((t) => t.text), ['errors<3', 'lost==0', 'max<10ms']);
  assert.deepEqual(ev.observe(tick(1, 1, 5)), []);
  assert.deepEqual(ev.observe(tick(2, 1, 9.9), { lost: 0 }), []);
  const lost = ev.observe(tick(3, 1, 50), { lost: 1 });
  assert.deepEqual(lost.map((l) => [l.threshold.text, l.actual]).sort(), [
    ['errors<3', 3],
    ['lost==0', 1],
    ['max<10ms', 50],
  ]);
  assert.match(lost.find((l) => l.threshold.text === 'errors<3')?.reason ?? '', /errors reached 3 by second 3/);
});

test('the metric registry covers every metric the gates and thresholds name; old threshold spellings stay aliases', () => {
  const report = sampleReport();
  for (const gate of integrityGates(reportMetrics(report))) {
    const name = gate.name.split(' ')[0] ?? '';
    assert.ok(findMetric(name), `gate ${gate.name} names a metric the registry lacks`);
  }
  for (const s of SCENARIOS) for (const g of s.gates) assert.ok(findMetric(g.metric), `${s.name}: ${g.metric}`);
  const aliases: Array<[string, string]> = [
    ['lost', 'integrity.lost'], ['corrupted', 'integrity.corrupted'], ['ok', 'integrity.ok'], ['abandoned', 'integrity.abandoned'],
    ['leaked', 'server.leaked'], ['sessions', 'server.sessions'], ['reconnects', 'connections.reconnects'],
    ['bytesPerSec', 'throughput.bytes'], ['throughput', 'throughput'], ['errors', 'errors'], ['connectErrors', 'connectErrors'],
  ];
  for (const [old, name] of aliases) {
    const byAlias = parseThreshold(`${old}<1`);
    const byName = parseThreshold(`${name}<1`);
    assert.deepEqual(byAlias.metric, byName.metric, old);
    assert.ok(byAlias.metric.kind === 'metric' && byAlias.metric.name === name, old);
    assert.equal(byAlias.metricName, old);
    assert.deepEqual(evaluateThresholds(report, [`${old}<1`])[0]?.actual, evaluateThresholds(report, [`${name}<1`])[0]?.actual, old);
  }
  // Every registry metric is a threshold too, read the same way the gates read it.
  const [dirty, growth] = evaluateThresholds(report, ['server.anomalies.dirtySlot==0', 'server.rssGrowthMiB<1000']);
  assert.equal(dirty?.actual, reportMetrics(report)['server.anomalies.dirtySlot']);
  assert.match(growth?.expected ?? '', /^< 1000 MiB/);
});

test('a metric the registry does not know is a usage error naming it (exit 2 from the run)', () => {
  assert.throws(() => parseThreshold('server.noSuchCounter==0'), (e: unknown) => e instanceof ThresholdError && /unknown metric "server.noSuchCounter"/.test(e.message));
  assert.match(validateThresholds(['integrity.lots==0'])[0] ?? '', /^--threshold: bad threshold "integrity.lots==0": unknown metric "integrity.lots"/);
});

test('a percentile shorthand reads only after 99: p101 is refused, not read as p10.1; p100 is the max', () => {
  assert.throws(() => parseThreshold('p101<5ms'), (e: unknown) => e instanceof ThresholdError && /"p101" is ambiguous/.test(e.message));
  const m = parseThreshold('p100<5ms').metric;
  assert.ok(m.kind === 'latency' && m.stat.kind === 'percentile' && m.stat.percentile === 100);
  const dotted = parseThreshold('p10.1<5ms').metric;
  assert.ok(dotted.kind === 'latency' && dotted.stat.kind === 'percentile' && dotted.stat.percentile === 10.1);
});
