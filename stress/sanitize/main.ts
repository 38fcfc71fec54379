/**
 * `npm run sanitize`: builds the asan and tsan standalone lanserver (make -C addon,
 * -j 2), then runs chaos, broadcast and churn against each with --gate, on the
 * epoll backend and, where the kernel offers it, on io_uring. Exits 1
 * when any run fails (sanitizer report, integrity error, leak, anomaly, crash),
 * 2 on bad usage. Every child is bounded in time.
 *
 *   node dist/stress/sanitize/main.js [--build-only] [--no-build] [--flavors asan,tsan]
 *                                     [--clients 400] [--duration 8] [--seed N]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadAddon, packageRoot } from '../../server/addon';
import { SCENARIOS } from '../../scenarios';
import type { RunReport } from '../report/types';
import { FLAVORS, sanitizePlan, type Flavor, type SanitizeRun } from './plan';

/** A run's own bound on top of its duration: start, drain, quiet wait, stop, report. */
const RUN_SLACK_MS = 90_000;
const BUILD_TIMEOUT_MS = 10 * 60_000;

interface Args {
  build: boolean;
  run: boolean;
  flavors: Flavor[];
  clients: number;
  durationSec: number;
  seed: number | null;
}

function parseArgs(argv: string[]): { ok: true; args: Args } | { ok: false; errors: string[] } {
  const args: Args = { build: true, run: true, flavors: [...FLAVORS], clients: 400, durationSec: 8, seed: null };
  const errors: string[] = [];
  const intArg = (flag: string, v: string | undefined, min: number, max: number): number | null => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) {
      errors.push(`${flag} ${JSON.stringify(v ?? '')}: must be a whole number from ${min} to ${max}`);
      return null;
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--build-only') args.run = false;
    else if (a === '--no-build') args.build = false;
    else if (a === '--flavors') {
      const v = argv[++i] ?? '';
      const names = v.split(',').filter((s) => s !== '');
      const bad = names.filter((n) => !(FLAVORS as readonly string[]).includes(n));
      if (names.length === 0 || bad.length > 0) errors.push(`--flavors ${JSON.stringify(v)}: must be a comma list of ${FLAVORS.join(', ')}`);
      else args.flavors = names as Flavor[];
    } else if (a === '--clients') args.clients = intArg(a, argv[++i], 1, 5000) ?? args.clients;
    else if (a === '--duration') args.durationSec = intArg(a, argv[++i], 1, 600) ?? args.durationSec;
    else if (a === '--seed') args.seed = intArg(a, argv[++i], 0, 2 ** 32 - 1);
    else errors.push(`unknown argument ${JSON.stringify(a)}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, args };
}

/** Runs a child with inherited or captured output; resolves its exit code (null when killed on timeout). */
function run(cmd: string, argv: string[], opts: { cwd: string; timeoutMs: number; capture: boolean }): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd, stdio: ['ignore', opts.capture ? 'pipe' : 'inherit', 'inherit'] });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => {
      process.stderr.write(`sanitize: ${cmd} ${argv.join(' ')}: no exit after ${opts.timeoutMs} ms, killing it\n`);
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

/** epoll always; io_uring too when this kernel lets the (addon's) probe use it. */
function backends(): string[] {
  try {
    return loadAddon().availableBackends().includes('io_uring') ? ['epoll', 'io_uring'] : ['epoll'];
  } catch {
    return ['epoll'];
  }
}

function seconds(fromMs: number): string {
  return `${((Date.now() - fromMs) / 1000).toFixed(1)} s`;
}

function reportOf(stdout: string): RunReport | null {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) return null;
  try {
    const { report } = JSON.parse(line) as { report?: string };
    return report === undefined ? null : (JSON.parse(readFileSync(report, 'utf8')) as RunReport);
  } catch {
    return null;
  }
}

function describe(r: SanitizeRun, code: number | null, report: RunReport | null, took: string): string {
  const verdict = code === 0 ? 'pass' : code === null ? 'TIMEOUT' : `FAIL (exit ${code})`;
  const lines = [`sanitize: ${r.flavor} ${r.backend} ${r.scenario}: ${verdict} in ${took}`];
  if (report === null) return lines.join('\n');
  const failed = report.gates.filter((g) => !g.unknown && !g.pass).map((g) => `${g.name} (actual ${g.actual})`);
  if (failed.length > 0) lines.push(`  failed gates: ${failed.join(', ')}`);
  for (const rep of report.server.sanitizer?.reports.slice(0, 3) ?? []) lines.push(...rep.lines.slice(0, 12).map((l) => `  | ${l}`));
  const zombies = report.server.quiet?.zombies ?? [];
  if (zombies.length > 0) lines.push(`  zombies: ${zombies.map((z) => `${z.id} ioCount ${z.ioCount} ${z.reason ?? 'live'}`).join('; ')}`);
  if (report.server.crashed) lines.push(...report.server.stderrTail.slice(-10).map((l) => `  ! ${l}`));
  return lines.join('\n');
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`sanitize: ${e}\n`);
    return 2;
  }
  const a = parsed.args;
  const root = packageRoot();
  const started = Date.now();
  if (a.build) {
    for (const flavor of a.flavors) {
      const t = Date.now();
      const b = await run('make', ['-C', 'addon', `FLAVOR=${flavor}`, '-j', '2'], { cwd: root, timeoutMs: BUILD_TIMEOUT_MS, capture: false });
      if (b.code !== 0) {
        process.stderr.write(`sanitize: make FLAVOR=${flavor} failed (exit ${b.code})\n`);
        return 1;
      }
      process.stdout.write(`sanitize: built ${flavor} in ${seconds(t)}\n`);
    }
  }
  if (!a.run) return 0;
  const plan = sanitizePlan({
    flavors: a.flavors,
    backends: backends(),
    clients: a.clients,
    durationSec: a.durationSec,
    out: path.join(root, 'reports', 'sanitize'),
    known: SCENARIOS.map((s) => s.name),
    binary: (f) => path.join(root, 'addon', 'out', f, 'lanserver'),
    seed: a.seed,
  });
  const cli = path.join(root, 'dist', 'stress', 'cli.js');
  let failures = 0;
  for (const r of plan) {
    const t = Date.now();
    const res = await run(process.execPath, [cli, 'run', ...r.args], { cwd: root, timeoutMs: a.durationSec * 1000 + RUN_SLACK_MS, capture: true });
    if (res.code !== 0) failures++;
    process.stdout.write(`${describe(r, res.code, reportOf(res.stdout), seconds(t))}\n`);
  }
  process.stdout.write(`sanitize: ${plan.length - failures}/${plan.length} runs passed in ${seconds(started)}\n`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sanitize: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
