/** stress knee: the steps' rates, and a command line refused before any load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { stepRates } from '../../stress/knee/plan';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

test('steps rise geometrically and are spread over the clients as --rate per connection', () => {
  assert.deepEqual(stepRates({ from: 100, factor: 4, maxSteps: 3, clients: 20 }), [
    { step: 1, offered: 100, perConnection: 5 },
    { step: 2, offered: 400, perConnection: 20 },
    { step: 3, offered: 1600, perConnection: 80 },
  ]);
});

test('a missing threshold, a bad one, a flag the search sets and a bad number are exit 2 before any load', async () => {
  const out = tempDir('knee-bad');
  const r = await runCli(['knee', '--threshold', 'p99<<3', '--factor', '1', '--out', out, '--', '--rate', '5']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /p99<<3/);
  assert.match(r.stderr, /--factor "1"/);
  assert.match(r.stderr, /--rate after --/);
  assert.equal(existsSync(path.join(out, 'knee.json')), false);
  const none = await runCli(['knee', '--out', out]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--threshold: required/);
});
