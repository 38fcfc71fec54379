/** The native toolchain: whether it is here, and building standalone lanserver flavors (with faults). */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './paths';

const BUILD_TIMEOUT_MS = 5 * 60_000;

/** Why the native toolchain tests cannot run here, or false. */
export function toolchainMissing(): string | false {
  for (const tool of ['make', 'g++']) {
    const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (r.error !== undefined || r.status !== 0) return `${tool} is not installed: cannot build the native code`;
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
