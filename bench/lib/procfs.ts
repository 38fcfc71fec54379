/**
 * What the benches read about a process from /proc: CPU time of all its threads and its
 * resident memory. Read by the harness (not by the process itself) so every server,
 * whatever its language, is measured the same way.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clkTck: number | null = null;

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export function clockTicks(): number {
  if (clkTck === null) {
    const value = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
    clkTck = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return clkTck;
}

/** utime + stime of pid summed over its threads, in seconds (fields 14 and 15, counted after the comm's ')'). */
export function parseStatCpuSec(statText: string, ticks: number): number {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat line: ${statText.slice(0, 80)}`);
  return (utime + stime) / ticks;
}

export function processCpuSec(pid: number): number {
  return parseStatCpuSec(readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicks());
}

export interface MemoryKb {
  /** VmRSS: resident now. */
  rssKb: number;
  /** VmHWM: the resident peak over the process's life. */
  hwmKb: number;
}

export function parseStatusMemory(statusText: string): MemoryKb {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(statusText);
    if (m === null) throw new Error(`/proc status has no ${name} line`);
    return Number(m[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

export function processMemory(pid: number): MemoryKb {
  return parseStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/**
 * Samples a process's CPU time every `intervalMs` while it runs, with the wall clock of each
 * sample: for a process that cannot mark its own measured window (the stress CLI), the
 * window's CPU is then read off this series afterwards.
 */
export class CpuSampler {
  readonly samples: Array<{ atMs: number; cpuSec: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      this.samples.push({ atMs: Date.now(), cpuSec: processCpuSec(this.pid) });
    } catch {
      // the process has exited: the samples so far are all there is
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU seconds at wall time atMs, interpolated between the samples either side; null outside them. */
  cpuAt(atMs: number): number | null {
    const s = this.samples;
    for (let i = 1; i < s.length; i++) {
      const a = s[i - 1]!;
      const b = s[i]!;
      if (atMs >= a.atMs && atMs <= b.atMs) {
        const f = b.atMs === a.atMs ? 0 : (atMs - a.atMs) / (b.atMs - a.atMs);
        return a.cpuSec + f * (b.cpuSec - a.cpuSec);
      }
    }
    return null;
  }
}
