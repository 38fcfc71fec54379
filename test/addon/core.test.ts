/**
 * Builds the native core with g++ alone (addon/Makefile) and runs its C++ unit tests:
 * ring buffer vs a model, framing split at every byte, id wrap, the threads that
 * try to break release-once, io_uring's multishot receive paths. Fault builds prove
 * the concurrency test and the io_uring receive test can fail, the latter on every
 * fault of faults.h's core list (paths the fault matrix's gate cannot reach).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';
import { toolchainMissing } from '../support/toolchain';
import { readCoreFaults } from '../support/faults';

const addonDir = path.join(packageRoot(), 'addon');

function make(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('make', ['-C', addonDir, '-j', '2', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const opts = { skip: toolchainMissing(), timeout: 300_000 };

test('C++ core unit tests pass (release build)', opts, () => {
  const { status, output } = make(['test']);
  assert.equal(status, 0, output.slice(-4000));
  for (const name of ['ring_buffer_test', 'framing_test', 'session_id_test', 'concurrency_test', 'uring_recv_test']) {
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

/** One core test built with a fault switched on, and run: its exit status and output. */
function runFaultyTest(test: string, fault: string): { status: number | null; output: string } {
  const bin = path.join(addonDir, 'out', `release-fault-${fault}`, 'tests', test);
  const built = make([`FAULT=${fault}`, bin]);
  assert.equal(built.status, 0, built.output.slice(-4000));
  const r = spawnSync(bin, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// The held limit's cancel is in the gate's matrix too (chaos floods reach it), but
// only by chance; uring_recv_test drives it on purpose.
const uringFaults = [
  { name: 'URING_CANCEL_DROPS_HELD', caughtBy: 'uring_recv_test' },
  ...readCoreFaults(),
];
for (const fault of uringFaults) {
  test(`${fault.caughtBy} catches FAULT=${fault.name}`, opts, (t) => {
    const { status, output } = runFaultyTest(fault.caughtBy, fault.name);
    if (/skipped \(io_uring unavailable/.test(output)) return t.skip('io_uring is not available on this kernel');
    assert.notEqual(status, 0, `${fault.caughtBy} passed on FAULT=${fault.name}:\n${output.slice(-3000)}`);
    assert.match(output, /check\(s\) failed|not finished after/);
  });
}
