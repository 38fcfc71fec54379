/**
 * The merge on reports built by the real report builder (no load): embedded parts' servers
 * summed, seconds lined up by wall time, histograms added, gates judged again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FleetTick } from '../../dummy-client/types';
import { fleetSecond } from '../../stress/merge/align';
import { combineParts } from '../../stress/merge/combine';
import { judgeMerged } from '../../stress/merge/judge';
import { partProblems, type Part } from '../../stress/merge/parts';
import { percentilesOf } from '../../stress/run/percentiles';
import { validateReport } from '../../stress/report/schema';
import type { RunReport } from '../../stress/report/types';
import { encoded, fleetResult, sampleReport, serverStats, embeddedOutcome, tick } from '../stress/fixtures';

function part(index: number, count: number, startMs: number, over: Partial<RunReport['results']['integrity']> = {}, thresholds: string[] = []): Part {
  const fleet = fleetResult({ integrity: { ok: 300, corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0, abandoned: 0, ...over } });
  const report = sampleReport(fleet, embeddedOutcome(serverStats({ recvPackets: 100 * (index + 1) })), thresholds);
  report.shard = { index, count, loadStartedAt: new Date(startMs).toISOString() };
  report.options.shard = `${index}/${count}`;
  return { file: `shard${index}.json`, report };
}

test('embedded parts: each had its own server, so their stats are summed; seconds line up by wall time', () => {
  const t0 = Date.parse('2026-01-02T03:04:06.000Z');
  const parts = [part(0, 2, t0), part(1, 2, t0 + 1000)];
  const merged = combineParts(parts, ['merge']);
  assert.equal(merged.merged?.sharedServer, false);
  assert.equal(merged.server.stats?.recvPackets, 300);
  assert.equal(merged.server.stats?.disconnects.peerClosed, 20);
  assert.equal(merged.merged?.startSkewSec, 1);
  // Part 1 started a second later: its seconds 1..3 are the fleet's 2..4.
  assert.deepEqual(merged.results.series.map((t) => [t.t, t.sent]), [[1, 100], [2, 200], [3, 200], [4, 100]]);
  assert.equal(merged.results.throughput.sent, 600);
  assert.equal(merged.results.connections.target, 20);
  assert.equal(merged.results.latency.corrected.count, 10);
  assert.deepEqual(merged.results.latency.corrected, percentilesOf(encoded([100, 200, 300, 1500, 20000, 100, 200, 300, 1500, 20000])));
  assert.deepEqual(merged.server.stderrTail, []);
});

test('gates are judged again on the sum: 2 lost in each part passes lost<=3 alone and fails it merged', () => {
  const t0 = Date.now();
  const parts = [part(0, 2, t0, { lost: 2, ok: 298 }, ['lost<=3']), part(1, 2, t0, { lost: 2, ok: 298 }, ['lost<=3'])];
  for (const p of parts) assert.equal(p.report.gates.find((g) => g.name === 'lost<=3')?.pass, true);
  const merged = judgeMerged(combineParts(parts, ['merge']), parts.map((p) => p.report));
  const gate = merged.gates.find((g) => g.name === 'lost<=3');
  assert.deepEqual([gate?.pass, gate?.actual], [false, 4]);
  assert.equal(merged.gates.find((g) => g.name === 'integrity.lost == 0')?.actual, 4);
  assert.equal(merged.verdict, 'fail');
  assert.deepEqual(validateReport(merged), []);
});

test('parts of another fleet, count or build are each a problem naming the file', () => {
  const t0 = Date.now();
  const other = part(1, 2, t0);
  other.report.options.clients = 99;
  other.report.meta.git.commit = 'abc';
  const problems = partProblems([part(0, 2, t0), other, { ...part(0, 3, t0), file: 'third.json' }]);
  assert.ok(problems.some((p) => /^shard1\.json: .*--clients 99 \(first part: 10\)/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^shard1\.json: .*git commit abc/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^third\.json: shard 0\/3, but shard0\.json is a part of 2/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^third\.json: shard 0 is given twice \(also shard0\.json\)/.test(p)), problems.join('\n'));
  assert.deepEqual(partProblems([part(0, 2, t0), part(1, 2, t0)]), []);
});

test("a merged second adds the parts' chaos cuts by action, and has none when no part recorded them", () => {
  const cuts = (n: number): FleetTick['cuts'] => ({ rstMidBurst: n, finInFlight: 0, closeAfterConnect: 1, closeMidPacket: 0, silence: 0 });
  assert.deepEqual(fleetSecond(3, [{ ...tick(3), cuts: cuts(2) }, { ...tick(3), cuts: cuts(5) }, tick(3)]).cuts, { ...cuts(7), closeAfterConnect: 2 });
  assert.equal('cuts' in fleetSecond(3, [tick(3), tick(3)]), false);
});

test("a scenario file's parts are judged by the gates their reports carry, expressions against the merged options", () => {
  const t0 = Date.now();
  const parts = [part(0, 2, t0), part(1, 2, t0)];
  for (const p of parts) {
    p.report.scenario = { name: 'from-a-file', description: 'not a built-in', gates: [{ metric: 'integrity.ok', op: '>=', value: 'clients * 30', why: 'w', when: "target == 'embedded'" }] };
  }
  const merged = judgeMerged(combineParts(parts, ['merge']), parts.map((p) => p.report));
  const clients = Number(merged.options.clients);
  const gate = merged.gates.find((g) => g.name.startsWith('integrity.ok >='));
  assert.deepEqual([gate?.expected, gate?.actual], [`>= ${clients * 30}`, 600]);
  assert.deepEqual(validateReport(merged), []);
  for (const p of parts) p.report.scenario = { name: 'from-a-file', description: 'an older report: no gates recorded' };
  assert.throws(() => judgeMerged(combineParts(parts, ['merge']), parts.map((p) => p.report)), /unknown scenario 'from-a-file'/);
});
