/** Spawning the real compiled CLI, bounded in time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ADDON, CLI } from './paths';

export function addonMissing(): string | false {
  return existsSync(ADDON) ? false : `the native addon is not built (${ADDON}); run npm run build:native`;
}

export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CliRun {
  child: ChildProcess;
  result: Promise<CliResult>;
  /** Resolves with the first stderr match of `re`. */
  waitStderr(re: RegExp): Promise<RegExpMatchArray>;
}

export function startCli(args: string[], timeoutMs: number): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...watchers]) {
      const m = stderr.match(w.re);
      if (m !== null) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const result = new Promise<CliResult>((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return {
    child,
    result,
    waitStderr: (re) =>
      new Promise((resolve, reject) => {
        const m = stderr.match(re);
        if (m !== null) return resolve(m);
        watchers.push({ re, resolve });
        void result.then(() => reject(new Error(`exited before stderr matched ${re}: ${stderr}`)));
      }),
  };
}

export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return startCli(args, timeoutMs).result;
}
