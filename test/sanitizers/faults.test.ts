/**
 * The gates can fail: standalone lanservers built with a fault switched on at
 * compile time (addon/Makefile FAULT=) are run under chaos through
 * `stress run --server-bin ... --gate`, and each run must be caught (non-zero
 * exit) with the report naming why. The same run against the fault-free build
 * passes, so it is the fault that fails the run, not the load.
 *
 * The backend is pinned to epoll so the outcome does not depend on whether the
 * kernel offers io_uring. Each run: 300 clients, 5 s.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/cli';
import { failedGateNames, reportOf } from '../support/reports';
import { tempDir } from '../support/temp';
import { buildLanserver, toolchainMissing } from '../support/toolchain';

const skip = toolchainMissing();
const opts = { skip, timeout: 240_000 };
const LOAD = ['--backend', 'epoll', '--clients', '300', '--duration', '5', '--gate', '--json'];
const CHAOS = ['--chaos', '0.3', '--pipeline', '4'];
const RUN_TIMEOUT_MS = 120_000;

const ANOMALY_GATES = ['server.anomalies.doubleRelease == 0', 'server.anomalies.ioCountUnderflow == 0', 'server.anomalies.releaseWithPendingIo == 0'];

describe('stress run --server-bin against fault builds', () => {
  test('control: the fault-free release build passes the same chaos run', opts, async () => {
    const bin = await buildLanserver('release', null);
    const r = await runCli(['--server-bin', bin, ...LOAD, ...CHAOS, '--out', tempDir()], RUN_TIMEOUT_MS);
    const report = reportOf(r);
    assert.deepEqual(failedGateNames(report), [], r.stderr);
    assert.equal(r.code, 0);
    assert.equal(report.meta.addon.binary, bin);
    assert.equal(report.meta.addon.buildType, 'release');
    assert.deepEqual(report.meta.addon.faults, []);
    assert.equal(report.server.sanitizer?.count, 0);
    assert.ok(report.gates.some((g) => g.name === 'server.sanitizer == 0' && g.pass));
    assert.ok(report.results.chaos.counts.rstMidBurst + report.results.chaos.counts.finInFlight > 0, 'chaos cut connections');
  });

  test('SKIP_RELEASE_FLAG_CHECK (acquire ignores the release flag) is caught as a double release', opts, async () => {
    const bin = await buildLanserver('release', 'SKIP_RELEASE_FLAG_CHECK');
    const r = await runCli(['--server-bin', bin, ...LOAD, ...CHAOS, '--out', tempDir()], RUN_TIMEOUT_MS);
    const report = reportOf(r);
    assert.notEqual(r.code, 0, 'the fault build must fail the run');
    assert.ok([1, 3].includes(r.code ?? -1), `exit ${r.code}`);
    assert.deepEqual(report.meta.addon.faults, ['SKIP_RELEASE_FLAG_CHECK']);
    assert.match(report.meta.addon.flags, /FAULT=SKIP_RELEASE_FLAG_CHECK/);
    const failed = failedGateNames(report);
    assert.ok(failed.includes('server.anomalies.doubleRelease == 0'), `failed gates: ${failed.join(', ')}`);
  });

  test('RELEASE_WITH_PENDING_SEND (release while a send is in flight) is caught, and its zombies are named', opts, async () => {
    const bin = await buildLanserver('release', 'RELEASE_WITH_PENDING_SEND');
    const r = await runCli(['--server-bin', bin, ...LOAD, ...CHAOS, '--out', tempDir()], RUN_TIMEOUT_MS);
    const report = reportOf(r);
    assert.notEqual(r.code, 0, 'the fault build must fail the run');
    assert.deepEqual(report.meta.addon.faults, ['RELEASE_WITH_PENDING_SEND']);
    const failed = failedGateNames(report);
    assert.ok(failed.some((g) => ANOMALY_GATES.includes(g)), `an anomaly gate fails; failed: ${failed.join(', ')}`);
    // A session the fault left unreleasable must be named, not only counted.
    const quiet = report.server.quiet ?? null;
    if (quiet !== null && quiet.disconnectingSessions > 0) {
      const zombies = quiet.zombies ?? [];
      assert.ok(zombies.length > 0, 'zombies listed when sessions stay disconnecting');
      for (const z of zombies) {
        assert.match(z.id, /^\d+$/);
        assert.ok(z.ioCount > 0 && z.disconnecting, JSON.stringify(z));
      }
    }
  });

  test('LEAK_SEND_QUEUE under ASan: LeakSanitizer at exit fails the server.sanitizer gate and the report keeps its lines', opts, async () => {
    const bin = await buildLanserver('asan', 'LEAK_SEND_QUEUE');
    // RST in the middle of 8 packets in flight: sessions are released with echoes still queued.
    const load = ['--chaos', '0.5', '--chaos-actions', 'rstMidBurst', '--pipeline', '8', '--payload', '16-1024'];
    const r = await runCli(['--server-bin', bin, ...LOAD, ...load, '--out', tempDir()], RUN_TIMEOUT_MS);
    const report = reportOf(r);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(report.meta.addon.buildType, 'asan');
    assert.ok(failedGateNames(report).includes('server.sanitizer == 0'));
    const s = report.server.sanitizer;
    assert.ok(s !== undefined && s.count > 0);
    assert.equal(s.reports[0]!.kind, 'LeakSanitizer');
    assert.match(s.reports[0]!.lines[0]!, /ERROR: LeakSanitizer/);
    assert.ok(s.reports[0]!.lines.some((l) => /Packet/.test(l)), `the leak's stack names the packet: ${s.reports[0]!.lines.join('\n')}`);
  });
});
