/**
 * Every path a command will write to or run, checked before any load starts: a run that fails
 * only after its minutes of load (an unwritable --junit, an --out under /proc where Node's
 * recursive mkdir never returns, a --server-bin that is not a lanserver) wastes the run and may
 * leave half a file. Each check returns the problem in words, or null. Not pure: reads the file
 * system. (--server-bin is checked by stress/sanitize/server-bin.ts.)
 */
import { accessSync, constants, realpathSync, statfsSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';

/** File systems that hold no files of ours (statfs f_type magic numbers, linux/magic.h). */
const SPECIAL_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
]);

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** The nearest path at or above p that exists (the file system root at worst). */
function nearestExisting(p: string): string {
  let at = path.resolve(p);
  while (statOrNull(at) === null) {
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  return at;
}

/** "on the proc file system" when p lies on one of SPECIAL_FS, else null. */
function specialFs(existing: string): string | null {
  let real = existing;
  try {
    real = realpathSync(existing);
    const type = SPECIAL_FS.get(Number(statfsSync(real).type));
    if (type !== undefined) return `is on the ${type} file system, which holds no reports`;
  } catch {
    // statfs missing or refused: fall back to the path's look.
  }
  return /^\/(proc|sys)(\/|$)/.test(real) ? `is under ${real.split('/')[1] === 'proc' ? '/proc' : '/sys'}, which holds no reports` : null;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A directory the command will create if needed and write files into (--out). */
export function outputDirProblem(dir: string): string | null {
  if (dir.trim() === '') return 'needs a directory name';
  const existing = nearestExisting(dir);
  const special = specialFs(existing);
  if (special !== null) return special;
  const st = statOrNull(existing);
  const resolved = path.resolve(dir);
  if (st !== null && !st.isDirectory()) {
    return existing === resolved ? 'names a file, not a directory' : `cannot be created: ${existing} is a file, not a directory`;
  }
  if (!writable(existing)) return existing === resolved ? 'is a directory this user cannot write to' : `cannot be created: ${existing} is not writable`;
  return null;
}

/** A file the command will write (--junit, --markdown, --html): its directory is created if needed. */
export function outputFileProblem(file: string): string | null {
  if (file.trim() === '') return 'needs a file name';
  const st = statOrNull(file);
  if (st !== null) {
    if (st.isDirectory()) return 'is a directory: give a file name';
    // /dev/null and /dev/stdout are written as they are; nothing else but a regular file.
    if (st.isCharacterDevice()) return null;
    if (!st.isFile()) return 'is not a regular file';
    const special = specialFs(path.resolve(file));
    if (special !== null) return special;
    try {
      accessSync(file, constants.W_OK);
    } catch {
      return 'is a file this user cannot write to';
    }
  }
  const dirProblem = outputDirProblem(path.dirname(path.resolve(file)));
  return dirProblem === null ? null : `its directory ${dirProblem}`;
}

/** One problem per flag: `--junit "/proc/x.xml": its directory is on the proc file system ...`. */
export function pathProblems(checks: ReadonlyArray<readonly [flag: string, value: string | null | undefined, check: (v: string) => string | null]>): string[] {
  const out: string[] = [];
  for (const [flag, value, check] of checks) {
    if (value === null || value === undefined) continue;
    const why = check(value);
    if (why !== null) out.push(`--${flag} ${JSON.stringify(value)}: ${why}`);
  }
  return out;
}
