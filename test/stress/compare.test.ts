import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compareReports, type Comparison } from '../../stress/compare/compare';
import { comparisonMarkdown, formatComparison } from '../../stress/compare/format';
import { bandAround, countNoise, logSpreadNoise } from '../../stress/compare/noise';
import { compareCommandRun, parsePercent } from '../../stress/commands/compare';
import { validateReport } from '../../stress/report/schema';
import type { RunReport } from '../../stress/report/types';
import { makeReport } from './compare-fixture';
import { tempDir } from '../support/temp';

function status(c: Comparison, key: string, head = 0): string | undefined {
  return c.rows.find((r) => r.key === key)?.heads[head]?.status;
}

function withFiles(reports: Record<string, unknown>, body: (dir: string) => void): void {
  const dir = tempDir('compare');
  try {
    for (const [name, r] of Object.entries(reports)) writeFileSync(path.join(dir, name), typeof r === 'string' ? r : JSON.stringify(r));
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(args: string[], dir: string, extra: { failOn?: string; markdown?: boolean } = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const files = args.map((a) => path.join(dir, a));
  const code = compareCommandRun(
    { base: files[0] ?? '', head: files[1] ?? '', more: files.slice(2), 'fail-on-regression': extra.failOn, markdown: extra.markdown },
    { out: (t) => (out += t), err: (t) => (err += t), colors: false },
  );
  return { code, out, err };
}

test('the fixture reports are valid schemaVersion 1 reports', () => {
  assert.deepEqual(validateReport(makeReport()), []);
});

test('noise: none for constant samples, unknown with one sample, wider with spread, scale-free', () => {
  assert.equal(logSpreadNoise([5, 5, 5], [5, 5, 5]), 0);
  assert.equal(logSpreadNoise([5], [5, 6]), Number.POSITIVE_INFINITY);
  const narrow = logSpreadNoise([10, 11, 10, 11], [10, 11, 10, 11]);
  const wide = logSpreadNoise([5, 15, 5, 15], [5, 15, 5, 15]);
  assert.ok(narrow > 0 && wide > narrow * 5);
  assert.ok(Math.abs(logSpreadNoise([1000, 1100, 1000], [1000, 1100, 1000]) - logSpreadNoise([1, 1.1, 1], [1, 1.1, 1])) < 1e-12);
  // The band is asymmetric like the ratio it comes from: +x% up, -(1-1/(1+x))% down.
  assert.ok(Math.abs(bandAround(100, 150, Math.log(2)) - 100) < 1e-9);
  assert.ok(Math.abs(bandAround(100, 50, Math.log(2)) - 50) < 1e-9);
  assert.ok(countNoise(0, 0) === 0 && countNoise(100, 100) > 20);
});

test('two runs of the same model are not called a regression at 5%', () => {
  const c = compareReports(['a.json', 'b.json'], [makeReport({ seed: 1 }), makeReport({ seed: 2 })], 0.05);
  assert.deepEqual(c.regressions, []);
  assert.match(c.buildNotes[0] ?? '', /same build as base/);
});

test('a slower head is a latency regression; a faster one an improvement', () => {
  const base = makeReport({ seed: 1, medianUs: 400 });
  const slow = makeReport({ seed: 2, medianUs: 1200 });
  const c = compareReports(['base', 'slow'], [base, slow], 0.05);
  for (const k of ['p50', 'p90', 'p99', 'mean', 'uncorrected.p99']) assert.equal(status(c, k), 'regression', k);
  assert.equal(status(c, 'max'), 'info');
  assert.ok(c.regressions.some((r) => r.key === 'p99'));
  const back = compareReports(['slow', 'base'], [slow, base], 0.05);
  assert.equal(status(back, 'p99'), 'improvement');
  assert.deepEqual(back.regressions.filter((r) => r.key.startsWith('p')), []);
});

test('throughput is direction-aware: lower is a regression, higher an improvement', () => {
  const c = compareReports(['base', 'low', 'high'], [makeReport({ seed: 1 }), makeReport({ seed: 2, rate: 1000 }), makeReport({ seed: 3, rate: 4000 })], 0.05);
  assert.equal(status(c, 'throughput', 0), 'regression');
  assert.equal(status(c, 'throughput', 1), 'improvement');
  assert.equal(status(c, 'bytesPerSec', 0), 'regression');
});

test('a change past the threshold but inside the per-second noise is not a regression', () => {
  const base = makeReport({ seed: 1, rate: 2000 });
  const head = makeReport({ seed: 2, rate: 1960 });
  const c = compareReports(['base', 'head'], [base, head], 0.001);
  const cell = c.rows.find((r) => r.key === 'throughput')?.heads[0];
  assert.ok(cell && cell.noise !== null && Math.abs(cell.delta ?? 0) <= cell.noise, `delta ${cell?.delta} noise ${cell?.noise}`);
  assert.ok(Math.abs(cell.relative ?? 0) > 0.001);
  assert.equal(cell.status, 'within-noise');
});

test('any increase of an integrity error is a regression, whatever the threshold', () => {
  const c = compareReports(['base', 'head'], [makeReport({ seed: 1 }), makeReport({ seed: 1, integrity: { lost: 1 } })], 0.5);
  assert.equal(status(c, 'lost'), 'regression');
  assert.equal(status(c, 'corrupted'), 'same');
  assert.ok(c.regressions.some((r) => r.key === 'lost'));
});

test('different builds are said so; the printer colours only when asked', () => {
  const base = makeReport({ seed: 1, commit: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
  const head = makeReport({ seed: 2, medianUs: 1200, commit: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', dirty: true });
  const c = compareReports(['base.json', 'head.json'], [base, head], 0.05);
  assert.match(c.buildNotes[0] ?? '', /DIFFERENT BUILD.*commit aaaaaaaaaa → bbbbbbbbbb.*working tree clean → dirty/);
  const plain = formatComparison(c, { colors: false });
  assert.doesNotMatch(plain, /\x1b\[/);
  assert.match(plain, /DIFFERENT BUILD/);
  assert.match(plain, /latency p99.*REGRESSION/);
  assert.match(plain, /regressions? past 5% and the noise: .*latency p99/);
  const coloured = formatComparison(c, { colors: true });
  assert.match(coloured, /\x1b\[31m/);
  const md = comparisonMarkdown(c);
  assert.match(md, /^### lanstress compare: scenario `echo`/);
  assert.match(md, /\| latency p99 \|.*🔴 \*\*regression\*\*/);
  assert.match(md, /⚠️ head\.json: DIFFERENT BUILD/);
});

test('stress compare: exit 1 past --fail-on-regression, 0 without a regression', () => {
  withFiles({ 'a.json': makeReport({ seed: 1 }), 'b.json': makeReport({ seed: 2 }), 'slow.json': makeReport({ seed: 3, medianUs: 1500 }) }, (dir) => {
    assert.equal(run(['a.json', 'b.json'], dir, { failOn: '5%' }).code, 0);
    const slow = run(['a.json', 'slow.json'], dir, { failOn: '5%' });
    assert.equal(slow.code, 1);
    assert.match(slow.out, /REGRESSION/);
    // Without --fail-on-regression the table is informative only.
    assert.equal(run(['a.json', 'slow.json'], dir).code, 0);
    const md = run(['a.json', 'b.json', 'slow.json'], dir, { markdown: true });
    assert.match(md.out, /\| metric \| base \| head 1 \|/);
  });
});

test('stress compare: bad files and incomparable reports exit 2 naming the file', () => {
  const v2 = { ...makeReport({ seed: 1 }), schemaVersion: 2 };
  const otherScenario = makeReport({ seed: 1, scenario: 'chaos' });
  const broken: RunReport = makeReport({ seed: 1 });
  (broken.results as unknown as Record<string, unknown>).integrity = 'none';
  withFiles({ 'a.json': makeReport({ seed: 1 }), 'v2.json': v2, 'chaos.json': otherScenario, 'bad.json': '{"schemaVersion": 1,', 'broken.json': broken }, (dir) => {
    const cases: Array<[string[], RegExp]> = [
      [['a.json', 'missing.json'], /missing\.json: cannot read report: no such file/],
      [['a.json', 'bad.json'], /bad\.json: not valid JSON/],
      [['a.json', 'v2.json'], /v2\.json has report schemaVersion 2 but .*a\.json has 1/],
      [['a.json', 'chaos.json'], /chaos\.json ran scenario "chaos" but .*a\.json ran "echo"/],
      [['a.json', 'broken.json'], /broken\.json: not a valid schemaVersion 1 report: .*integrity/],
    ];
    for (const [files, message] of cases) {
      const r = run(files, dir, { failOn: '5%' });
      assert.equal(r.code, 2, files.join(' '));
      assert.match(r.err, message);
      assert.equal(r.out, '');
    }
    const badFlag = run(['a.json', 'a.json'], dir, { failOn: 'five' });
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.err, /--fail-on-regression must be a percentage/);
  });
  assert.equal(parsePercent('5%'), 0.05);
  assert.equal(parsePercent('0.5'), 0.005);
  assert.equal(parsePercent('-1%'), null);
});
