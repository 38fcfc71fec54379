/**
 * `stress run --protocol` end to end: the compiled CLI, real sockets, the chat example's own
 * server (examples/chat), and broken variants of it, each caught by its integrity class.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { IntegrityCounts } from '../../dummy-client/types';
import { runCli, type CliResult } from '../support/cli';
import { CHAT_PROTOCOL, seqOf, startChatServer, type Relay } from '../support/chat-example';
import { reportOf } from '../support/reports';
import { tempDir } from '../support/temp';
import type { RunReport } from '../../stress/report/types';

/** One say in FAULT_EVERY is hit by a broken server's fault. */
const FAULT_EVERY = 40;
const faulty = (line: string): boolean => seqOf(line) % FAULT_EVERY === 0;

/** Runs the fleet with the chat protocol against a chat server with this relay; its result and report. */
async function runChat(relay: Relay | undefined, args: string[]): Promise<{ res: CliResult; report: RunReport; delivered: number | null }> {
  const server = await startChatServer(relay);
  const out = tempDir('protocol');
  try {
    const res = await runCli(['--protocol', CHAT_PROTOCOL, '--target', `127.0.0.1:${server.port}`, '--json', '--out', out, ...args], 15_000);
    assert.equal(res.timedOut, false, res.stderr);
    const summary = (JSON.parse(res.stdout) as { summary: { delivered: number | null } }).summary;
    return { res, report: reportOf(res), delivered: summary.delivered };
  } finally {
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

function assertOnly(i: IntegrityCounts, cls: 'lost' | 'corrupted' | 'unexpected'): void {
  assert.ok(i[cls] > 0, `${cls} caught: ${JSON.stringify(i)}`);
  for (const k of ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const) if (k !== cls) assert.equal(i[k], 0, `${k}: ${JSON.stringify(i)}`);
}

/** Short runs that give up on a missing answer quickly. */
const BROKEN_ARGS = ['--clients', '20', '--duration', '2', '--echo-timeout', '500ms', '--drain-timeout', '1s', '--gate'];

test('chat example: 50 clients pass the gate, answers ok and relays delivered', { timeout: 15_000 }, async () => {
  const { res, report, delivered } = await runChat(undefined, ['--clients', '50', '--duration', '3', '--gate']);
  assert.equal(res.code, 0, res.stderr);
  const i = report.results.integrity;
  assert.ok(i.ok > 0, 'answers verified');
  assert.ok((report.results.throughput.delivered ?? 0) > 0, 'relays of other members delivered');
  assert.equal(delivered, report.results.throughput.delivered, '--json summary carries delivered');
  for (const k of ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const) assert.equal(i[k], 0, k);
  assert.ok(report.results.latency.corrected.count > 0, 'request-to-answer latency recorded');
});

test('a server that drops a relay now and then: lost', { timeout: 15_000 }, async () => {
  const { res, report } = await runChat((line) => (faulty(line) ? [] : [line]), BROKEN_ARGS);
  assert.equal(res.code, 1, res.stderr);
  assertOnly(report.results.integrity, 'lost');
});

test("a server that corrupts a byte of an answer: corrupted", { timeout: 15_000 }, async () => {
  const corrupt = (line: string): string => line.replace(/"body":"(.)/, (_, c: string) => `"body":"${c === 'a' ? 'b' : 'a'}`);
  const { res, report } = await runChat((line, toSender) => [toSender && faulty(line) ? corrupt(line) : line], BROKEN_ARGS);
  assert.equal(res.code, 1, res.stderr);
  assertOnly(report.results.integrity, 'corrupted');
});

test('a server that garbles an answer (not JSON: the module throws): corrupted, and its request lost', { timeout: 15_000 }, async () => {
  const { res, report } = await runChat((line, toSender) => [toSender && faulty(line) ? line.slice(1) : line], BROKEN_ARGS);
  assert.equal(res.code, 1, res.stderr);
  const i = report.results.integrity;
  assert.ok(i.corrupted > 0, JSON.stringify(i));
  // An unreadable answer names no tag: the request it was meant for is still awaited, and times out
  // (one garbled in flight at the end is lost without being read).
  assert.ok(i.lost >= i.corrupted, JSON.stringify(i));
  assert.equal(i.unexpected, 0);
});

test('a server that answers a request twice: unexpected', { timeout: 15_000 }, async () => {
  const { res, report } = await runChat((line, toSender) => (toSender && faulty(line) ? [line, line] : [line]), BROKEN_ARGS);
  assert.equal(res.code, 1, res.stderr);
  assertOnly(report.results.integrity, 'unexpected');
});

test('chaos cuts and churn: reconnects, nothing lost, what was awaited on cut connections abandoned', { timeout: 15_000 }, async () => {
  const { res, report } = await runChat(undefined, ['--clients', '30', '--duration', '3', '--rate', '50', '--chaos', '0.5', '--lifetime', '1500ms', '--seed', '7', '--gate']);
  assert.equal(res.code, 0, res.stderr);
  const i = report.results.integrity;
  for (const k of ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const) assert.equal(i[k], 0, k);
  assert.ok(i.ok > 0);
  assert.ok(Object.values(report.results.chaos.counts).reduce((a, b) => a + b, 0) > 0, 'chaos cut connections');
  assert.ok(report.results.connections.reconnects > 0, 'cut connections reconnected');
  assert.ok(report.results.series.length >= 2, 'a tick a second');
});
