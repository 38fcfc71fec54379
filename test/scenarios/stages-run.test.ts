/**
 * examples/ramp.json against the shipped server: the report's per-second series follows the
 * stages (connections and echoes a second ramp up, hold, ramp down). Coarse bounds, not timing:
 * each checked second lies well inside a stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { addonMissing } from '../support/cli';
import { ROOT } from '../support/paths';
import { failed, runScenarioCli } from './run-helpers';

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
