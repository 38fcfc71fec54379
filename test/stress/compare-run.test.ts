/**
 * End to end against real runs: the shipped server on loopback, the real fleet.
 * A build made slower on purpose (--server-echo-delay-us) must be flagged by
 * `stress compare --fail-on-regression` (exit 1), two single runs of one build are
 * labelled as such, and a run that breaks a threshold exits 1 with exactly that failure in
 * its JUnit file. Runs are short and small; assertions never depend on speed beyond
 * a delay large enough to dwarf any noise of a shared machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { addonMissing } from '../support/cli';
import { CLI, ROOT } from '../support/paths';
import { readReport } from '../support/reports';
import { tempDir } from '../support/temp';

const noAddon = addonMissing();

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function stress(args: string[], timeoutMs = 120_000): Ran {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One real run into its own directory; returns the JSON report's path. */
function run(dir: string, name: string, extra: string[]): { json: string; ran: Ran } {
  const out = path.join(dir, name);
  // Open loop at a fixed 4000 packets/s: the same build sends the same load whatever else
  // the machine is doing, so runs differ by jitter, not by how much CPU was free.
  const ran = stress(['run', '--clients', '200', '--rate', '20', '--duration', '5', '--workers', '1', '--server-workers', '2', '--seed', '7', '--out', out, ...extra]);
  const files = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.json')) : [];
  assert.equal(files.length, 1, `run ${name} wrote one report (exit ${ran.code}):\n${ran.stderr.slice(-2000)}`);
  return { json: path.join(out, files[0] ?? ''), ran };
}

test('compare on real runs: a slower server is a regression, the same build is not, incomparable reports exit 2', { skip: noAddon, timeout: 400_000 }, () => {
  const dir = tempDir('compare-run');
  try {
    const a = run(dir, 'a', []);
    assert.equal(a.ran.code, 0, a.ran.stderr.slice(-2000));
    // The same build again, judged against a threshold no real run can meet.
    const b = run(dir, 'b', ['--threshold', 'p99<1us', '--threshold', 'lost==0', '--junit', path.join(dir, 'b.xml')]);
    // 1 ms before every echo, with two server workers, caps the server near 2000 echoes/s,
    // half the offered load: the backlog makes (corrected) latency grow by orders of magnitude.
    const slow = run(dir, 'slow', ['--server-echo-delay-us', '1000']);

    // The threshold run: exit 1, and among its thresholds the JUnit file holds exactly that failure.
    // (Integrity and server gates are other parts' verdicts on the same run, judged in their tests.)
    assert.equal(b.ran.code, 1, b.ran.stderr.slice(-2000));
    const xml = readFileSync(path.join(dir, 'b.xml'), 'utf8');
    assert.equal((xml.match(/classname="lanstress\.echo-flood\.threshold"/g) ?? []).length, 2, xml);
    const failures = [...xml.matchAll(/<testcase classname="lanstress\.echo-flood\.threshold" name="([^"]*)"[^>]*>\s*<failure message="([^"]*)"/g)].map((m) => [m[1], m[2]]);
    assert.equal(failures.length, 1, xml);
    assert.equal(failures[0]?.[0], 'p99&lt;1us');
    assert.match(failures[0]?.[1] ?? '', /^measured [\d.]+ ms, expected &lt; 0\.001 ms$/);
    assert.match(xml, /<testcase [^>]*name="lost==0" time="0"><\/testcase>/);

    const regressed = stress(['compare', a.json, slow.json, '--fail-on-regression', '5%']);
    assert.equal(regressed.code, 1, regressed.stdout + regressed.stderr);
    assert.match(regressed.stdout, /latency p99 .*REGRESSION/);
    assert.match(regressed.stdout, /latency p50 .*REGRESSION/);
    assert.doesNotMatch(regressed.stdout, /\x1b\[/, 'no colour off a TTY');

    // Same build twice, one run per side. Tail latency of two runs on a shared 2-core machine was
    // seen to differ by 2.8 -> 17 ms, which no per-second spread inside one run foresees: a single
    // pair cannot be judged "no change" without flaking (repeats and the rank test can: their
    // verdicts are tested on reports of known spread in compare.test.ts). What a single pair must
    // do is say what it is, and keep the open loop's pinned throughput out of the regressions.
    const same = stress(['compare', a.json, b.json, '--fail-on-regression', '500%']);
    assert.ok(same.code === 0 || same.code === 1, same.stdout + same.stderr);
    assert.match(same.stdout, /One run per side: noise from the spread of each run's seconds/);
    assert.doesNotMatch(same.stdout, /throughput .*REGRESSION/);
    assert.match(same.stdout, /same build as base|same commit as base/);
    const md = stress(['compare', a.json, slow.json, '--markdown']);
    assert.equal(md.code, 0);
    assert.match(md.stdout, /^### lanstress compare: scenario `echo-flood`/);

    // A report of another scenario and one of a future schema version: exit 2, naming the file.
    const report = readReport(a.json);
    const other = path.join(dir, 'other-scenario.json');
    writeFileSync(other, JSON.stringify({ ...report, scenario: { ...report.scenario, name: 'broadcast-storm' } }));
    const future = path.join(dir, 'future.json');
    writeFileSync(future, JSON.stringify({ ...report, schemaVersion: 2 }));
    const scen = stress(['compare', a.json, other]);
    assert.equal(scen.code, 2);
    assert.match(scen.stderr, /other-scenario\.json differs from .* in scenario echo-flood → broadcast-storm/);
    const ver = stress(['compare', a.json, future]);
    assert.equal(ver.code, 2);
    assert.match(ver.stderr, /future\.json has report schemaVersion 2/);
    const missing = stress(['compare', a.json, path.join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: cannot read report: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad threshold on stress run exits 2 naming the expression, before any load', { timeout: 60_000 }, () => {
  const r = stress(['run', '--clients', '10', '--duration', '1', '--threshold', 'p99<<1ms', '--threshold', 'latancy<1ms'], 30_000);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad threshold "p99<<1ms"/);
  assert.match(r.stderr, /bad threshold "latancy<1ms": unknown metric/);
});
