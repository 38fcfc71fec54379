/**
 * Counting a server's system calls over exactly the client's measured window.
 *
 * perf (preferred): `perf stat -e raw_syscalls:sys_enter -p PID` attaches to every thread
 * with its counter disabled, and the window's edges enable and disable it through perf's
 * control fifo, so attaching (tens of ms) falls outside the window. A tracepoint counter
 * costs the server little. strace (fallback): `strace -f -c -p PID` attached at the window's
 * start and detached at its end; it stops the server at every call, so the pass is short and
 * only its count is used. Neither installed: the figure is null with the reason.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep } from './processes';

export type SyscallTool = 'perf' | 'strace';

export interface SyscallToolChoice {
  tool: SyscallTool | null;
  /** why there is no tool, or what the chosen one is */
  note: string;
}

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** perf when it can count the syscall tracepoint here (needs root or a permissive perf_event_paranoid), else strace. */
export function chooseSyscallTool(): SyscallToolChoice {
  if (works('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '--', 'true'])) {
    return { tool: 'perf', note: 'perf stat -e raw_syscalls:sys_enter -p PID, enabled for the window only' };
  }
  if (works('strace', ['-V'])) return { tool: 'strace', note: 'strace -f -c -p PID over the window (perf unavailable)' };
  return { tool: null, note: 'neither perf (with raw_syscalls tracepoints) nor strace is available: install strace (apt-get install strace)' };
}

export interface SyscallCounter {
  /** call at the window's start */
  begin(): Promise<void>;
  /** call at the window's end: the calls counted in between */
  end(): Promise<number>;
  /** tidy up when the pass failed half-way */
  abandon(): void;
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function perfCounter(pid: number): SyscallCounter {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-perf-'));
  const ctl = path.join(dir, 'ctl');
  const ack = path.join(dir, 'ack');
  const out = path.join(dir, 'out');
  execFileSync('mkfifo', [ctl, ack]);
  const child = spawn('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '-o', out, '-p', String(pid), '--delay=-1', '--control', `fifo:${ctl},${ack}`], {
    stdio: 'ignore',
  });
  // Non-blocking opens and reads, retried: a perf that failed to start must not hang the bench.
  let ctlFd = -1;
  let ackFd = -1;
  const command = async (text: string): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (ctlFd < 0) {
      try {
        ctlFd = openSync(ctl, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('perf stat did not open its control fifo');
        await sleep(20);
      }
    }
    if (ackFd < 0) ackFd = openSync(ack, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    writeSync(ctlFd, `${text}\n`);
    const buf = Buffer.alloc(16);
    for (;;) {
      let n = 0;
      try {
        n = readSync(ackFd, buf);
      } catch {
        n = 0; // EAGAIN: not answered yet
      }
      if (n > 0) return; // "ack": perf has applied the command
      if (Date.now() > deadline) throw new Error(`perf stat did not acknowledge '${text}'`);
      await sleep(2);
    }
  };
  const cleanup = (): void => {
    if (ctlFd >= 0) closeSync(ctlFd);
    if (ackFd >= 0) closeSync(ackFd);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    begin: () => command('enable'),
    end: async () => {
      await command('disable');
      child.kill('SIGINT');
      await exitOf(child);
      const text = readFileSync(out, 'utf8');
      cleanup();
      const line = text.split('\n').find((l) => l.includes(',raw_syscalls:sys_enter'));
      const count = Number(line?.split(',')[0]);
      if (!Number.isFinite(count)) throw new Error(`perf counted nothing readable: ${text.trim().slice(0, 200)}`);
      return count;
    },
    abandon: () => {
      child.kill('SIGKILL');
      cleanup();
    },
  };
}

/** The calls column of strace -c's "total" line (% time, seconds, usecs/call, calls, [errors], total). */
export function parseStraceTotal(text: string): number {
  const line = text.split('\n').find((l) => /\btotal\s*$/.test(l));
  const calls = Number(line?.trim().split(/\s+/)[3]);
  if (!Number.isFinite(calls)) throw new Error(`strace -c printed no total line: ${text.trim().slice(-200)}`);
  return calls;
}

function straceCounter(pid: number): SyscallCounter {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-strace-'));
  const out = path.join(dir, 'out');
  let child: ChildProcess | null = null;
  return {
    begin: async () => {
      child = spawn('strace', ['-f', '-c', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
      await sleep(50); // attaching is not instantaneous; the loss is a few ms of a multi-second window
    },
    end: async () => {
      if (child === null) throw new Error('strace was never started');
      child.kill('SIGINT');
      await exitOf(child);
      const count = parseStraceTotal(readFileSync(out, 'utf8'));
      rmSync(dir, { recursive: true, force: true });
      return count;
    },
    abandon: () => {
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function syscallCounter(tool: SyscallTool, pid: number): SyscallCounter {
  return tool === 'perf' ? perfCounter(pid) : straceCounter(pid);
}
