/**
 * Interrupted runs never pass, and --backend picks the runs. Pure parts here (verdict,
 * exit-code precedence, JUnit/Markdown/HTML/summary, compare and report refusing to turn an
 * interrupted run into a pass, the backend plan); real runs in run.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { toJUnit, toJUnitRuns, toMarkdown, toMarkdownRuns } from '../../stress/ci-output';
import { compareCommandRun } from '../../stress/commands/compare';
import { reportCommandRun, withThresholds } from '../../stress/commands/report';
import { renderHtml } from '../../stress/html/render';
import { validateReport } from '../../stress/report/schema';
import { formatSummary, summaryData } from '../../stress/report/summary';
import type { RunReport } from '../../stress/report/types';
import { planBackends, type BackendAvailability } from '../../stress/run/backends';
import { EXIT, worstExit } from '../../stress/run/exit-codes';
import { verdictOf } from '../../stress/run/gates';
import { resolveRunOptions, type NamedBackend } from '../../stress/run/options';
import { makeReport } from './compare-fixture';
import { tempDir } from '../support/temp';

function interrupted(seed = 1): RunReport {
  const r = makeReport({ seed });
  r.interrupted = { signal: 'SIGINT', atSec: 2.5, reason: 'SIGINT received' };
  r.verdict = verdictOf(r);
  return r;
}

test('an interrupted run is verdict interrupted whatever its gates say; a crash is still a fail', () => {
  const r = interrupted();
  assert.equal(r.verdict, 'interrupted');
  assert.ok(r.gates.every((g) => g.pass), 'every gate passed, yet it does not pass');
  assert.deepEqual(validateReport(r), [], 'still a valid schemaVersion 1 report');
  assert.equal(verdictOf({ ...r, server: { ...r.server, crashed: true } }), 'fail');
  const bad = { ...r, verdict: 'stopped' };
  assert.match(validateReport(bad).join('; '), /verdict/);
});

test('exit codes: the worst run decides, 3 crashed > 4 interrupted > 1 gate failed > 0', () => {
  assert.equal(worstExit([0, 1, 4]), EXIT.interrupted);
  assert.equal(worstExit([4, 3, 1]), EXIT.serverCrashed);
  assert.equal(worstExit([0, 1]), EXIT.gateFailed);
  assert.equal(worstExit([0, 0]), EXIT.pass);
  assert.equal(EXIT.interrupted, 4);
});

test('summary, HTML, JUnit and Markdown all say interrupted', () => {
  const r = interrupted();
  const text = formatSummary(r, { colors: false, reportPath: null });
  assert.match(text, /interrupted after 2\.5 s \(SIGINT received\)/);
  assert.match(text, /Verdict: INTERRUPTED/);
  assert.equal(summaryData(r).verdict, 'interrupted');
  assert.deepEqual(summaryData(r).interrupted, r.interrupted);
  const html = renderHtml(r);
  assert.match(html, /class="badge verdict interrupted" data-k="verdict">INTERRUPTED</);
  assert.match(html, /<p class="interrupted"[^>]*>The run was interrupted after 2\.5 s/);
  const xml = toJUnit(r);
  assert.match(xml, /<testsuites name="lanstress" tests="(\d+)" failures="1" /);
  assert.match(xml, /<testcase classname="lanstress\.echo\.run" name="run completed" time="0">\s*<failure message="The run was interrupted after 2\.5 s[^"]*" type="interrupted">/);
  assert.match(xml, /<property name="verdict" value="interrupted"\/>/);
  const md = toMarkdown(r);
  assert.match(md, /^## lanstress `echo`: ⏹️ INTERRUPTED/);
  assert.match(md, /^> ⏹️ The run was interrupted after 2\.5 s/m);
});

test('several runs: one JUnit file with a suite per backend, one Markdown with a verdict line each', () => {
  const runs = [{ report: makeReport({ seed: 1 }), label: 'epoll' }, { report: interrupted(2), label: 'io_uring' }];
  const xml = toJUnitRuns(runs);
  assert.equal((xml.match(/<testsuite /g) ?? []).length, 2);
  assert.match(xml, /<testsuite name="lanstress\.echo\.epoll" /);
  assert.match(xml, /<testsuite name="lanstress\.echo\.io_uring" /);
  const total = runs.reduce((a, r) => a + r.report.gates.length, 0) + 1;
  assert.match(xml, new RegExp(`<testsuites name="lanstress" tests="${total}" failures="1" `));
  const md = toMarkdownRuns(runs);
  assert.match(md, /^\| epoll \| ✅ PASS \| 0 \|$/m);
  assert.match(md, /^\| io_uring \| ⏹️ INTERRUPTED \| 0 \|$/m);
  assert.match(md, /^## lanstress `echo` on io_uring: ⏹️ INTERRUPTED/m);
});

test('stress report: new thresholds cannot turn an interrupted run into a pass (exit 4)', () => {
  const r = interrupted();
  assert.equal(withThresholds(r, ['p99<100s']).verdict, 'interrupted');
  const dir = tempDir('int');
  try {
    const file = path.join(dir, 'run.json');
    writeFileSync(file, JSON.stringify(r));
    const io = { out: (): void => {}, err: (): void => {}, colors: false };
    assert.equal(reportCommandRun({ report: file, threshold: ['p99<100s'] }, io), EXIT.interrupted);
    assert.equal(reportCommandRun({ report: file, gate: true }, io), EXIT.interrupted);
    assert.equal(reportCommandRun({ report: file }, io), EXIT.pass, 'only printing it judges nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stress compare refuses an interrupted baseline (exit 2 naming it) unless --allow-interrupted', () => {
  const dir = tempDir('int');
  try {
    const base = path.join(dir, 'base.json');
    const head = path.join(dir, 'head.json');
    writeFileSync(base, JSON.stringify(interrupted(1)));
    writeFileSync(head, JSON.stringify(makeReport({ seed: 2 })));
    const errors: string[] = [];
    const io = { out: (): void => {}, err: (t: string): void => void errors.push(t), colors: false };
    assert.equal(compareCommandRun({ base, head, 'fail-on-regression': '5%' }, io), EXIT.usage);
    assert.match(errors.join('\n'), new RegExp(`${base.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the baseline run was interrupted after 2\\.5 s`));
    assert.notEqual(compareCommandRun({ base, head, 'allow-interrupted': true }, io), EXIT.usage);
    errors.length = 0;
    assert.equal(compareCommandRun({ base: head, head: base }, io), EXIT.pass, 'an interrupted head is compared, with a warning');
    assert.match(errors.join('\n'), /warning: .*head|base\.json is an interrupted run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function here(available: NamedBackend[]): () => BackendAvailability {
  return () => ({ available, why: (b) => `${b}: io_uring_setup: Operation not permitted` });
}

test('--backend: auto, one name, all, a comma list; unknown names exit 2 naming --backend', () => {
  const env = { cores: 2, randomSeed: 1 };
  const backend = (raw: string | undefined, defaults = {}): unknown => {
    const r = resolveRunOptions(raw === undefined ? {} : { backend: raw }, defaults, env);
    return r.ok ? r.options.backend : r.errors;
  };
  assert.equal(backend(undefined), 'auto');
  assert.equal(backend('all'), 'all');
  assert.equal(backend('epoll'), 'epoll');
  assert.deepEqual(backend('io_uring,epoll'), ['io_uring', 'epoll']);
  assert.equal(backend('epoll,epoll'), 'epoll');
  assert.match(String(backend('epoll,kqueue')), /--backend "epoll,kqueue": must be auto, all, or one or a comma list of epoll, io_uring/);
  assert.match(String(backend('auto,epoll')), /--backend "auto,epoll"/);
  assert.equal(backend(undefined, { backend: 'all' }), 'all', 'a scenario may default to all (chaos does)');
});

test('the backend plan: all = what this kernel has; io_uring asked by name but missing is an error with the reason', () => {
  const embedded = { kind: 'embedded' } as const;
  assert.deepEqual(planBackends('all', embedded, here(['io_uring', 'epoll'])), { ok: true, backends: ['epoll', 'io_uring'] });
  assert.deepEqual(planBackends('all', embedded, here(['epoll'])), { ok: true, backends: ['epoll'] });
  assert.deepEqual(planBackends('auto', embedded, () => assert.fail('auto asks nothing')), { ok: true, backends: ['auto'] });
  assert.deepEqual(planBackends(['io_uring', 'epoll'], embedded, here(['epoll', 'io_uring'])), { ok: true, backends: ['io_uring', 'epoll'] });
  const missing = planBackends('io_uring', embedded, here(['epoll']));
  assert.equal(missing.ok, false);
  assert.match(missing.ok ? '' : missing.error, /^--backend io_uring: io_uring is not available on this kernel \(io_uring: io_uring_setup: Operation not permitted\)/);
  assert.equal(planBackends(['epoll', 'io_uring'], embedded, here(['epoll'])).ok, false);
  assert.deepEqual(planBackends('all', { kind: 'external', host: '127.0.0.1', port: 9 }, () => assert.fail('not asked')), { ok: true, backends: ['auto'] });
});
