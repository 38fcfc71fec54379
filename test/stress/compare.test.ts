import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compareReports, compareSides, type Comparison } from '../../stress/compare/compare';
import { mannWhitneyP, smallestP } from '../../stress/compare/rank';
import { comparisonMarkdown, formatComparison } from '../../stress/compare/format';
import { bandAround, countNoise, logSpreadNoise } from '../../stress/compare/noise';
import { compareCommandRun, parsePercent } from '../../stress/commands/compare';
import { validateReport } from '../../stress/report/schema';
import type { RunReport } from '../../stress/report/types';
import { makeReport } from './compare-fixture';
import { sampleReport } from './fixtures';
import { sendModelText, settingDifferences } from '../../stress/compare/settings';
import { tempDir } from '../support/temp';

function status(c: Comparison, key: string, head = 0): string | undefined {
  return c.rows.find((r) => r.key === key)?.heads[head]?.status;
}

function withFiles(reports: Record<string, unknown>, body: (dir: string) => void): void {
  const dir = tempDir('compare');
  try {
    for (const [name, r] of Object.entries(reports)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), typeof r === 'string' ? r : JSON.stringify(r));
    }
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(args: string[], dir: string, extra: { failOn?: string; markdown?: boolean; allowDifferent?: boolean } = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const files = args.map((a) => path.join(dir, a));
  const code = compareCommandRun(
    { base: files[0] ?? '', head: files[1] ?? '', more: files.slice(2), 'fail-on-regression': extra.failOn, markdown: extra.markdown, 'allow-different': extra.allowDifferent },
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
      [['a.json', 'chaos.json'], /chaos\.json differs from .*a\.json in scenario echo → chaos/],
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

test('rank test: exact p-values for small samples, ties handled, the smallest p n against m runs can reach', () => {
  assert.equal(mannWhitneyP([1, 2, 3], [4, 5, 6]), 0.1);
  assert.ok(Math.abs(mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) - 2 / 252) < 1e-12);
  assert.equal(mannWhitneyP([1, 2, 3], [1, 2, 3]), 1);
  assert.ok(mannWhitneyP([1, 2, 2, 3, 5, 6], [2, 4, 6, 7, 8, 9]) > 0.05, 'overlapping samples with ties');
  assert.ok(mannWhitneyP([1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2]) < 0.001, 'all tied within each side, apart between them');
  assert.equal(smallestP(3, 3), 0.1);
  assert.ok(smallestP(5, 5) < 0.05 && smallestP(4, 4) < 0.05 && smallestP(3, 3) > 0.05);
});

/** Runs of one build whose median latency swings 400..1600 us from run to run (a shared machine), with a seed each. */
function swingingRuns(firstSeed: number, medians: number[]): RunReport[] {
  return medians.map((medianUs, i) => makeReport({ seed: firstSeed + i, medianUs }));
}

test('repeats: between-run spread decides; a single pair from the same noisy build is flagged, the runs are not', () => {
  const swing = [400, 1600, 800, 400, 1600, 800];
  const base = swingingRuns(1, swing);
  const head = swingingRuns(11, [...swing].reverse());
  // One run per side: the per-second spread inside a run cannot foresee the swing between runs.
  const pair = compareReports(['base', 'head'], [base[0] as RunReport, head[0] as RunReport], 0.05);
  assert.equal(status(pair, 'p99'), 'regression');
  assert.equal(pair.method.kind, 'single');
  const runs = compareSides([{ label: 'base/', reports: base }, { label: 'head/', reports: head }], 0.05);
  assert.deepEqual(runs.regressions, []);
  assert.equal(runs.method.kind, 'repeats');
  const p99 = runs.rows.find((r) => r.key === 'p99');
  assert.ok((p99?.heads[0]?.p ?? 0) > 0.05);
  assert.ok(p99?.baseSpread !== null && (p99?.baseSpread?.[1] ?? 0) > 3 * (p99?.baseSpread?.[0] ?? 0), 'the spread over runs is shown');
  const text = formatComparison(runs, { colors: false });
  assert.match(text, /Runs per side: 6 vs 6/);
  assert.match(text, /p=0\.\d{3}/);
});

test('repeats: a real slowdown (3x every run) is a regression with p < 0.05; 3 runs per side can never tell', () => {
  const swing = [400, 500, 450, 420, 480, 460];
  const base = swingingRuns(1, swing);
  const slow = swingingRuns(21, swing.map((m) => 3 * m));
  const c = compareSides([{ label: 'base/', reports: base }, { label: 'slow/', reports: slow }], 0.05);
  assert.equal(status(c, 'p50'), 'regression');
  assert.equal(status(c, 'p99'), 'regression');
  assert.ok((c.rows.find((r) => r.key === 'p50')?.heads[0]?.p ?? 1) < 0.01);
  assert.equal(status(c, 'throughput'), 'same', 'throughput does not move');
  const few = compareSides([{ label: 'base/', reports: base.slice(0, 3) }, { label: 'slow/', reports: slow.slice(0, 3) }], 0.05);
  assert.equal(status(few, 'p50'), 'within-noise');
  assert.equal(few.method.kind === 'repeats' && few.method.tooFew, true);
  assert.match(formatComparison(few, { colors: false }), /Too few runs to ever reach p <= 0\.05/);
  // Integrity: the worst run of a side counts, and any increase is a regression.
  const lossy = [...base.slice(1), makeReport({ seed: 40, integrity: { lost: 2 } })];
  assert.equal(status(compareSides([{ label: 'base/', reports: base }, { label: 'lossy/', reports: lossy }]), 'lost'), 'regression');
});

test('stress compare: directories are repeats; runs of different settings exit 2 naming them unless --allow-different', () => {
  const files: Record<string, RunReport> = {};
  [400, 410, 390, 420, 405].forEach((m, i) => (files[`base/${i}.json`] = makeReport({ seed: i + 1, medianUs: m })));
  [1600, 1640, 1560, 1680, 1620].forEach((m, i) => (files[`slow/${i}.json`] = makeReport({ seed: i + 11, medianUs: m })));
  files['other.json'] = makeReport({ seed: 30, options: { clients: 500, rate: 50 } });
  files['mixed/0.json'] = makeReport({ seed: 31 });
  files['mixed/1.json'] = makeReport({ seed: 32, options: { payload: '1024' } });
  withFiles(files, (dir) => {
    const slow = run(['base', 'slow'], dir, { failOn: '5%' });
    assert.equal(slow.code, 1, slow.err);
    assert.match(slow.out, /Runs per side: 5 vs 5/);
    assert.match(slow.out, /latency p50 .*REGRESSION/);
    const different = run(['base/0.json', 'other.json'], dir, { failOn: '5%' });
    assert.equal(different.code, 2);
    assert.match(different.err, /other\.json differs from .*base\/0\.json in clients 200 → 500, send model closed loop, pipeline 1 → open loop at 50\/s per connection.*--allow-different/);
    assert.equal(different.out, '');
    const allowed = run(['base/0.json', 'other.json'], dir, { allowDifferent: true });
    assert.equal(allowed.code, 0, allowed.err);
    const mixed = run(['base', 'mixed'], dir);
    assert.equal(mixed.code, 2);
    assert.match(mixed.err, /the runs of .*mixed differ among themselves \(run 2: payload 64 → 1024\)/);
    const empty = run(['base', 'nothing'], dir);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /nothing: cannot read report: no such file/);
  });
});

test('the send model names stages, a total rate and a think time; a mix and a warm-up are compared settings', () => {
  const base = sampleReport();
  const staged = { ...base, options: { ...base.options, stages: '4s:200:20,3s:50:5' } };
  assert.equal(sendModelText(staged), 'stages 4s:200:20,3s:50:5');
  assert.equal(sendModelText({ ...base, options: { ...base.options, rate: null, totalRate: 2000 } }), 'open loop at 2000/s across the fleet');
  assert.equal(sendModelText({ ...base, options: { ...base.options, rate: null, pipeline: 1, thinkTime: 50 } }), 'closed loop, pipeline 1, think 50 ms');
  const mixed = { ...base, options: { ...base.options, mix: '9:16,1:4096', warmUp: 2 } };
  const diff = settingDifferences(base, mixed).join('; ');
  assert.match(diff, /payload .* → mix 9:16,1:4096/);
  assert.match(diff, /warm-up 0 s → 2 s/);
});
