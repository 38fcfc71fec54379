/**
 * `stress run` end to end: the compiled CLI, real sockets, the real embedded
 * server (skipped with a reason when the addon is not built), small and short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { startNodeEchoServer } from '../../bench/node-echo-server';
import { validateReport } from '../../stress/report/schema';
import type { RunReport } from '../../stress/report/types';
import { addonMissing, runCli, startCli } from '../support/cli';
import { CLI } from '../support/paths';
import { readReport as readReportFile } from '../support/reports';
import { tempDir } from '../support/temp';

interface JsonOut {
  report: string;
  html: string;
  summary: { verdict: string; failedGates: string[]; unknownGates: string[] };
}

/** A report, checked against the schema. */
function readReport(file: string): RunReport {
  const r = readReportFile(file);
  assert.deepEqual(validateReport(r), [], 'report validates against the schema');
  return r;
}

function assertNoErrors(r: RunReport): void {
  const i = r.results.integrity;
  assert.ok(i.ok > 0, 'some echoes verified');
  for (const k of ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const) assert.equal(i[k], 0, k);
}

test('embedded run: exit 0, a valid report with clean integrity, no leak, a series a second', { skip: addonMissing(), timeout: 90_000 }, async () => {
  const out = tempDir();
  try {
    const res = await runCli(['--clients', '200', '--duration', '3', '--json', '--out', out], 80_000);
    assert.equal(res.timedOut, false);
    assert.equal(res.code, 0, res.stderr);
    const json = JSON.parse(res.stdout) as JsonOut;
    assert.equal(json.summary.verdict, 'pass', json.summary.failedGates.join(', '));
    const r = readReport(json.report);
    assertNoErrors(r);
    assert.equal(r.target.kind, 'embedded');
    assert.equal(r.server.crashed, false);
    assert.equal(r.server.leaked, 0);
    assert.equal(r.server.finalSessions, 0);
    assert.ok(r.server.stats !== null && r.server.stats.accepted >= 200);
    assert.ok(Math.abs(r.results.series.length - 3) <= 1, `series has ${r.results.series.length} entries for 3 s`);
    assert.ok(r.server.statsSeries.length >= 1);
    assert.ok(r.gates.every((g) => !g.unknown && g.pass));
    assert.deepEqual(readdirSync(out).sort(), [path.basename(json.report), path.basename(json.html)].sort(), 'the JSON and HTML reports, no temp file left');
    assert.match(readFileSync(json.html, 'utf8'), /<html/i);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

const usageCases: Array<[string[], RegExp]> = [
  [['--clients', '0'], /--clients "0"/],
  [['--payload', '3-1'], /--payload "3-1": range is reversed/],
  [['--pipeline', '2', '--rate', '5'], /--pipeline.*--rate/],
  [['no-such-scenario'], /unknown scenario 'no-such-scenario'/],
  [['--target', '10.0.0.1:80'], /--target "10\.0\.0\.1:80": 10\.0\.0\.1 is not loopback/],
  [['--no-such-flag'], /Unknown argument/],
  [['--threshold', 'p99<<3'], /--threshold/],
];

for (const [args, pattern] of usageCases) {
  test(`usage error exits 2 naming the problem: ${args.join(' ')}`, async () => {
    const res = await runCli([...args, '--duration', '1'], 20_000);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, pattern);
  });
}

test('several bad flags are all named in one go', async () => {
  const res = await runCli(['--clients', '0', '--duration', 'soon', '--payload', '8', '--workers', '-1', '--chaos', '2'], 20_000);
  assert.equal(res.code, 2);
  for (const flag of ['--clients', '--duration', '--payload', '--workers', '--chaos']) assert.match(res.stderr, new RegExp(flag));
});

test('an unreachable target exits 2 naming it', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const res = await runCli(['--target', `127.0.0.1:${port}`, '--clients', '10', '--duration', '1'], 20_000);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, new RegExp(`--target 127\\.0\\.0\\.1:${port}: connection refused`));
});

