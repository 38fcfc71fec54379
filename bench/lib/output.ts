/** Where a bench's results go: reports/bench-<kind>-<time>.json and a .md beside it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { gitState } from '../../stress/run/meta';
import { clockTicks } from './procfs';

/** 20261127-171553: sortable, and the same shape as the stress reports' names. */
export function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export interface MachineMeta {
  cores: number;
  cpuModel: string;
  kernel: string;
  node: string;
  clkTck: number;
  compiler: string | null;
  git: { commit: string | null; dirty: boolean | null };
}

export function machineMeta(compiler: string | null): MachineMeta {
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    kernel: os.release(),
    node: process.version,
    clkTck: clockTicks(),
    compiler,
    git: gitState(),
  };
}

/** Writes the JSON and the Markdown; returns both paths. */
export function writeResults(outDir: string, kind: 'server' | 'fleet', startedAt: Date, json: unknown, markdown: string): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, `bench-${kind}-${stamp(startedAt)}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  return { json: `${base}.json`, markdown: `${base}.md` };
}

/** The soft open-files limit of this process; children inherit it. */
export function openFilesLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
  } catch {
    return NaN;
  }
}
