/** What a report records about the build and machine that produced it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAddon, packageRoot } from '../../server/addon';
import type { BuildMeta } from '../report/types';

export function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    return null;
  }
}

/** commit null (and dirty null) when this is not a git checkout or git is absent. */
export function gitState(): BuildMeta['git'] {
  const commit = git(['rev-parse', 'HEAD']);
  if (commit === null) return { commit: null, dirty: null };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === null ? null : status !== '' };
}

/** The addon's own description of its build; 'unknown' when it is not built or does not load. */
export function addonBuild(): { buildType: string; flags: string } {
  try {
    return loadAddon().buildInfo();
  } catch {
    return { buildType: 'unknown', flags: '' };
  }
}

export function buildMeta(seed: number, backend: string | null): BuildMeta {
  const cpus = os.cpus();
  return {
    tool: { name: 'lanstress', version: toolVersion() },
    git: gitState(),
    addon: { ...addonBuild(), backend },
    node: process.version,
    os: { platform: process.platform, release: os.release(), arch: process.arch },
    cpu: { model: cpus[0]?.model ?? 'unknown', cores: os.availableParallelism() },
    seed,
  };
}
