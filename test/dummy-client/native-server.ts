/**
 * The shipped native server in a child process (`stress server --stats-json`), for fleet tests.
 * A child rather than the addon in-process, so one server per test stays isolated and a server
 * that fails to stop cannot hang the test process.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { leaked, type ServerStats } from '../../server/types';
import { CLI } from '../support/paths';

export interface ServerChild {
  port: number;
  /** Waits (bounded) until sessions are 0 and nothing leaked; returns the last stats seen. */
  quiet(timeoutMs?: number): Promise<ServerStats>;
  /** SIGTERM, then SIGKILL if it has not exited within timeoutMs; true when it exited by itself. */
  stop(timeoutMs?: number): Promise<boolean>;
}

/** After chaos traffic: every session released, nothing leaked, and no frame the fleet sent was a protocol error. */
export async function assertCleanAfterChaos(server: ServerChild): Promise<void> {
  const s = await server.quiet();
  assert.equal(leaked(s), 0);
  assert.equal(s.sessions, 0);
  assert.equal(s.disconnects.protocol, 0, 'every frame chaos traffic sends is legal');
}

export function spawnServer(args: string[]): Promise<ServerChild> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'server', '--stats-json', '--port', '0', '--stats-interval-ms', '50', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let latest: ServerStats | null = null;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  return new Promise<ServerChild>((resolve, reject) => {
    let buffered = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('exit', (code) => reject(new Error(`stress server exited (code ${code}) before listening: ${stderr}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const msg = JSON.parse(line) as { event: string; port?: number } & ServerStats;
        if (msg.event === 'stats' || msg.event === 'final') latest = msg;
        if (msg.event === 'listening') {
          resolve({
            port: msg.port!,
            async quiet(timeoutMs = 5000) {
              const deadline = Date.now() + timeoutMs;
              for (;;) {
                const s = latest;
                if ((s !== null && s.sessions === 0 && leaked(s) === 0) || Date.now() > deadline) {
                  if (s === null) throw new Error('no stats line from the server');
                  return s;
                }
                await new Promise((r) => setTimeout(r, 50));
              }
            },
            async stop(timeoutMs = 5000) {
              if (child.exitCode !== null) return true;
              child.kill('SIGTERM');
              const timer = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
              const byItself = await Promise.race([exited.then(() => true), timer]);
              if (!byItself) {
                child.kill('SIGKILL');
                await exited;
              }
              return byItself;
            },
          });
        }
      }
    });
  });
}
