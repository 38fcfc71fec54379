/**
 * Writes a report where a person can find and sort it:
 * <out>/YYYYMMDD-HHMMSS_<scenario>[-<backend>]_<shortcommit>.json (UTC time), atomically:
 * a temp file in the same directory, fsynced, then renamed over, so a reader
 * never sees half a report and a crash leaves no partial file under the real name.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { RunReport } from './types';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Pure: the file name for a report started at `startedAt`. */
export function reportFileName(startedAt: Date, scenario: string, commit: string | null, attempt = 0): string {
  const d = startedAt;
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const safeScenario = scenario.replace(/[^A-Za-z0-9._-]/g, '_');
  const short = commit === null ? 'nogit' : commit.slice(0, 7);
  return `${stamp}_${safeScenario}_${short}${attempt > 0 ? `-${attempt + 1}` : ''}.json`;
}

/** Writes `text` to `file` atomically; refuses to replace an existing file (two runs in one second keep both). */
function writeNew(dir: string, file: string, text: string): boolean {
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // link() fails with EEXIST instead of overwriting, unlike rename(): the name is ours alone.
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((err as NodeJS.ErrnoException).code === 'EPERM' || (err as NodeJS.ErrnoException).code === 'ENOTSUP') {
      renameSync(tmp, file);
      return true;
    }
    throw err;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed into place.
    }
  }
}

/** Returns the path written. `label` (the backend, when one command ran several) joins the scenario in the name. */
export function writeReport(report: RunReport, outDir: string, label: string | null = null): string {
  mkdirSync(outDir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const started = new Date(report.meta.startedAt);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const file = path.join(outDir, reportFileName(started, label === null ? report.scenario.name : `${report.scenario.name}-${label}`, report.meta.git.commit, attempt));
    if (writeNew(outDir, file, text)) return file;
  }
  throw new Error(`could not find a free report name in ${outDir}`);
}
