/**
 * The fault matrix: the one CI gate command the README recommends (scenarios/ci-gate.ts) fails on
 * every deliberate fault of addon/src/core/faults.h and passes on the clean build.
 *
 * Each fault is a standalone lanserver built with that one line broken (make FAULT=NAME), run as the
 * embedded server (--server-bin) on the backend the fault lives in (a fault of the shared core on the
 * backend `auto` picks; an epoll or io_uring fault on that backend: the command itself runs every
 * backend, so failing on one is failing the command). The clean build runs the command as it is, on
 * every backend. The table of what caught each fault is printed at the end.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CI_GATE_ARGS, CI_GATE_COMMAND } from '../../scenarios/ci-gate';
import type { RunReport } from '../../stress/report/types';
import { runCli, type CliResult } from '../support/cli';
import { ROOT } from '../support/paths';
import { failedGateNames, reportsOf } from '../support/reports';
import { tempDir } from '../support/temp';
import { buildLanserver, toolchainMissing } from '../support/toolchain';
import { readFaults, type Fault } from '../support/faults';
import { loadAddon } from '../../server/addon';

const RUN_TIMEOUT_MS = 150_000;
const skip = toolchainMissing();
const available: string[] = skip === false ? loadAddon().availableBackends() : [];

interface Row {
  fault: string;
  backend: string;
  breaks: string;
  exit: number | null;
  caughtBy: string[];
}
const rows: Row[] = [];

/** The gates any of the runs (one per backend) failed, each named once. */
function failedGates(reports: RunReport[]): string[] {
  return [...new Set(reports.flatMap(failedGateNames))];
}

function backendFor(fault: Fault): string {
  return fault.backend === 'any' ? 'auto' : fault.backend;
}

function unavailable(fault: Fault): string | false {
  if (skip !== false) return skip;
  if (fault.backend !== 'any' && !available.includes(fault.backend)) return `${fault.backend} is not available on this kernel`;
  return false;
}

function gateRun(bin: string, extra: string[]): Promise<CliResult> {
  return runCli([...CI_GATE_ARGS, '--server-bin', bin, ...extra, '--json', '--out', tempDir()], RUN_TIMEOUT_MS);
}

describe(`fault matrix: ${CI_GATE_COMMAND}`, () => {
  test('README.md and .ci/run recommend exactly this gate command', () => {
    for (const file of ['README.md', path.join('.ci', 'run')]) {
      assert.ok(readFileSync(path.join(ROOT, file), 'utf8').includes(CI_GATE_COMMAND), `${file} does not contain '${CI_GATE_COMMAND}'`);
    }
  });

  test('the clean build passes it on every backend', { skip, timeout: 2 * RUN_TIMEOUT_MS }, async () => {
    const bin = await buildLanserver('release', null);
    const r = await gateRun(bin, []);
    const reports = reportsOf(r);
    assert.deepEqual(failedGates(reports), [], r.stderr.slice(-3000));
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(reports.map((rep) => rep.meta.addon.backend).sort(), [...available].sort(), 'one report per backend');
  });

  for (const fault of readFaults()) {
    test(`${fault.name} (${fault.backend}): ${fault.breaks}`, { skip: unavailable(fault), timeout: RUN_TIMEOUT_MS + 120_000 }, async () => {
      const bin = await buildLanserver('release', fault.name);
      const r = await gateRun(bin, ['--backend', backendFor(fault)]);
      const reports = reportsOf(r);
      const caughtBy = r.code === 3 ? ['server.crashed', ...failedGates(reports)] : failedGates(reports);
      rows.push({ fault: fault.name, backend: reports[0]?.meta.addon.backend ?? backendFor(fault), breaks: fault.breaks, exit: r.code, caughtBy });
      assert.ok(r.code === 1 || r.code === 3, `${fault.name}: exit ${r.code}, the gate must fail (1) or see the crash (3)\n${r.stderr.slice(-3000)}`);
      assert.deepEqual(reports[0]?.meta.addon.faults, [fault.name]);
    });
  }

  after(() => {
    if (rows.length === 0) return;
    const lines = ['| fault | backend | what it breaks | exit | caught by |', '| --- | --- | --- | --- | --- |'];
    for (const r of rows) lines.push(`| ${r.fault} | ${r.backend} | ${r.breaks} | ${r.exit} | ${r.caughtBy.join(', ')} |`);
    console.log(`fault matrix (${rows.filter((r) => r.exit === 1 || r.exit === 3).length}/${rows.length} caught):\n${lines.join('\n')}`);
  });
});
