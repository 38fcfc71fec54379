/**
 * stress knee for real, against the shipped server slowed on purpose (--echo-delay-us with one
 * server worker caps it below 1000 echoes/s): the search must stop at the step where p99
 * crosses the bound, every earlier step held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { KneeResult } from '../../stress/knee/search';
import { addonMissing, runCli } from '../support/cli';
import { tempDir } from '../support/temp';

test('against a server slowed by an echo delay, the search stops where p99 crosses the bound', { skip: addonMissing() }, async () => {
  const out = tempDir('knee');
  const r = await runCli(
    ['knee', '--threshold', 'p99<20ms', '--from', '100', '--factor', '4', '--max-steps', '4', '--step-duration', '2', '--clients', '20', '--max-time', '40', '--out', out,
      '--', '--echo-delay-us', '1000', '--server-workers', '1', '--client-workers', '1', '--seed', '1'],
    60_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const k = JSON.parse(readFileSync(path.join(out, 'knee.json'), 'utf8')) as KneeResult;
  assert.equal(k.stoppedBy, 'threshold', JSON.stringify(k.steps));
  const last = k.steps.at(-1)!;
  const before = k.steps.at(-2)!;
  // The step that broke is the first: everything before held, and the bound lies between the two.
  assert.ok(k.steps.slice(0, -1).every((s) => s.held));
  assert.equal(last.held, false);
  assert.ok(before.p99 < 20 && last.p99 >= 20, `p99 ${before.p99} at ${before.offered}/s, ${last.p99} at ${last.offered}/s`);
  assert.deepEqual([k.held, k.brokeAt], [before.offered, last.offered]);
  // One server worker sleeping 1 ms per echo cannot answer 1600/s: the knee lies below it.
  assert.ok(last.offered <= 1600, `broke only at ${last.offered}/s`);
  for (const s of k.steps) assert.ok(existsSync(s.report), s.report);
  assert.match(readFileSync(path.join(out, 'knee.html'), 'utf8'), /<svg[\s\S]*offered packets\/s/);
});
