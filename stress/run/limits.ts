/**
 * Open-file limits. Node has no setrlimit, so this process is raised with
 * util-linux `prlimit --pid`, and the embedded server child is started through
 * `sh -c 'ulimit -n N && exec "$@"'`, which raises its own soft limit before exec.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Descriptors beyond one a connection: stdio, worker threads' pipes, the addon's epoll/io_uring fds, listeners. */
export const FD_MARGIN = 512;

export interface NoFileLimit {
  soft: number;
  hard: number;
}

/** Parses the "Max open files" row of /proc/<pid>/limits; 'unlimited' becomes Infinity. */
export function parseNoFile(limitsText: string): NoFileLimit | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (m === null) return null;
  const num = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(m[1]!), hard: num(m[2]!) };
}

export function readNoFile(pid: number | 'self' = 'self'): NoFileLimit | null {
  try {
    return parseNoFile(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  } catch {
    return null;
  }
}

export function descriptorsNeeded(clients: number): number {
  return clients + FD_MARGIN;
}

export function raiseAdvice(needed: number): string {
  return (
    `raise the hard limit to at least ${needed}: run \`ulimit -n ${needed}\` in a shell allowed to, ` +
    `or add "* hard nofile ${needed}" to /etc/security/limits.conf and log in again`
  );
}

export type RaiseResult =
  | { ok: true; soft: number; raised: boolean }
  | { ok: false; message: string };

/**
 * Makes this process's soft limit at least `needed`. Worker threads share the
 * process's descriptor table, so one raise covers the whole fleet.
 */
export function raiseOwnLimit(needed: number): RaiseResult {
  const limit = readNoFile();
  if (limit === null) return { ok: true, soft: needed, raised: false };
  if (limit.soft >= needed) return { ok: true, soft: limit.soft, raised: false };
  if (limit.hard < needed) {
    return { ok: false, message: `this run needs ${needed} open files but the hard limit is ${limit.hard}; ${raiseAdvice(needed)}` };
  }
  const hard = limit.hard === Infinity ? 'unlimited' : String(limit.hard);
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${needed}:${hard}`], { stdio: 'pipe' });
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ok: false,
      message:
        `this run needs ${needed} open files but the soft limit is ${limit.soft}` +
        (missing ? ' and `prlimit` (util-linux) is not installed' : ' and `prlimit` failed to raise it') +
        `; run \`ulimit -n ${needed}\` before stress`,
    };
  }
  const after = readNoFile();
  if (after === null || after.soft < needed) {
    return { ok: false, message: `prlimit did not raise the open-files limit to ${needed}; run \`ulimit -n ${needed}\` before stress` };
  }
  return { ok: true, soft: after.soft, raised: true };
}

/** Checks that a child can be given `needed` descriptors (it inherits our hard limit). */
export function childLimitProblem(needed: number): string | null {
  const limit = readNoFile();
  if (limit === null || limit.hard >= needed) return null;
  return `the embedded server needs ${needed} open files but the hard limit is ${limit.hard}; ${raiseAdvice(needed)}`;
}
