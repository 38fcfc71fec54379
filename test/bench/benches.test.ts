/**
 * bench:server and bench:fleet end to end in --quick mode against the real servers: the JSON
 * has its shape and sane values (echoes counted, CPU spent, ratios finite). Speeds are not
 * asserted: this machine is shared and noisy, and the benches report, they do not judge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';
import { compilerVersion } from '../../bench/lib/build-c';
import { lanserverPath } from '../../bench/server/servers';
import { tempDir } from '../support/temp';

const noCompiler = compilerVersion() === null ? 'no C compiler (cc/gcc) on this machine: the benches build bench/c/ with it' : false;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(script: string, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'bench', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function readOnlyJson(dir: string, kind: string): Record<string, unknown> {
  const files = readdirSync(dir).filter((f) => f.startsWith(`bench-${kind}-`) && f.endsWith('.json'));
  assert.equal(files.length, 1, `one bench-${kind} JSON in ${dir}: ${files.join(', ')}`);
  assert.ok(existsSync(path.join(dir, files[0]!.replace(/\.json$/, '.md'))), 'the Markdown is written beside the JSON');
  return JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as Record<string, unknown>;
}

const positive = (v: unknown, what: string): void => {
  assert.equal(typeof v, 'number', `${what} is a number`);
  assert.ok(Number.isFinite(v as number) && (v as number) > 0, `${what} > 0 (got ${String(v)})`);
};

test('bench flags: an unknown flag or a bad value is exit 2 naming the flag', { skip: noCompiler, timeout: 20_000 }, async () => {
  const server = await runBench('server/main.js', ['--repeats', '0', '--only', 'nginx']);
  assert.equal(server.code, 2);
  assert.match(server.stderr, /--repeats must be at least 1/);
  const only = await runBench('server/main.js', ['--only', 'nginx']);
  assert.equal(only.code, 2);
  assert.match(only.stderr, /--only: unknown server nginx/);
  const bin = await runBench('server/main.js', ['--lanserver-bin', 'main=/no/such/lanserver']);
  assert.equal(bin.code, 2);
  assert.match(bin.stderr, /--lanserver-bin: main=\/no\/such\/lanserver is not an executable file/);
  const fleet = await runBench('fleet/main.js', ['--duration', '1.5', '--bogus']);
  assert.equal(fleet.code, 2);
  assert.match(fleet.stderr, /--duration must be a whole number/);
  assert.match(fleet.stderr, /unknown flag --bogus/);
  const baseline = await runBench('fleet/main.js', ['--baseline', '/nonexistent-checkout']);
  assert.equal(baseline.code, 2);
  assert.match(baseline.stderr, /--baseline: \/nonexistent-checkout\/dist\/stress\/cli\.js does not exist/);
});

test('bench:server --quick measures every server and the ratios to the C reference', { skip: noCompiler, timeout: 90_000 }, async () => {
  const out = tempDir('bench-server');
  try {
    const servers = existsSync(lanserverPath()) ? ['lanserver-epoll', 'lanserver-io_uring', 'c-epoll', 'node-pipe'] : ['c-epoll', 'node-pipe'];
    const run = await runBench('server/main.js', ['--quick', '--duration', '1', '--clients', '300', '--only', servers.join(','), '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\| server CPU-s per 1M echoes/);
    const json = readOnlyJson(out, 'server');
    const measurements = json.measurements as Array<Record<string, Record<string, unknown> | string | number | null>>;
    assert.equal(measurements.length, servers.length);
    for (const m of measurements) {
      const name = String(m.server);
      // io_uring may be missing from a kernel: that server's start fails with the reason, the rest must not.
      if (name === 'lanserver-io_uring' && typeof m.error === 'string' && m.error.startsWith('start:')) continue;
      assert.equal(m.error, null, `${name}: ${String(m.error)}`);
      const cpu = m.cpu as Record<string, unknown>;
      positive(cpu.echoes, `${name} cpu.echoes`);
      positive(cpu.serverCpuSec, `${name} cpu.serverCpuSec`);
      positive(cpu.cpuSecPerMEchoes, `${name} cpu.cpuSecPerMEchoes`);
      const latency = m.latency as Record<string, unknown>;
      positive(latency.echoesPerSec, `${name} latency.echoesPerSec`);
      positive(latency.p99Ms, `${name} latency.p99Ms`);
      // A light window may round to 0 ticks of /proc CPU: measured, not necessarily > 0.
      assert.ok(typeof latency.cpuSecPerMEchoes === 'number' && latency.cpuSecPerMEchoes >= 0, `${name} latency.cpuSecPerMEchoes: ${String(latency.cpuSecPerMEchoes)}`);
      assert.ok((latency.p99Ms as number) >= (latency.p50Ms as number), `${name} p99 >= p50`);
      positive(m.rssStartKb, `${name} rssStartKb`);
      positive((m.idle as Record<string, unknown>).rssKb, `${name} idle.rssKb`);
      assert.equal((m.idle as Record<string, unknown>).connected, 300);
      positive((m.flood as Record<string, unknown>).peakRssKb, `${name} flood.peakRssKb`);
      if ((json.syscalls as Record<string, unknown>).tool !== null) positive((m.syscalls as Record<string, unknown>).perEcho, `${name} syscalls.perEcho`);
    }
    if (servers.includes('lanserver-epoll')) {
      const ratios = json.ratios as Record<string, Record<string, { spread: { median: number | null } }>>;
      positive(ratios['lanserver-epoll/c-epoll']!.cpuSecPerMEchoes!.spread.median, 'lanserver-epoll/c-epoll CPU ratio');
      positive(ratios['lanserver-epoll/c-epoll']!.p99Ms!.spread.median, 'lanserver-epoll/c-epoll p99 ratio');
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench:fleet --quick measures the fleet, the C client and a baseline checkout\'s fleet at the same offered load', { skip: noCompiler, timeout: 90_000 }, async () => {
  const out = tempDir('bench-fleet');
  try {
    // This checkout as its own baseline: the third pass runs, whatever the checkout.
    const run = await runBench('fleet/main.js', ['--quick', '--duration', '1', '--clients', '300', '--baseline', packageRoot(), '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\| echoes per client CPU-second/);
    const json = readOnlyJson(out, 'fleet');
    const [repeat] = json.repeats as Array<Record<string, Record<string, unknown> | number | string | null>>;
    assert.ok(repeat !== undefined);
    assert.equal(repeat.error, null, String(repeat.error));
    const stress = repeat.stress as Record<string, unknown>;
    positive(stress.verifiedEchoes, 'stress.verifiedEchoes');
    // The sockets the run resolved --io auto to, as its report says, name the fleet's column.
    assert.ok(stress.io === 'native' || stress.io === 'net', String(stress.io));
    assert.match(run.stdout, new RegExp(`lanstress fleet, ${String(stress.io)} sockets`));
    positive(stress.cpuSec, 'stress.cpuSec');
    positive(stress.verifiedPerCpuSec, 'stress.verifiedPerCpuSec');
    assert.equal(typeof stress.lagMeanMs, 'number');
    assert.equal(stress.integrityErrors, 0);
    const c = repeat.cClient as Record<string, unknown>;
    positive(c.echoes, 'cClient.echoes');
    positive(c.cpuSec, 'cClient.cpuSec');
    positive(repeat.ratio, 'fleet / C ratio');
    positive((repeat.baseline as Record<string, unknown>).verifiedPerCpuSec, 'baseline.verifiedPerCpuSec');
    positive(repeat.baselineRatio, 'fleet / baseline ratio');
    assert.deepEqual([...(repeat.order as unknown as string[])].sort(), ['baseline', 'c-client', 'stress']);
    assert.match(run.stdout, /### against the baseline fleet/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
