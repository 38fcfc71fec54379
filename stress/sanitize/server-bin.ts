/**
 * `stress run --server-bin PATH`: a native standalone `lanserver` (release,
 * asan or tsan, maybe with a fault compiled in) as the embedded server.
 * It takes the same server flags as `stress server` and prints the same JSON
 * lines without being asked (no --stats-json), and its stderr carries the
 * sanitizer reports (stress/sanitize/scan.ts).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** What the standalone's `listening` line says about its build, plus where it lives. */
export interface ServerBinBuild {
  binary: string;
  /** release | asan | tsan, or 'unknown' for a binary that does not say. */
  build: string;
  /** Fault switches compiled in (addon/Makefile FAULT=). */
  faults: string[];
}

/** How long a real lanserver takes to print its build (it opens no socket for --build-info). */
const BUILD_INFO_TIMEOUT_MS = 10_000;

/**
 * Why PATH cannot be the server, or null: it must be an executable file that answers
 * `--build-info` with its build, as every lanserver does; anything else would start, fail and
 * read as a server crash (exit 3) after the load began.
 */
export function serverBinProblem(file: string): string | null {
  if (!existsSync(file)) return 'no such file (build one with `make -C addon [FLAVOR=asan|tsan] [FAULT=...]`)';
  if (!statSync(file).isFile()) return 'is not a file';
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return buildInfoProblem([path.resolve(file)], BUILD_INFO_TIMEOUT_MS);
}

/**
 * `stress run --server-cmd 'LAUNCHER ARGS... LANSERVER'`: the words of the command line, split
 * on white space; a word may be quoted ('...' or "...") to hold spaces. No other shell syntax.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/** A Wine prefix created on first use takes seconds; later starts take about one. */
const LAUNCHER_BUILD_INFO_TIMEOUT_MS = 60_000;

/**
 * Why the command line cannot be the server, or null: it is run with `--build-info` appended
 * (through its launcher, e.g. `wine lanserver.exe --build-info`) and must print the build.
 */
export function serverCmdProblem(text: string): string | null {
  const words = splitCommand(text);
  if (words.length === 0) return 'is empty (give a command line, e.g. \'wine addon/out/windows-release/lanserver.exe\')';
  return buildInfoProblem(words, LAUNCHER_BUILD_INFO_TIMEOUT_MS);
}

/** Runs argv + --build-info; null when it printed a lanserver's build. */
function buildInfoProblem(argv: string[], timeoutMs: number): string | null {
  const [cmd, ...args] = argv as [string, ...string[]];
  const r = spawnSync(cmd, [...args, '--build-info'], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  const notOurs = 'is not a lanserver (`--build-info` must print {"build": ...})';
  if (r.error !== undefined) return `${notOurs}: ${r.error.message}`;
  try {
    const info: unknown = JSON.parse(r.stdout.trim().split('\n')[0] ?? '');
    if (r.status === 0 && typeof info === 'object' && info !== null && typeof (info as { build?: unknown }).build === 'string') return null;
  } catch {
    // not JSON: not ours
  }
  return `${notOurs}; it exited ${r.status ?? r.signal} printing ${JSON.stringify(r.stdout.slice(0, 80))}`;
}

/** `stress server` flags minus the ones only `stress server` knows. */
export function standaloneArgs(serverArgs: readonly string[]): string[] {
  return serverArgs.filter((a) => a !== '--stats-json');
}

function tsanSuppressions(): string | null {
  // dist/stress/sanitize -> repo root; the file is optional (no false positive known: none needed).
  const file = path.resolve(__dirname, '..', '..', '..', 'addon', 'tsan.supp');
  return existsSync(file) ? file : null;
}

/**
 * Sanitizer options for the child. The user's own *_OPTIONS come last, so they win
 * (the runtimes read options left to right).
 *  - ASan: detect_leaks=1 so LSan runs when the server exits on SIGTERM; an ASan
 *    error aborts (our builds do not use -fsanitize-recover=address), which the
 *    run sees as a crash (exit 3) with the report in the server's stderr.
 *  - UBSan: print_stacktrace=1; our asan flavor builds with -fno-sanitize-recover,
 *    so the first undefined behaviour stops the server like an ASan error.
 *  - TSan: halt_on_error=0: a race is reported and the server keeps serving, so
 *    one run lists every race it meets (not just the first) and the fleet's own
 *    checks still run; the process exits 66 at the end, and the
 *    `server.sanitizer == 0` gate fails on the first report line either way.
 */
export function sanitizerEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merge = (ours: string, theirs: string | undefined): string => (theirs === undefined || theirs === '' ? ours : `${ours}:${theirs}`);
  const supp = tsanSuppressions();
  return {
    ...base,
    ASAN_OPTIONS: merge('detect_leaks=1:halt_on_error=1:abort_on_error=0:print_summary=1', base.ASAN_OPTIONS),
    UBSAN_OPTIONS: merge('print_stacktrace=1:halt_on_error=1', base.UBSAN_OPTIONS),
    TSAN_OPTIONS: merge(`halt_on_error=0:second_deadlock_stack=1${supp === null ? '' : `:suppressions=${supp}`}`, base.TSAN_OPTIONS),
    LSAN_OPTIONS: merge('print_suppressions=0', base.LSAN_OPTIONS),
  };
}
