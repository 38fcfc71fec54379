/**
 * `--seed` replays chaos: with open-loop sends (--rate) a cut replaces the first packet scheduled
 * at or after its planned moment, so the same seed cuts the same connections at the same sequence
 * numbers, whatever the machine's timing. Compared: first-generation connections whose cut was
 * planned within the first two seconds of life (the 4 s run reaches all of them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findScenario } from '../../scenarios';
import { planChaos } from '../../dummy-client/chaos-actions';
import { planStall } from '../../dummy-client/chaos-traffic';
import { resolveRunOptions } from '../../stress/run/options';
import { fleetConfig } from '../../stress/run/orchestrate';
import type { RunReport } from '../../stress/report/types';
import { addonMissing } from '../support/cli';
import { failed, runScenarioCli } from './run-helpers';

const skip = addonMissing();
const CLIENTS = 60;
const RATE = 50;

function args(seed: number): string[] {
  // One backend: the replay is the fleet's, the same on every backend (chaos alone would run each).
  // No server-side cuts (kicks, the probes' kicks): only the fleet's own, which the seed plans.
  return ['chaos', '--backend', 'auto', '--clients', String(CLIENTS), '--duration', '4', '--rate', String(RATE), '--kick', '0', '--no-probes', '--seed', String(seed), '--gate'];
}

/**
 * The serials whose cut the seed plans for their first 2 s of life (first generation only), less
 * those whose long stall begins first: it fills the server's send queue, and the server cuts it
 * (sendQueueFull) before the fleet's own cut is due.
 */
function planned(seed: number): Map<number, string> {
  const r = resolveRunOptions({ clients: String(CLIENTS), rate: String(RATE), serverKick: '0', seed: String(seed) }, findScenario('chaos')!.defaults, { cores: 2, randomSeed: 1 });
  assert.ok(r.ok);
  const cfg = fleetConfig(r.options, '127.0.0.1', 1);
  const out = new Map<number, string>();
  for (let serial = 0; serial < CLIENTS; serial++) {
    const p = planChaos(cfg, serial);
    const stall = planStall(cfg, serial);
    if (p.action !== null && p.atLifeMs <= 2000 && (stall?.kind !== 'long' || stall.atLifeMs > p.atLifeMs)) out.set(serial, p.action);
  }
  return out;
}

function cutsOf(r: RunReport, serials: Map<number, string>): string[] {
  return r.results.chaos.cuts.filter((c) => serials.has(c.serial)).map((c) => `${c.serial}:${c.action}:${c.seq}`).sort();
}

test('the same --seed cuts the same connections, with the same action, at the same sequence number', { skip }, async () => {
  const plan = planned(7);
  assert.ok(plan.size >= 10, `only ${plan.size} cuts planned`);
  const a = await runScenarioCli(args(7));
  const b = await runScenarioCli(args(7));
  const other = await runScenarioCli(args(8));
  for (const run of [a, b, other]) assert.deepEqual(failed(run.report), [], run.cli.stderr);
  const cutsA = cutsOf(a.report, plan);
  // Every planned cut happened, once, with the planned action.
  assert.equal(cutsA.length, plan.size, `planned ${plan.size}, cut ${cutsA.length}`);
  for (const c of cutsA) {
    const [serial, action] = c.split(':');
    assert.equal(plan.get(Number(serial)), action);
  }
  assert.deepEqual(cutsOf(b.report, plan), cutsA);
  // Sequence numbers follow the schedule: a cut in life second k comes after about k x rate packets.
  assert.ok(cutsA.some((c) => Number(c.split(':')[2]) > RATE / 2), cutsA.join(' '));
  assert.notDeepEqual(cutsOf(other.report, planned(8)), cutsA);
});
