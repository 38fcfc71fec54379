/**
 * The embedded server's resident memory, read from /proc/<pid>/status (VmRSS) while it runs:
 * what shows that a slow reader cannot make the server hold memory without bound. null where
 * /proc is absent (not Linux) or the process is gone.
 */
import { readFileSync } from 'node:fs';

export function readRssKiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** The first reading (right after listening) and the peak of every reading since. */
export class RssTracker {
  private first: number | null = null;
  private peak = 0;

  constructor(private readonly pid: number) {}

  sample(): void {
    const kib = readRssKiB(this.pid);
    if (kib === null) return;
    if (this.first === null) this.first = kib;
    if (kib > this.peak) this.peak = kib;
  }

  result(): { rssAtListenKiB: number; peakRssKiB: number } | null {
    return this.first === null ? null : { rssAtListenKiB: this.first, peakRssKiB: this.peak };
  }
}
