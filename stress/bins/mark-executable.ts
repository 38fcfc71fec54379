// Marks every command in package.json's "bin" executable after `tsc` has emitted it.
//
// Why: tsc writes new files 0644. npm sets the bit only when it links a bin, and `npx stress`
// reuses a link it made in an earlier run (its cache under ~/.npm/_npx is keyed by the
// project path), so a rebuilt dist/ behind an old link fails with "stress: Permission denied".
// package.json stays the one list of commands; this reads it rather than naming them again.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The bin targets package.json names, as paths under `root`. */
export function binTargets(root: string): string[] {
  const manifest: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const bin = (manifest as { bin?: unknown }).bin;
  if (typeof bin === 'string') return [join(root, bin)];
  if (bin === null || typeof bin !== 'object') return [];
  return Object.values(bin as Record<string, unknown>)
    .filter((target): target is string => typeof target === 'string')
    .map((target) => join(root, target));
}

/** Adds the execute bits wherever the read bits are, as `chmod +x` does under a 022 umask. */
export function markExecutable(root: string): string[] {
  const targets = binTargets(root);
  for (const target of targets) {
    const mode = statSync(target).mode & 0o777;
    chmodSync(target, mode | ((mode & 0o444) >> 2));
  }
  return targets;
}

if (require.main === module) {
  markExecutable(resolve(__dirname, '..', '..', '..'));
}
