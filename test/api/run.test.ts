/**
 * The programmatic API: run() takes the run flags by camelCase name, refuses bad input with the
 * CLI's own messages (UsageError, code ERR_LANSTRESS_USAGE, before any load), resolves with the
 * report the JSON file holds, and writes no file unless asked. The examples run as a user runs them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { run, UsageError, type RunApiOptions, type RunReport } from '../../index';
import { addonMissing, runCli } from '../support/cli';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/temp';

const opts = { skip: addonMissing(), timeout: 120_000 };

async function usageProblems(options: RunApiOptions): Promise<string[]> {
  try {
    await run(options);
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.code, 'ERR_LANSTRESS_USAGE');
    return err.problems;
  }
  throw new Error('run() resolved with bad options');
}

// Compile-time: the options are typed from the flag table (tsc fails the build if these stop being errors).
const typed: RunApiOptions = { clients: 5, clientWorkers: 1, duration: '2s', chaosActions: ['silence'], gate: true, threshold: ['p99<1s'] };
// @ts-expect-error a switch takes a boolean
const badSwitch: RunApiOptions = { gate: 'yes' };
// @ts-expect-error no such flag
const badName: RunApiOptions = { workersCount: 2 };
void [typed, badSwitch, badName];

test('run() refuses bad options with the messages the command line prints, every one at once, before any load', opts, async () => {
  const problems = await usageProblems({ clients: 0, duration: '10x', kick: 2, target: '[2001:db8::1]:9000' });
  const cli = await runCli(['--clients', '0', '--duration', '10x', '--kick', '2', '--target', '[2001:db8::1]:9000'], 30_000);
  assert.equal(cli.code, 2);
  const cliProblems = cli.stderr.split('\n').filter((l) => l.startsWith('stress: --')).map((l) => l.slice('stress: '.length));
  assert.deepEqual(problems, cliProblems);
  assert.equal(problems.length, 4, problems.join('\n'));

  const unknown = await usageProblems({ workersCount: 2, gate: 'yes' } as unknown as RunApiOptions);
  assert.match(unknown[0]!, /^unknown option 'workersCount'/);
  assert.match(unknown[1]!, /^--gate "yes": must be true or false/);
  assert.match((await usageProblems({ backend: 'all' }))[0]!, /^--backend "all": run\(\) makes one run/);
  assert.match((await usageProblems({ scenario: 'nope' }))[0]!, /^unknown scenario 'nope'/);
});

test('run() resolves with the report the JSON file holds; with out it writes it, without out nothing', opts, async () => {
  const out = tempDir('api');
  try {
    const report: RunReport = await run({ clients: 20, duration: 2, clientWorkers: 1, serverWorkers: 1, gate: true, out, threshold: 'lost==0' });
    assert.equal(report.verdict, 'pass');
    assert.equal(report.target.kind, 'embedded');
    assert.ok(report.results.integrity.ok > 0);
    assert.deepEqual(report.meta.argv.slice(0, 1), ['echo-flood']);
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 1);
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, files[0]!), 'utf8')), JSON.parse(JSON.stringify(report)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('run() with an AbortSignal: aborting stops the load and resolves with verdict interrupted', opts, async () => {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 1500);
  const report = await run({ clients: 10, duration: '60s', clientWorkers: 1, serverWorkers: 1 }, { signal: stop.signal });
  clearTimeout(timer);
  assert.equal(report.verdict, 'interrupted');
  assert.equal(report.interrupted?.signal, null);
  assert.equal(report.interrupted?.reason, 'aborted by the caller');
  assert.ok(report.meta.durationSec < 30, `stopped early (${report.meta.durationSec} s)`);
});

/** Runs an example with node in an empty directory; resolves with its exit code, stdout, and the files it left. */
function runExample(name: string, args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; lines: string[]; left: string[] }> {
  const cwd = tempDir('example');
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', name), ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      onLine?.(line, () => child.kill('SIGTERM'));
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const left = existsSync(cwd) ? readdirSync(cwd) : [];
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, lines, left });
    });
  });
}

test('examples/api-run.mjs: import { run } from lanstress, a passing run, no file written', opts, async () => {
  const r = await runExample('api-run.mjs', []);
  assert.equal(r.code, 0, r.lines.join('\n'));
  const result = JSON.parse(r.lines.at(-1)!) as { verdict: string; ok: number; lost: number };
  assert.equal(result.verdict, 'pass');
  assert.ok(result.ok > 0);
  assert.equal(result.lost, 0);
  assert.deepEqual(r.left, [], 'run() without out writes nothing');
});

test('examples/js-server.mjs: LanServer with a JavaScript handler serves the fleet, every echo checked', opts, async () => {
  let fleet: ReturnType<typeof runCli> | null = null;
  const fleetOut = tempDir('js-fleet');
  const r = await runExample('js-server.mjs', ['--port', '0'], (line, kill) => {
    const event = JSON.parse(line) as { event: string; port?: number };
    if (event.event !== 'listening') return;
    fleet = runCli(['--target', `127.0.0.1:${event.port}`, '--clients', '20', '--duration', '2', '--client-workers', '1', '--gate', '--json', '--out', fleetOut], 60_000);
    void fleet.finally(kill);
  });
  assert.ok(fleet !== null, r.lines.join('\n'));
  const cli = await (fleet as ReturnType<typeof runCli>);
  rmSync(fleetOut, { recursive: true, force: true });
  assert.equal(cli.code, 0, cli.stderr);
  const final = JSON.parse(r.lines.at(-1)!) as { event: string; recvPackets: number; handlerWaits: number };
  assert.equal(final.event, 'final');
  assert.ok(final.recvPackets > 0);
  assert.equal(final.handlerWaits, 0, 'a handler that keeps up never holds the server back');
});