test('external target (plain Node echo server) named localhost: passes at the address that answered, server gates unknown', { timeout: 60_000 }, async () => {
  const server = await startNodeEchoServer();
  const out = tempDir();
  try {
    // A name is looked up once, by the probe: the fleet (the native engine takes IP literals) connects where it answered.
    const res = await runCli(['--target', `localhost:${server.port}`, '--clients', '100', '--duration', '2', '--json', '--out', out], 50_000);
    assert.equal(res.code, 0, res.stderr);
    const json = JSON.parse(res.stdout) as JsonOut;
    const r = readReport(json.report);
    assertNoErrors(r);
    assert.deepEqual(r.target, { kind: 'external', host: '127.0.0.1', port: server.port });
    assert.equal(r.options.target, `localhost:${server.port}`);
    assert.equal(r.server.stats, null);
    const serverGates = r.gates.filter((g) => g.kind === 'server');
    assert.ok(serverGates.length > 0 && serverGates.every((g) => g.unknown && g.actual === null));
    assert.equal(r.verdict, 'pass');
  } finally {
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
});

/** A loopback server running `onSocket` for each connection; close() destroys them all. */
function serve(onSocket: (s: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    onSocket(s);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

/** Echoes every packet, but flips one payload byte in every 50th: the integrity gate must catch it. */
function startCorruptingServer(): Promise<{ port: number; close: () => void }> {
  return serve((s) => {
    let pending = Buffer.alloc(0);
    let n = 0;
    s.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16LE(0)) {
        const len = pending.readUInt16LE(0);
        const packet = Buffer.from(pending.subarray(0, 2 + len));
        pending = pending.subarray(2 + len);
        if (++n % 50 === 0 && len > 0) packet[packet.length - 1] ^= 0xff;
        s.write(packet);
      }
    });
  });
}

