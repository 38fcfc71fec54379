import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { validateReport } from '../../stress/report/schema';
import { formatFailedGates, formatSummary, summaryData } from '../../stress/report/summary';
import { reportFileName, writeReport } from '../../stress/report/write';
import { failedGates } from '../../stress/run/gates';
import { ANOMALIES } from '../../server/types';
import { embeddedOutcome, fleetResult, noAnomalies, sampleReport, serverStats } from './fixtures';
import { tempDir } from '../support/temp';

const ANSI = /\x1b\[/;

test('a clean run passes every gate; latency is in ms from the encoded histograms', () => {
  const r = sampleReport();
  assert.equal(r.verdict, 'pass', JSON.stringify(failedGates(r.gates)));
  assert.equal(r.results.latency.corrected.count, 5);
  assert.ok(Math.abs(r.results.latency.corrected.max - 20) < 0.05, String(r.results.latency.corrected.max));
  assert.ok(r.results.latency.corrected.p50 > 0.29 && r.results.latency.corrected.p50 < 0.31);
  assert.equal(r.results.throughput.echoesPerSec, 100);
  assert.equal(r.server.leaked, 0);
  assert.ok(r.gates.some((g) => g.name === 'server.leaked == 0' && g.pass));
});

test('the built report validates against the JSON Schema', () => {
  assert.deepEqual(validateReport(sampleReport()), []);
  assert.deepEqual(validateReport(JSON.parse(JSON.stringify(sampleReport(fleetResult(), embeddedOutcome(), ['p99<20ms'])))), []);
});

test('schema errors name the field', () => {
  const r = JSON.parse(JSON.stringify(sampleReport())) as Record<string, unknown> & { results: { integrity: Record<string, unknown> }; meta: Record<string, unknown> };
  r.results.integrity.corrupted = -1;
  delete r.meta.seed;
  r.surprise = true;
  const errors = validateReport(r);
  assert.ok(errors.some((e) => e.startsWith('results.integrity.corrupted')), errors.join('; '));
  assert.ok(errors.some((e) => e === "meta: missing field 'seed'"), errors.join('; '));
  assert.ok(errors.some((e) => e === "report: unexpected field 'surprise'"), errors.join('; '));
  assert.ok(validateReport(null).length > 0);
});

test('each integrity error class fails the gate; abandoned does not', () => {
  for (const k of ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const) {
    const f = fleetResult();
    f.integrity = { ...f.integrity, [k]: 1 };
    const r = sampleReport(f);
    assert.equal(r.verdict, 'fail', k);
    assert.deepEqual(failedGates(r.gates).map((g) => g.name), [`integrity.${k} == 0`]);
  }
  const f = fleetResult();
  f.integrity = { ...f.integrity, abandoned: 3 };
  assert.equal(sampleReport(f).verdict, 'pass', 'abandoned (cut on purpose) is expected under chaos');
  const none = fleetResult();
  none.integrity = { ...none.integrity, ok: 0 };
  const r = sampleReport(none);
  assert.deepEqual(failedGates(r.gates).map((g) => [g.name, g.kind]), [['integrity.ok > 0', 'scenario']], 'echo-flood must echo something');
});

test('a leaked session, sessions left over, an anomaly, a crash each fail a server gate', () => {
  const leak = serverStats({ accepted: 10, released: 9, sessions: 0 });
  assert.deepEqual(failedGates(sampleReport(fleetResult(), embeddedOutcome(leak)).gates).map((g) => g.name), ['server.leaked == 0']);

  const busy = serverStats({ sessions: 2, released: 8 });
  const r = sampleReport(fleetResult(), embeddedOutcome(serverStats(), { quiet: busy }));
  assert.deepEqual(failedGates(r.gates).map((g) => g.name), ['server.sessions == 0']);

  for (const name of ANOMALIES) {
    const anomaly = serverStats({ anomalies: { ...noAnomalies(), [name]: 1 } });
    assert.deepEqual(failedGates(sampleReport(fleetResult(), embeddedOutcome(anomaly)).gates).map((g) => g.name), [`server.anomalies.${name} == 0`]);
  }

  const crashed = embeddedOutcome(serverStats(), {
    quiet: null,
    exit: { final: null, last: serverStats(), exitCode: null, signal: 'SIGKILL', crashed: true, killed: false, stderrTail: ['boom'] },
  });
  const cr = sampleReport(fleetResult(), crashed);
  assert.equal(cr.server.crashed, true);
  assert.ok(failedGates(cr.gates).some((g) => g.name === 'server.crashed == 0'));
  assert.deepEqual(validateReport(cr), []);
});

test('a server that ignores SIGTERM until killed fails server.stopTimedOut', () => {
  const ok = sampleReport();
  assert.ok(ok.gates.some((g) => g.name === 'server.stopTimedOut == 0' && g.pass && g.actual === 0));
  const hung = embeddedOutcome(serverStats(), {
    exit: { final: null, last: serverStats(), exitCode: null, signal: 'SIGKILL', crashed: false, killed: true, stderrTail: [] },
  });
  const r = sampleReport(fleetResult(), hung);
  assert.deepEqual(failedGates(r.gates).map((g) => g.name), ['server.stopTimedOut == 0']);
  assert.equal(r.server.crashed, false);
});

test('an external target marks server gates unknown, not passed and not failed', () => {
  const r = sampleReport(fleetResult(), { kind: 'external', host: '127.0.0.1', port: 9, backend: null, exit: null, quiet: null, series: [], stopTimeoutMs: 0 });
  const server = r.gates.filter((g) => g.kind === 'server');
  assert.ok(server.length >= 5);
  for (const g of server) {
    assert.equal(g.unknown, true, g.name);
    assert.equal(g.actual, null);
  }
  assert.equal(r.verdict, 'pass');
  assert.deepEqual(validateReport(r), []);
});

test('user thresholds become threshold gates', () => {
  const r = sampleReport(fleetResult(), embeddedOutcome(), ['p99<1ms', 'connectErrors==0']);
  const t = r.gates.filter((g) => g.kind === 'threshold');
  assert.deepEqual(t.map((g) => [g.name, g.pass]), [['p99<1ms', false], ['connectErrors==0', true]]);
  assert.equal(r.verdict, 'fail');
});

test('report names sort by time and carry scenario and short commit', () => {
  const d = new Date('2026-01-02T03:04:05Z');
  assert.equal(reportFileName(d, 'echo-flood', 'abcdef0123456789'), '20260102-030405_echo-flood_abcdef0.json');
  assert.equal(reportFileName(d, 'a/b', null, 1), '20260102-030405_a_b_nogit-2.json');
});

test('writeReport is atomic: one file, no temp left, two runs in one second both kept', () => {
  const dir = tempDir('report');
  try {
    const r = sampleReport();
    const a = writeReport(r, path.join(dir, 'nested'));
    const b = writeReport(r, path.join(dir, 'nested'));
    assert.notEqual(a, b);
    const files = readdirSync(path.join(dir, 'nested')).sort();
    assert.deepEqual(files, [path.basename(a), path.basename(b)].sort());
    assert.deepEqual(validateReport(JSON.parse(readFileSync(a, 'utf8'))), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the summary is a string, coloured only when asked, naming what matters', () => {
  const f = fleetResult();
  f.integrity = { ...f.integrity, corrupted: 2 };
  const r = sampleReport(f);
  const plain = formatSummary(r, { colors: false, reportPath: 'reports/x.json' });
  assert.doesNotMatch(plain, ANSI);
  for (const s of ['p99', 'p99.9', 'echo (corrected)', 'echo (uncorrected)', 'connect', 'corrupted', 'leaked', 'integrity.corrupted == 0', 'Verdict: FAIL', 'Report: reports/x.json']) {
    assert.ok(plain.includes(s), `summary lacks ${s}`);
  }
  assert.match(formatSummary(r, { colors: true, reportPath: null }), ANSI);
  assert.doesNotMatch(plain, /connections were open at once/);
  const short = fleetResult({ connections: { target: 10, opened: 6, peak: 6, reconnects: 0, connectErrors: 0 } });
  assert.match(formatSummary(sampleReport(short), { colors: false, reportPath: null }), /Only 6 of 10 connections were open at once/);
  assert.match(formatFailedGates(failedGates(r.gates), false), /integrity\.corrupted == 0/);
  const data = summaryData(r);
  assert.deepEqual(data.failedGates, ['integrity.corrupted == 0']);
  assert.equal(data.integrity.corrupted, 2);
});

test('the compact summary: verdict first, under 40 lines when passing, gates counted, failures with their unit, no misleading lines', () => {
  const pass = sampleReport(fleetResult(), embeddedOutcome(), ['p99<10s']);
  const text = formatSummary(pass, { colors: false, reportPath: 'reports/x.json' });
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^PASS {2}echo-flood · 10 clients · closed loop, pipeline 1 · .* · seed 7$/);
  assert.ok(lines.length < 40, `${lines.length} lines:\n${text}`);
  const passed = pass.gates.filter((g) => g.pass && !g.unknown).length;
  assert.match(text, new RegExp(`^Gates: ${passed} passed$`, 'm'));
  assert.doesNotMatch(text, /integrity\.corrupted == 0/, 'passing gates are counted, not listed');
  assert.match(text, /^Integrity {4}clean: ok /m);

  // A failed threshold shows its measured value in the unit of its bound, first.
  const slow = sampleReport(fleetResult(), embeddedOutcome(), ['p99<1us']);
  const failed = formatSummary(slow, { colors: false, reportPath: null });
  assert.match(failed.split('\n')[0] ?? '', /^FAIL /);
  assert.match(failed, /p99<1us .* threshold .* \d+(\.\d+)? ms .* < 0\.001 ms .* FAIL/);
  assert.ok(failed.indexOf('p99<1us') < failed.indexOf('Latency (ms)'), 'failures before the tables');

  // Everything in full with verbose: every gate one row.
  const verbose = formatSummary(pass, { colors: false, reportPath: null, verbose: true });
  assert.match(verbose, /integrity\.corrupted == 0/);
  assert.ok(verbose.split('\n').length > lines.length);
});

test('the compact summary says "none measured" for a run without round trips, and expected refusals are no shortfall', () => {
  const none = fleetResult();
  const r = sampleReport(none);
  const noEchoes: typeof r = {
    ...r,
    options: { ...r.options, mode: 'broadcast', expectRefused: true },
    results: { ...r.results, connections: { ...r.results.connections, peak: 6 }, latency: { ...r.results.latency, corrected: { ...r.results.latency.corrected, count: 0 } } },
  };
  const text = formatSummary(noEchoes, { colors: false, reportPath: null });
  assert.match(text, /Latency: none measured in this run \(mode broadcast measures delivery, not round trips\)/);
  assert.doesNotMatch(text, /Latency \(ms\)/);
  assert.doesNotMatch(text, /connections were open at once/, 'refusing connections is the point of max-sessions');
});

test('the compact summary counts client errors apart from the events a scenario causes on purpose', () => {
  const r = sampleReport(fleetResult({ errors: { ECONNRESET: 2, refused: 1424, 'stall.started': 3 } }));
  const text = formatSummary(r, { colors: false, reportPath: null });
  assert.match(text, /^Client {7}errors 2 \(ECONNRESET 2\) · expected: refused 1424, stall\.started 3$/m);
  const calm = formatSummary(sampleReport(fleetResult({ errors: { refused: 7 } })), { colors: false, reportPath: null });
  assert.match(calm, /^Client {7}errors 0 · expected: refused 7$/m);
});
