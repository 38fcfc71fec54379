/**
 * IPv6 loopback end to end: the shipped server embedded on ::1 passes the chaos gate, the fleet
 * loads an external [::1]:port target, and what is not IPv6 loopback is refused (exit 2) before
 * any load. Skipped, saying why, on a kernel without IPv6 loopback.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { rmSync } from 'node:fs';
import { addonMissing, runCli } from '../support/cli';
import { ipv6LoopbackMissing } from '../support/ipv6';
import { failedGateNames, readReport, reportOf } from '../support/reports';
import { tempDir } from '../support/temp';

const opts = { skip: addonMissing(), timeout: 180_000 };

async function skipWithoutIpv6(t: TestContext): Promise<boolean> {
  const missing = await ipv6LoopbackMissing();
  if (missing !== null) t.skip(missing);
  return missing !== null;
}

function outDir(t: TestContext): string {
  const out = tempDir('ipv6');
  t.after(() => rmSync(out, { recursive: true, force: true }));
  return out;
}

test('stress chaos --host ::1 --gate: the embedded server on IPv6 loopback passes every gate, shown as [::1]:port', opts, async (t) => {
  if (await skipWithoutIpv6(t)) return;
  const out = outDir(t);
  const r = await runCli(['chaos', '--host', '::1', '--clients', '200', '--duration', '5', '--gate', '--out', out], 150_000);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /embedded \[::1\]:\d+/);
  const reports = [...r.stdout.matchAll(/^Report: (.+\.json)$/gm)].map((m) => readReport(m[1]!));
  assert.ok(reports.length >= 1, r.stdout);
  for (const report of reports) {
    assert.equal(report.target.host, '::1');
    assert.deepEqual(failedGateNames(report), []);
    assert.ok(report.results.integrity.ok > 0);
    assert.ok((report.server.stats?.accepted ?? 0) > 0, 'the server saw the fleet');
  }
});

test('stress --target [::1]:PORT loads a small external echo server over IPv6', opts, async (t) => {
  if (await skipWithoutIpv6(t)) return;
  // Plain byte echo: the lan framing survives it, which is all the fleet needs of a server.
  const echo = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '::1', resolve));
  t.after(() => echo.close());
  const port = (echo.address() as net.AddressInfo).port;
  const out = outDir(t);
  const r = await runCli(['--target', `[::1]:${port}`, '--clients', '20', '--duration', '2', '--client-workers', '1', '--gate', '--json', '--out', out], 60_000);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const report = reportOf(r);
  assert.deepEqual(report.target, { kind: 'external', host: '::1', port });
  assert.equal(report.options.target, `[::1]:${port}`);
  assert.ok(report.results.integrity.ok > 0);
  assert.equal(report.results.integrity.lost + report.results.integrity.corrupted, 0);
  assert.ok(report.gates.some((g) => g.unknown), 'server-side gates are unknown for an external target');
});

test('IPv6 that is not loopback, and --source-ips with an IPv6 target, are exit 2 naming the flag, before any load', opts, async (t) => {
  if (await skipWithoutIpv6(t)) return;
  const cases: Array<[string[], RegExp]> = [
    [['--target', '[2001:db8::1]:9000'], /--target "\[2001:db8::1\]:9000": 2001:db8::1 is not loopback/],
    [['--target', '[::2]:9000'], /--target "\[::2\]:9000": ::2 is not loopback/],
    [['--host', '::2'], /--host "::2": must be a loopback address: 127\.0\.0\.0\/8 or ::1/],
    [['--host', '::1', '--source-ips', '2'], /--source-ips "2": .*IPv6 target has one loopback address/],
    [['--target', '[::1]:9', '--source-ips', '127.0.0.2'], /--source-ips "127\.0\.0\.2": .*IPv6 target has one loopback address/],
  ];
  for (const [args, why] of cases) {
    const r = await runCli([...args, '--duration', '1', '--clients', '1'], 30_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
    assert.doesNotMatch(r.stdout, /Report:/);
  }
});
