/** Building standalone lanserver flavors (with faults) for the sanitizer tests, and reading run reports. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunReport } from '../../stress/report/types';
import type { CliResult } from '../stress/helpers';

/** dist/test/sanitizers -> repo root */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUILD_TIMEOUT_MS = 5 * 60_000;

/** Why the native toolchain tests cannot run here, or false. */
export function toolchainMissing(): string | false {
  for (const tool of ['make', 'g++']) {
    const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (r.error !== undefined || r.status !== 0) return `${tool} is not installed: cannot build the standalone lanserver`;
  }
  return false;
}

/** `make -C addon FLAVOR=... FAULT=... -j 2`; resolves the binary's path, rejects with make's output on failure. */
export function buildLanserver(flavor: 'release' | 'asan' | 'tsan', fault: string | null): Promise<string> {
  const args = ['-C', path.join(ROOT, 'addon'), `FLAVOR=${flavor}`, '-j', '2', ...(fault === null ? [] : [`FAULT=${fault}`])];
  return new Promise((resolve, reject) => {
    const child = spawn('make', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`make ${args.join(' ')} failed (exit ${code}):\n${out.slice(-4000)}`));
      resolve(path.join(ROOT, 'addon', 'out', `${flavor}${fault === null ? '' : `-fault-${fault}`}`, 'lanserver'));
    });
  });
}

/** The report a `--json` run wrote. */
export function reportOf(r: CliResult): RunReport {
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  assertDefined(line, `no JSON line on stdout (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const { report } = JSON.parse(line) as { report: string };
  return JSON.parse(readFileSync(report, 'utf8')) as RunReport;
}

export function failedGateNames(report: RunReport): string[] {
  return report.gates.filter((g) => !g.unknown && !g.pass).map((g) => g.name);
}

function assertDefined<T>(v: T | undefined, message: string): asserts v is T {
  if (v === undefined) throw new Error(message);
}
