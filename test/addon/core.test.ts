/**
 * Builds the native core with g++ alone (addon/Makefile) and runs its C++ unit tests:
 * ring buffer vs a model, framing split at every byte, id wrap, and the threads that
 * try to break release-once. A fault build proves the concurrency test can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';
import { toolchainMissing } from '../support/toolchain';

const addonDir = path.join(packageRoot(), 'addon');

function make(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('make', ['-C', addonDir, '-j', '2', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const opts = { skip: toolchainMissing(), timeout: 300_000 };

test('C++ core unit tests pass (release build)', opts, () => {
  const { status, output } = make(['test']);
  assert.equal(status, 0, output.slice(-4000));
  for (const name of ['ring_buffer_test', 'framing_test', 'session_id_test', 'concurrency_test']) {
    assert.match(output, new RegExp(`^ok ${name}$`, 'm'), `${name} did not run`);
  }
  assert.match(output, /all core tests passed/);
});

test('the concurrency test catches a server built without the release-flag check', opts, () => {
  const { status, output } = make(['FAULT=SKIP_RELEASE_FLAG_CHECK', 'test']);
  assert.notEqual(status, 0, 'the fault build passed: the concurrency test cannot see a broken release');
  assert.match(output, /^FAILED concurrency_test$/m);
  assert.match(output, /doubleRelease/);
  // The single-threaded tests do not depend on the switch and still pass.
  assert.match(output, /^ok ring_buffer_test$/m);
  assert.match(output, /^ok framing_test$/m);
});
