/**
 * examples/ramp.json against the shipped server: the report's per-second series follows the
 * stages (connections and echoes a second ramp up, hold, ramp down). Coarse bounds, not timing:
 * each checked second lies well inside a stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { addonMissing, runCli, type CliResult } from '../support/cli';
import { ROOT } from '../support/paths';
import { failed, runScenarioCli } from './run-helpers';

const reportFile = (cli: CliResult): string => (JSON.parse(cli.stdout.trim().split('\n').pop()!) as { report: string }).report;

const RAMP = path.join(ROOT, 'examples', 'ramp.json');
// examples/ramp.json: 0 -> 200 connections and 0 -> 20 packets/s each over 4 s, hold 3 s, down to 50 at 5/s over 3 s.
const PEAK = 200;
const HOLD_ECHOES = PEAK * 20;

test('a staged scenario file ramps connections and echo rate in the report series', { skip: addonMissing(), timeout: 90_000 }, async () => {
  const { cli, report } = await runScenarioCli(['run', RAMP, '--client-workers', '2', '--server-workers', '2']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(failed(report), []);
  assert.equal(report.scenario.name, 'ramp');
  const s = new Map(report.results.series.map((t) => [t.t, t]));
  const at = (t: number): { connections: number; echoed: number } => {
    const tick = s.get(t);
    assert.ok(tick, `no second ${t} in the series`);
    return tick;
  };
  const series = report.results.series.map((t) => `${t.t}:${t.connections}/${t.echoed}`).join(' ');
  // Mid ramp-up (target 100 at 2 s, rate 10).
  assert.ok(at(2).connections >= 40 && at(2).connections <= 160, series);
  // Holding: every connection, about 20 packets/s each.
  for (const t of [6, 7]) {
    assert.ok(at(t).connections >= PEAK * 0.85 && at(t).connections <= PEAK, series);
    assert.ok(at(t).echoed >= HOLD_ECHOES * 0.5 && at(t).echoed <= HOLD_ECHOES * 1.3, series);
  }
  assert.ok(at(2).echoed < at(6).echoed / 2, `the rate ramps up: ${series}`);
  // Ramping down to 50 connections at 5/s by 10 s.
  assert.ok(at(10).connections <= 110, series);
  assert.ok(at(10).echoed < at(6).echoed / 2, `the rate ramps down: ${series}`);
  assert.ok(report.results.series.every((t) => t.connections <= PEAK), series);
});

test('--total-rate holds a fleet-wide rate split over the live connections', { skip: addonMissing(), timeout: 60_000 }, async () => {
  const { cli, report } = await runScenarioCli(['--total-rate', '2000', '--clients', '100', '--duration', '4', '--client-workers', '2', '--server-workers', '2']);
  assert.equal(cli.code, 0, cli.stderr);
  const held = report.results.series.filter((t) => t.t >= 2 && t.t <= 4);
  const series = report.results.series.map((t) => `${t.t}:${t.connections}/${t.echoed}`).join(' ');
  assert.equal(held.length, 3, series);
  // 2000/s whatever the connection count: 100 connections at --rate 2000 would be 200000/s.
  for (const t of held) assert.ok(t.echoed >= 1200 && t.echoed <= 2600, series);
});

test('--warm-up leaves the first seconds out of latency and throughput; --think-time paces the closed loop', { skip: addonMissing(), timeout: 60_000 }, async () => {
  const clients = 20;
  const thinkMs = 50;
  const { cli, report } = await runScenarioCli(['--clients', String(clients), '--duration', '5', '--warm-up', '2s', '--think-time', `${thinkMs}ms`, '--client-workers', '2', '--server-workers', '2']);
  assert.equal(cli.code, 0, cli.stderr);
  const tp = report.results.throughput;
  const series = report.results.series.map((t) => `${t.t}:${t.echoed}`).join(' ');
  assert.equal(tp.warmUpSec, 2);
  const afterWarmUp = report.results.series.filter((t) => t.t > 2).reduce((a, t) => a + t.echoed, 0);
  const warm = report.results.series.filter((t) => t.t <= 2).reduce((a, t) => a + t.echoed, 0);
  assert.ok(warm > 0, series);
  // The drain after the last second may add a few echoes; the warm-up's are all left out.
  assert.ok(tp.echoed >= afterWarmUp && tp.echoed < afterWarmUp + warm, `${tp.echoed} echoed; ${series}`);
  assert.ok(report.results.latency.corrected.count <= tp.echoed && report.results.latency.corrected.count < report.results.integrity.ok, `${report.results.latency.corrected.count} samples`);
  // One packet in flight and 50 ms of thought after each echo: at most 20 echoes a second per connection.
  const ceiling = clients * (1000 / thinkMs) * 1.1;
  for (const t of report.results.series.filter((x) => x.t >= 2)) assert.ok(t.echoed <= ceiling && t.echoed >= ceiling / 4, series);
  assert.equal((JSON.parse(cli.stdout.trim().split('\n').pop()!) as { summary: { warmUpSec: number } }).summary.warmUpSec, 2);
  const text = await runCli(['report', reportFile(cli)], 30_000);
  assert.match(text.stdout, /Warm-up +the first 2 s are left out of latency and throughput/);
});

test('--mix weighs payload sizes on the wire', { skip: addonMissing(), timeout: 60_000 }, async () => {
  const { cli, report } = await runScenarioCli(['--mix', '9:16,1:4096', '--clients', '10', '--duration', '2', '--client-workers', '1', '--server-workers', '1']);
  assert.equal(cli.code, 0, cli.stderr);
  const tp = report.results.throughput;
  // Frames of 2 + 16 bytes nine times in ten, 2 + 4096 once: 426 bytes a packet on average
  // (uniform sizes over the same envelope, 16-4096, would average 2058).
  const perPacket = tp.bytesSent / tp.sent;
  assert.ok(perPacket > 300 && perPacket < 600, `${perPacket} bytes a packet`);
});