test('--gate fails (exit 1) on corrupted echoes from a broken server; without --gate the verdict still says fail', { timeout: 60_000 }, async () => {
  const server = await startCorruptingServer();
  const out = tempDir();
  try {
    const gated = await runCli(['--target', `127.0.0.1:${server.port}`, '--clients', '20', '--duration', '2', '--gate', '--out', out], 40_000);
    assert.equal(gated.code, 1, gated.stderr);
    assert.match(gated.stderr, /Failed gate[\s\S]*integrity\.corrupted == 0/);
    const loose = await runCli(['--target', `127.0.0.1:${server.port}`, '--clients', '20', '--duration', '1', '--json', '--out', out], 40_000);
    assert.equal(loose.code, 0, loose.stderr);
    const json = JSON.parse(loose.stdout) as JsonOut;
    assert.equal(json.summary.verdict, 'fail');
    assert.ok(json.summary.failedGates.includes('integrity.corrupted == 0'));
    assert.ok(readReport(json.report).results.integrity.corrupted > 0);
  } finally {
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
});

test('the embedded server dying mid-run: exit 3, crashed in the report, no hang', { skip: addonMissing(), timeout: 90_000 }, async () => {
  const out = tempDir();
  try {
    const run = startCli(['--clients', '100', '--duration', '30', '--out', out], 80_000);
    const m = await run.waitStderr(/server pid (\d+) listening/);
    // Let the fleet get going, then kill the server the hard way.
    await run.waitStderr(/ 1\/30s \|/);
    process.kill(Number(m[1]), 'SIGKILL');
    const res = await run.result;
    assert.equal(res.timedOut, false, 'the run stopped by itself');
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /server under test died/);
    const file = readdirSync(out).find((f) => f.endsWith('.json'));
    assert.ok(file !== undefined, 'a report was still written');
    const r = readReport(path.join(out, file));
    assert.equal(r.server.crashed, true);
    assert.equal(r.server.signal, 'SIGKILL');
    assert.equal(r.verdict, 'fail');
    assert.ok(r.results.series.length < 30, 'the fleet stopped early');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('SIGINT stops the run early, still writes the report, and the run is interrupted (exit 4), never a pass', { timeout: 60_000 }, async () => {
  const server = await startNodeEchoServer();
  const out = tempDir();
  try {
    const run = startCli(['--target', `127.0.0.1:${server.port}`, '--clients', '50', '--duration', '30', '--out', out], 50_000);
    await run.waitStderr(/ 1\/30s \|/);
    run.child.kill('SIGINT');
    const res = await run.result;
    assert.equal(res.timedOut, false);
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, /SIGINT: stopping the fleet/);
    assert.match(res.stdout, /Verdict: INTERRUPTED/);
    const file = readdirSync(out).find((f) => f.endsWith('.json'));
    assert.ok(file !== undefined, 'the report was written');
    const r = readReport(path.join(out, file));
    assert.ok(r.results.series.length < 30);
    assert.equal(r.verdict, 'interrupted');
    assertNoErrors(r);
  } finally {
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
});

test('the embedded server, SIGINT after ~2 s of a 30 s run: exit 4 within bounds, interrupted in JSON, HTML, JUnit, Markdown; compare refuses it as a baseline', { skip: addonMissing(), timeout: 90_000 }, async () => {
  const out = tempDir();
  const junit = path.join(out, 'junit.xml');
  const markdown = path.join(out, 'summary.md');
  try {
    const run = startCli(['--clients', '20', '--duration', '30', '--out', out, '--junit', junit, '--markdown', markdown], 80_000);
    await run.waitStderr(/ 2\/30s \|/);
    const signalledAt = Date.now();
    run.child.kill('SIGINT');
    const res = await run.result;
    const stopMs = Date.now() - signalledAt;
    assert.equal(res.timedOut, false);
    assert.equal(res.code, 4, res.stderr);
    // Drain, quiet wait and stop are each bounded; on a calm server the whole stop takes about a second.
    assert.ok(stopMs < 20_000, `stopped ${stopMs} ms after SIGINT`);
    const file = readdirSync(out).find((f) => f.endsWith('.json'));
    assert.ok(file !== undefined, 'the report was written');
    const jsonPath = path.join(out, file);
    const r = readReport(jsonPath);
    assert.equal(r.verdict, 'interrupted');
    assert.equal(r.interrupted?.signal, 'SIGINT');
    assert.ok((r.interrupted?.atSec ?? 0) >= 1.5 && (r.interrupted?.atSec ?? 99) < 15, `interrupted at ${r.interrupted?.atSec} s`);
    assert.equal(r.server.crashed, false);
    assert.equal(r.server.leaked, 0, 'an interrupted run still stops its server cleanly');
    assert.match(readFileSync(jsonPath.replace(/\.json$/, '.html'), 'utf8'), /data-k="verdict">INTERRUPTED</);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<property name="verdict" value="interrupted"\/>/);
    assert.match(xml, /name="run completed" time="0">\s*<failure message="The run was interrupted after [\d.]+ s \(SIGINT received\)[^"]*" type="interrupted">/);
    assert.match(readFileSync(markdown, 'utf8'), /^## lanstress `echo-flood`: ⏹️ INTERRUPTED/);

    const refused = await runCli(['compare', jsonPath, jsonPath, '--fail-on-regression', '5%'], 20_000);
    assert.equal(refused.code, 2, refused.stderr);
    assert.ok(refused.stderr.includes(`${jsonPath}: the baseline run was interrupted`), refused.stderr);
    const allowed = await runCli(['compare', jsonPath, jsonPath, '--allow-interrupted'], 20_000);
    assert.equal(allowed.code, 0, allowed.stderr);
    const rejudged = await runCli(['report', jsonPath, '--threshold', 'p99<100s'], 20_000);
    assert.equal(rejudged.code, 4, 'a looser bound does not make it pass');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** Accepts and reads, never answers: every packet stays in flight, so the drain after a first SIGINT waits. */
function startSilentServer(): Promise<{ port: number; close: () => void }> {
  return serve((s) => s.resume());
}

test('a second SIGINT while the first is still draining quits at once (exit 130)', { timeout: 60_000 }, async () => {
  const server = await startSilentServer();
  const out = tempDir();
  try {
    const run = startCli(['--target', `127.0.0.1:${server.port}`, '--clients', '20', '--duration', '30', '--drain-timeout', '30000', '--echo-timeout', '60000', '--out', out], 50_000);
    await run.waitStderr(/ 1\/30s \|/);
    run.child.kill('SIGINT');
    await run.waitStderr(/SIGINT: stopping the fleet/);
    const secondAt = Date.now();
    run.child.kill('SIGINT');
    const res = await run.result;
    assert.equal(res.timedOut, false);
    assert.equal(res.code, 130, res.stderr);
    assert.ok(Date.now() - secondAt < 5000, 'quit at once, not after the 30 s drain');
  } finally {
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
});

test('--backend epoll,io_uring (or all): one run per backend, a report each, one JUnit with a suite each, a verdict line each', { skip: addonMissing(), timeout: 120_000 }, async () => {
  const out = tempDir();
  const junit = path.join(out, 'junit.xml');
  try {
    const res = await runCli(['--clients', '20', '--duration', '2', '--backend', 'all', '--out', out, '--junit', junit, '--gate'], 110_000);
    assert.equal(res.code, 0, res.stderr);
    const reports = readdirSync(out).filter((f) => f.endsWith('.json')).sort();
    const backends = reports.map((f) => /_echo-flood-(epoll|io_uring)_/.exec(f)?.[1]);
    assert.ok(backends.includes('epoll'), `report files ${reports.join(', ')}`);
    assert.equal(new Set(backends).size, reports.length, 'one report per backend, named after it');
    for (const f of reports) {
      const r = readReport(path.join(out, f));
      assert.equal(r.verdict, 'pass');
      assert.equal(r.meta.addon.backend, /_echo-flood-(epoll|io_uring)_/.exec(f)?.[1], 'each run served by the backend it is named after');
    }
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testsuite /g) ?? []).length, reports.length);
    for (const b of backends) {
      assert.match(xml, new RegExp(`<testsuite name="lanstress\\.echo-flood\\.${b}" `));
      assert.match(res.stdout, new RegExp(`│ ${b} +│ pass +│ 0 +│ 0 +│`));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('--backend names nothing this tool knows: exit 2 naming --backend, before any server starts', async () => {
  const res = await runCli(['--backend', 'epoll,kqueue', '--duration', '1'], 20_000);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /--backend "epoll,kqueue": must be auto, all, or one or a comma list of epoll, io_uring/);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a run killed with SIGKILL does not leave its embedded server behind', { skip: addonMissing(), timeout: 60_000 }, async () => {
  const out = tempDir();
  try {
    const run = startCli(['--clients', '20', '--duration', '30', '--out', out], 50_000);
    const m = await run.waitStderr(/server pid (\d+) listening/);
    const serverPid = Number(m[1]);
    run.child.kill('SIGKILL');
    await run.result;
    const deadline = Date.now() + 10_000;
    while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const survived = alive(serverPid);
    if (survived) process.kill(serverPid, 'SIGKILL');
    assert.equal(survived, false, 'the orphaned server stopped by itself');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('more clients than the hard open-files limit allows: exit 2 with the number needed and how to raise it', async () => {
  const res = await runCli(['--clients', '999999', '--duration', '1'], 20_000);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /--clients 999999: .*needs 1000511 open files.*ulimit -n 1000511/);
});

test('a low soft open-files limit is raised for the run (prlimit)', { skip: process.platform !== 'linux' ? 'needs /proc and prlimit' : false, timeout: 60_000 }, async () => {
  const server = await startNodeEchoServer();
  const out = tempDir();
  try {
    // 300 descriptors cannot hold 400 connections: the run must raise its own soft limit first.
    const res = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('/bin/sh', ['-c', 'ulimit -S -n 300 && exec "$@"', 'sh', process.execPath, CLI,
        '--target', `127.0.0.1:${server.port}`, '--clients', '400', '--duration', '2', '--json', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    assert.equal(res.code, 0, res.stderr);
    const r = readReport((JSON.parse(res.stdout) as JsonOut).report);
    assert.equal(r.results.connections.opened, 400);
    assert.deepEqual(r.results.clientErrors, {});
    assertNoErrors(r);
  } finally {
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
});
