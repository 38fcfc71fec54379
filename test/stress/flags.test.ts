/**
 * The command line as a user types it: the run and server flag tables' user-visible rules,
 * each checked through the compiled CLI (every case exits 2 before any server or fleet starts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeReport } from './compare-fixture';

const CLI = path.join(__dirname, '..', '..', 'stress', 'cli.js');

function stress(args: string[]): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function refused(args: string[], ...patterns: RegExp[]): string {
  const r = stress(args);
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  for (const p of patterns) assert.match(r.stderr, p, args.join(' '));
  assert.doesNotMatch(r.stderr, /internal error/);
  return r.stderr;
}

test('a flag given twice is exit 2 naming it, not a crash (run and server)', () => {
  refused(['--clients', '10', '--clients', '20'], /--clients is given 2 times/);
  refused(['--gate', '--gate'], /--gate is given 2 times/);
  refused(['server', '--port', '1', '--port', '2'], /--port is given 2 times/);
});

test('an unknown flag does not hide the bad values: every problem at once', () => {
  const err = refused(['--no-such-flag', '--clients', '0', '--duration', 'soon', '--gate=maybe'], /Unknown argument: --no-such-flag/, /--clients "0"/, /--duration "soon"/, /--gate "maybe"/);
  assert.equal(err.split('\n').filter((l) => l.startsWith('stress: ')).length, 4, err);
  refused(['server', '--nope', '--port', 'abc', '--mode', 'loud'], /Unknown argument: --nope/, /--port must be an integer/, /--mode must be one of/);
});

test('a switch given a value other than true/false is refused', () => {
  refused(['--gate=maybe', '--duration', '1'], /--gate "maybe": a switch takes no value/);
  refused(['server', '--probes=sometimes'], /--probes "sometimes"/);
});

test("--threshold 'p101<5ms' is refused, not read as p10.1", () => {
  refused(['--threshold', 'p101<5ms', '--duration', '1'], /p101/);
});

test('durations take units; a bad one names the flag', () => {
  refused(['--duration', '10x'], /--duration "10x": must be a duration like 500ms, 10s or 1m/);
  refused(['--duration', '500ms'], /--duration "500ms": must be between 1 and 86400 s/);
  assert.doesNotMatch(refused(['--duration', '10s', '--clients', '0'], /--clients "0"/), /--duration/, '10s is a valid duration');
  assert.doesNotMatch(refused(['--duration', '1m', '--echo-timeout', '500ms', '--clients', '0'], /--clients "0"/), /--duration|--echo-timeout/);
});

test('old spellings still work, with a warning naming the new one', () => {
  refused(['--server-kick', '2', '--duration', '1'], /--server-kick is deprecated, use --kick/, /--kick "2": must be between 0 and 1/);
  refused(['--traffic', 'badInput', '--clients', '0'], /--traffic badInput is deprecated, use --traffic bad-input/, /--clients "0"/);
  refused(['--workers', '0'], /--workers is deprecated, use --client-workers/, /--client-workers "0"/);
});

test('stress server --host: help and check agree (127.0.0.0/8 or ::1, nothing else)', () => {
  refused(['server', '--host', '::2'], /--host must be a loopback address \(127\.0\.0\.0\/8 or ::1\), got ::2/);
  const help = stress(['server', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /127\.0\.0\.0\/8 or ::1/);
});

test('--help shows real types and lists the chaos actions', () => {
  const help = stress(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--clients\s+connections to open \[int 1\.\.1000000, default: 1000\]/);
  assert.match(help.stdout, /rstMidBurst, finInFlight, closeAfterConnect,\s+closeMidPacket, silence/);
  assert.doesNotMatch(help.stdout, /--clients[^\n]*\[string\]/);
});

test('compare --markdown: a path like run and report, stdout to print it; a JSON path is refused', () => {
  refused(['compare', '--markdown', 'a.json', 'b.json', 'c.json'], /--markdown "a\.json": names a JSON file/);
});

test('compare --markdown PATH writes the comment beside the table; the bare switch still prints it, with a warning', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanstress-md-'));
  try {
    const [a, b, md] = ['a.json', 'b.json', 'pr.md'].map((f) => path.join(dir, f)) as [string, string, string];
    writeFileSync(a, JSON.stringify(makeReport({ seed: 1 })));
    writeFileSync(b, JSON.stringify(makeReport({ seed: 2 })));
    const toFile = stress(['compare', a, b, '--markdown', md]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.match(readFileSync(md, 'utf8'), /^### lanstress compare/);
    assert.doesNotMatch(toFile.stdout, /^### lanstress compare/, 'the table still goes to stdout');
    const dash = stress(['compare', a, b, '--markdown', 'stdout']);
    assert.match(dash.stdout, /^### lanstress compare/);
    assert.equal(dash.stderr, '');
    const bare = stress(['compare', a, b, '--markdown']);
    assert.equal(bare.code, 0);
    assert.match(bare.stdout, /^### lanstress compare/);
    assert.match(bare.stderr, /--markdown without a value is deprecated, use --markdown stdout/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stress report: a flag given twice, an unknown flag and --gate=maybe are exit 2 naming each, at once', () => {
  refused(['report', 'no-such.json', '--junit', 'a.xml', '--junit', 'b.xml', '--gate=maybe', '--nope'], /--junit is given 2 times/, /--gate "maybe"/, /Unknown argument: --nope/);
});

test('stress compare: a flag given twice and an unknown flag are exit 2 naming each, at once', () => {
  refused(['compare', 'a.json', 'b.json', '--markdown', 'x.md', '--markdown', 'y.md', '--bogus'], /--markdown is given 2 times/, /Unknown argument: --bogus/);
});
