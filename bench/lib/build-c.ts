/**
 * Builds the bench's C programs (bench/c/*.c) into bench/out/ with the system compiler, once
 * per source change. Built by the harness rather than by npm install so a machine without a
 * compiler still installs; the benches then say plainly that they need one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';

export const C_PROGRAMS = ['echo-server', 'load-client'] as const;
export type CProgram = (typeof C_PROGRAMS)[number];

export function benchOutDir(): string {
  return path.join(packageRoot(), 'bench', 'out');
}

/** The compiler's version line, or null when there is no cc/gcc to run. */
export function compilerVersion(): string | null {
  for (const cc of ['cc', 'gcc']) {
    try {
      return execFileSync(cc, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n')[0]!.trim();
    } catch {
      // try the next name
    }
  }
  return null;
}

/** Compiles one program if its binary is missing or older than its source; returns the binary's path. */
export function buildCProgram(name: CProgram): string {
  const source = path.join(packageRoot(), 'bench', 'c', `${name}.c`);
  const binary = path.join(benchOutDir(), name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(benchOutDir(), { recursive: true });
  try {
    execFileSync('cc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building ${name} from ${source} failed (cc -O2 -Wall -Wextra):\n${stderr || String(err)}`);
  }
  return binary;
}

export function buildAllC(): Record<CProgram, string> {
  return { 'echo-server': buildCProgram('echo-server'), 'load-client': buildCProgram('load-client') };
}
