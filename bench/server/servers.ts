/**
 * The servers `npm run bench:server` compares: the shipped lanserver (standalone binary, raw
 * framing, 2 workers) on each backend, and the two references built from bench/.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../server/addon';
import { benchOutDir } from '../lib/build-c';

export const SERVER_NAMES = ['lanserver-epoll', 'lanserver-io_uring', 'c-epoll', 'node-pipe'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/** The reference every ratio is taken against. */
export const REFERENCE: ServerName = 'c-epoll';

export interface ServerDef {
  name: ServerName;
  command: string;
  args: string[];
}

/** Sessions lanserver is started with: its RSS at start is reported for this table size (the 10000). */
export const LANSERVER_MAX_SESSIONS = 10_000;

export function lanserverPath(): string {
  return path.join(packageRoot(), 'addon', 'out', 'release', 'lanserver');
}

/**
 * Copies the release lanserver into bench/out/ for the run: the server is rebuilt in this
 * checkout while benches run, and one run must measure one binary throughout.
 */
export function snapshotLanserver(): { binary: string; buildInfo: string; source: string; builtAt: string } {
  const source = lanserverPath();
  if (!existsSync(source)) throw new Error(`${source} is missing: build it with make -C addon -j 2`);
  mkdirSync(benchOutDir(), { recursive: true });
  const binary = path.join(benchOutDir(), 'lanserver-bench');
  copyFileSync(source, binary);
  let buildInfo = 'unknown';
  try {
    buildInfo = execFileSync(binary, ['--build-info'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    // an older binary without --build-info: still measurable
  }
  return { binary, buildInfo, source, builtAt: statSync(source).mtime.toISOString() };
}

export function serverDefs(lanserver: string, cEchoServer: string): Record<ServerName, ServerDef> {
  const lan = (backend: string): string[] => [
    '--framing', 'raw', '--workers', '2', '--backend', backend, '--host', '127.0.0.1', '--port', '0',
    '--max-sessions', String(LANSERVER_MAX_SESSIONS),
  ];
  return {
    'lanserver-epoll': { name: 'lanserver-epoll', command: lanserver, args: lan('epoll') },
    'lanserver-io_uring': { name: 'lanserver-io_uring', command: lanserver, args: lan('io_uring') },
    'c-epoll': { name: 'c-epoll', command: cEchoServer, args: ['--port', '0'] },
    'node-pipe': { name: 'node-pipe', command: process.execPath, args: [path.join(packageRoot(), 'dist', 'bench', 'node-pipe-server.js')] },
  };
}
