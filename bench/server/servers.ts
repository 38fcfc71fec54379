/**
 * The servers `npm run bench:server` compares: the shipped lanserver (standalone binary, raw
 * framing, 2 workers) on each backend, and the two references built from bench/. With
 * --lanserver-bin LABEL=PATH, other lanserver builds run beside them as `lanserver-<backend>@LABEL`
 * rows (same flags, same load, same alternation), so two builds are compared within one run.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';
import { benchOutDir } from '../lib/build-c';
import { UsageError } from '../lib/args';

export const SERVER_NAMES = ['lanserver-epoll', 'lanserver-io_uring', 'c-epoll', 'node-pipe'] as const;
/** A row this tree knows how to run by itself. */
export type BaseServerName = (typeof SERVER_NAMES)[number];
export type LanserverName = Extract<BaseServerName, `lanserver-${string}`>;
/** A base row, or a lanserver row run from another build: `lanserver-epoll@main`. */
export type ServerName = BaseServerName | `${LanserverName}@${string}`;

/** The reference every ratio is taken against. */
export const REFERENCE: BaseServerName = 'c-epoll';

export interface ServerDef {
  name: ServerName;
  command: string;
  args: string[];
}

/** The row kind a name stands for: `lanserver-epoll@main` is a `lanserver-epoll`. */
export function baseName(name: ServerName): BaseServerName {
  const at = name.indexOf('@');
  return (at === -1 ? name : name.slice(0, at)) as BaseServerName;
}

export function isLanserver(name: ServerName): boolean {
  return baseName(name).startsWith('lanserver-');
}

/** One --lanserver-bin item: another lanserver build and the label its rows carry. */
export interface LanserverBin {
  label: string;
  path: string;
}

const LABEL = /^[A-Za-z0-9._-]+$/;

/**
 * Reads --lanserver-bin's LABEL=PATH items; every problem is a UsageError naming the flag. A
 * label is what the rows and the snapshot's file name carry, so it is kept to [A-Za-z0-9._-].
 */
export function parseLanserverBins(items: readonly string[]): LanserverBin[] {
  const problems: string[] = [];
  const bins: LanserverBin[] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    const label = eq === -1 ? '' : item.slice(0, eq);
    const file = eq === -1 ? '' : item.slice(eq + 1);
    if (eq === -1 || file === '') {
      problems.push(`--lanserver-bin: '${item}' is not LABEL=PATH`);
      continue;
    }
    if (!LABEL.test(label)) {
      problems.push(`--lanserver-bin: label '${label}' must be letters, digits, '.', '_' or '-'`);
      continue;
    }
    if (bins.some((b) => b.label === label)) {
      problems.push(`--lanserver-bin: label '${label}' given twice`);
      continue;
    }
    const resolved = path.resolve(file);
    try {
      accessSync(resolved, constants.X_OK);
      if (!statSync(resolved).isFile()) throw new Error('not a file');
    } catch {
      problems.push(`--lanserver-bin: ${label}=${file} is not an executable file`);
      continue;
    }
    bins.push({ label, path: resolved });
  }
  if (problems.length > 0) throw new UsageError(problems);
  return bins;
}

/**
 * The rows of a run: the chosen base rows in their order, each lanserver row followed by the
 * same backend from every other build. Another build with no lanserver row chosen is a usage
 * error: it would add nothing to the run.
 */
export function expandRows(only: readonly BaseServerName[], bins: readonly LanserverBin[]): ServerName[] {
  if (bins.length > 0 && !only.some((s) => isLanserver(s))) {
    throw new UsageError([`--lanserver-bin: --only chooses no lanserver row (${only.join(', ')}) for ${bins.map((b) => b.label).join(', ')} to run beside`]);
  }
  return only.flatMap((s): ServerName[] => (isLanserver(s) ? [s, ...bins.map((b): ServerName => `${s as LanserverName}@${b.label}`)] : [s]));
}

/** Sessions lanserver is started with: its RSS at start is reported for this table size (the 10000). */
export const LANSERVER_MAX_SESSIONS = 10_000;

export function lanserverPath(): string {
  return path.join(packageRoot(), 'addon', 'out', 'release', 'lanserver');
}

export interface LanserverSnapshot {
  binary: string;
  buildInfo: string;
  source: string;
  builtAt: string;
}

/**
 * Copies a lanserver (this checkout's release build unless told) into bench/out/ for the run:
 * servers are rebuilt while benches run, and one run must measure one binary throughout.
 * `label` names another build's copy apart from this tree's.
 */
export function snapshotLanserver(source = lanserverPath(), label: string | null = null): LanserverSnapshot {
  if (!existsSync(source)) throw new Error(`${source} is missing: build it with make -C addon -j 2`);
  mkdirSync(benchOutDir(), { recursive: true });
  const binary = path.join(benchOutDir(), label === null ? 'lanserver-bench' : `lanserver-bench@${label}`);
  copyFileSync(source, binary);
  let buildInfo = 'unknown';
  try {
    buildInfo = execFileSync(binary, ['--build-info'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    // an older binary without --build-info: still measurable
  }
  return { binary, buildInfo, source, builtAt: statSync(source).mtime.toISOString() };
}

/**
 * How to start each row. `lanserver` is this tree's snapshot; `others` maps a label to another
 * build's snapshot, run with exactly the same flags.
 */
export function serverDef(name: ServerName, lanserver: string, cEchoServer: string, others: ReadonlyMap<string, string>): ServerDef {
  const lan = (backend: string): string[] => [
    '--framing', 'raw', '--workers', '2', '--backend', backend, '--host', '127.0.0.1', '--port', '0',
    '--max-sessions', String(LANSERVER_MAX_SESSIONS),
  ];
  const base = baseName(name);
  switch (base) {
    case 'lanserver-epoll':
    case 'lanserver-io_uring': {
      const label = name === base ? null : name.slice(base.length + 1);
      const command = label === null ? lanserver : others.get(label);
      if (command === undefined) throw new Error(`${name}: no lanserver build labelled ${label}`);
      return { name, command, args: lan(base.slice('lanserver-'.length)) };
    }
    case 'c-epoll':
      return { name, command: cEchoServer, args: ['--port', '0'] };
    case 'node-pipe':
      return { name, command: process.execPath, args: [path.join(packageRoot(), 'dist', 'bench', 'node-pipe-server.js')] };
  }
}
