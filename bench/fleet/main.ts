/**
 * `npm run bench:fleet`: what the lanstress fleet costs per verified echo at a fixed offered
 * load (default 5000 connections × 10 msg/s, open loop: `stress --rate`), against the C echo
 * server from bench/c/, beside the C load client at the same load as a non-verifying yardstick.
 * The two alternate within each repeat. Writes reports/bench-fleet-<time>.json and .md.
 *
 *   node dist/bench/fleet/main.js [--repeats 3] [--duration 10] [--clients 5000] [--rate 10] [--out reports] [--quick]
 *                                 [--baseline DIR]
 *
 * --baseline DIR adds a third pass to each repeat: the fleet of another built checkout (DIR/dist/
 * stress/cli.js, e.g. a `git worktree` of an older commit), so a change to the fleet is measured
 * against what it replaces in one run, on the same machine state.
 */
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { FLEET_IO_CHOICES, type FleetIoChoice } from '../../dummy-client/types';
import { helpText, parseFlags, runMain, UsageError, type FlagSpec } from '../lib/args';
import { benchOutDir, buildAllC } from '../lib/build-c';
import { preflight } from '../lib/preflight';
import { machineMeta, writeResults } from '../lib/output';
import { startServer } from '../lib/processes';
import { fmt, fmtSpread, ratio, spreadOf, type Spread } from '../lib/stats';
import { measureCClient, measureStress, ownCli, stressArgs, type CClientPass, type FleetPlan, type StressPass } from './measure';

/** The issue's target: verification at tcpkali's cost. */
const TARGET_VERIFIED_PER_CPU_SEC = 75_000;

const FLAGS: readonly FlagSpec[] = [
  { name: 'repeats', kind: 'int', min: 1, describe: 'rounds of fleet and C client, alternating (default 3; --quick: 1)' },
  { name: 'duration', kind: 'int', min: 1, describe: 'whole seconds per measured window (default 10; --quick: 2)' },
  { name: 'clients', kind: 'int', min: 1, describe: 'connections (default 5000; --quick: 1000)' },
  { name: 'rate', kind: 'number', min: 0.001, describe: 'messages per second per connection (default 10)' },
  { name: 'out', kind: 'string', describe: 'directory for the JSON and Markdown (default reports)' },
  { name: 'quick', kind: 'switch', describe: 'a short smoke run: 1000 clients, 2 s windows, 1 repeat' },
  { name: 'io', kind: 'string', describe: `this checkout's fleet sockets: ${FLEET_IO_CHOICES.join(', ')} (stress --io, and its default: auto); the baseline keeps its own` },
  { name: 'baseline', kind: 'string', describe: 'another built checkout whose fleet runs as a third pass (DIR/dist/stress/cli.js)' },
  { name: 'help', kind: 'switch', describe: 'this text' },
];

type Pass = 'stress' | 'c-client' | 'baseline';

interface FleetRepeat {
  repeat: number;
  order: Pass[];
  stress: StressPass | null;
  cClient: CClientPass | null;
  /** --baseline: the other checkout's fleet */
  baseline: StressPass | null;
  /** fleet verified echoes per CPU-s over the C client's echoes per CPU-s */
  ratio: number | null;
  /** --baseline: this fleet's verified echoes per CPU-s over the baseline's */
  baselineRatio: number | null;
  error: string | null;
}

interface FleetArgs {
  repeats: number;
  out: string;
  /** --baseline: the other checkout's stress CLI, or null */
  baselineCli: string | null;
  plan: FleetPlan;
}

function resolveArgs(argv: readonly string[]): FleetArgs | 'help' {
  const v = parseFlags(argv, FLAGS);
  if (v.help === true) return 'help';
  const quick = v.quick === true;
  return {
    repeats: (v.repeats as number | undefined) ?? (quick ? 1 : 3),
    out: (v.out as string | undefined) ?? 'reports',
    baselineCli: baselineCli(v.baseline as string | undefined),
    plan: {
      clients: (v.clients as number | undefined) ?? (quick ? 1000 : 5000),
      ratePerConn: (v.rate as number | undefined) ?? 10,
      size: 64,
      warmupSec: quick ? 1 : 2,
      durationSec: (v.duration as number | undefined) ?? (quick ? 2 : 10),
      reportsDir: path.join(benchOutDir(), 'fleet-reports'),
      io: fleetIo(v.io as string | undefined),
    },
  };
}

/** stress's own --io choices (dummy-client/types.ts), so the bench accepts exactly what stress does. */
function fleetIo(value: string | undefined): FleetIoChoice {
  if (value === undefined) return 'auto';
  const known = FLEET_IO_CHOICES.find((io) => io === value);
  if (known === undefined) throw new UsageError([`--io: expected ${FLEET_IO_CHOICES.join(', ')}, got ${value}`]);
  return known;
}

/** DIR/dist/stress/cli.js of --baseline DIR; a usage error naming the flag when it is not there. */
function baselineCli(dir: string | undefined): string | null {
  if (dir === undefined) return null;
  const cli = path.resolve(dir, 'dist', 'stress', 'cli.js');
  if (!existsSync(cli)) throw new UsageError([`--baseline: ${cli} does not exist (build that checkout: npm ci or npm run build)`]);
  return cli;
}

function progress(text: string): void {
  process.stderr.write(`bench:fleet: ${text}\n`);
}

/** The passes of a repeat, rotated each repeat so none always runs first. */
function orderFor(repeat: number, baseline: boolean): Pass[] {
  const passes: Pass[] = baseline ? ['stress', 'c-client', 'baseline'] : ['stress', 'c-client'];
  const k = (repeat - 1) % passes.length;
  return [...passes.slice(k), ...passes.slice(0, k)];
}

/** One repeat: a fresh C echo server, then the fleet, the C client (and the baseline fleet) in this repeat's order. */
async function runRepeat(repeat: number, plan: FleetPlan, binaries: { echoServer: string; client: string }, baselineCli: string | null): Promise<FleetRepeat> {
  const order = orderFor(repeat, baselineCli !== null);
  const out: FleetRepeat = { repeat, order, stress: null, cClient: null, baseline: null, ratio: null, baselineRatio: null, error: null };
  const server = await startServer(binaries.echoServer, ['--port', '0']);
  try {
    for (const pass of order) {
      if (pass === 'stress') out.stress = await measureStress(plan, server.port, ownCli(), ['--io', plan.io]);
      else if (pass === 'baseline') out.baseline = await measureStress(plan, server.port, baselineCli!);
      else out.cClient = await measureCClient(binaries.client, plan, server.port);
      if (!server.alive()) throw new Error(`the C echo server exited during the ${pass} pass`);
    }
  } catch (err) {
    out.error = (err as Error).message;
  } finally {
    await server.stop();
  }
  out.ratio = ratio(out.stress?.verifiedPerCpuSec, out.cClient?.echoesPerCpuSec);
  out.baselineRatio = ratio(out.stress?.verifiedPerCpuSec, out.baseline?.verifiedPerCpuSec);
  return out;
}

interface FleetSummary {
  stressVerifiedPerCpuSec: Spread;
  cEchoesPerCpuSec: Spread;
  ratio: Spread;
  stressCpuSecPerMEchoes: Spread;
  cCpuSecPerMEchoes: Spread;
  stressEchoesPerSec: Spread;
  cEchoesPerSec: Spread;
  stressLagMeanMs: Spread;
  stressLagMaxMs: Spread;
  stressP50Ms: Spread;
  stressP99Ms: Spread;
  cP50Ms: Spread;
  cP99Ms: Spread;
  integrityErrors: Spread;
  baselineVerifiedPerCpuSec: Spread;
  baselineRatio: Spread;
  baselineEchoesPerSec: Spread;
  baselineLagMeanMs: Spread;
  baselineP50Ms: Spread;
  baselineP99Ms: Spread;
}

function summarise(repeats: readonly FleetRepeat[]): FleetSummary {
  const s = (read: (r: FleetRepeat) => number | null | undefined): Spread => spreadOf(repeats.map(read));
  const perM = (cpu: number | undefined, echoes: number | undefined): number | null => ratio(cpu === undefined ? undefined : cpu * 1e6, echoes);
  return {
    stressVerifiedPerCpuSec: s((r) => r.stress?.verifiedPerCpuSec),
    cEchoesPerCpuSec: s((r) => r.cClient?.echoesPerCpuSec),
    ratio: s((r) => r.ratio),
    stressCpuSecPerMEchoes: s((r) => perM(r.stress?.cpuSec, r.stress?.verifiedEchoes)),
    cCpuSecPerMEchoes: s((r) => perM(r.cClient?.cpuSec, r.cClient?.echoes)),
    stressEchoesPerSec: s((r) => r.stress?.echoesPerSec),
    cEchoesPerSec: s((r) => r.cClient?.echoesPerSec),
    stressLagMeanMs: s((r) => r.stress?.lagMeanMs),
    stressLagMaxMs: s((r) => r.stress?.lagMaxMs),
    stressP50Ms: s((r) => r.stress?.p50Ms),
    stressP99Ms: s((r) => r.stress?.p99Ms),
    cP50Ms: s((r) => r.cClient?.p50Ms),
    cP99Ms: s((r) => r.cClient?.p99Ms),
    integrityErrors: s((r) => r.stress?.integrityErrors),
    baselineVerifiedPerCpuSec: s((r) => r.baseline?.verifiedPerCpuSec),
    baselineRatio: s((r) => r.baselineRatio),
    baselineEchoesPerSec: s((r) => r.baseline?.echoesPerSec),
    baselineLagMeanMs: s((r) => r.baseline?.lagMeanMs),
    baselineP50Ms: s((r) => r.baseline?.p50Ms),
    baselineP99Ms: s((r) => r.baseline?.p99Ms),
  };
}

/** The sockets a pass ran on, as its reports say (one word when every repeat agrees). */
function socketsOf(repeats: readonly FleetRepeat[], pass: (r: FleetRepeat) => StressPass | null): string {
  const seen = [...new Set(repeats.map((r) => pass(r)?.io).filter((io): io is string => io !== undefined))];
  return seen.length === 0 ? 'unmeasured' : seen.join('/');
}

function fleetMarkdown(plan: FleetPlan, repeats: readonly FleetRepeat[], sum: FleetSummary, baselineCli: string | null): string {
  const offered = plan.clients * plan.ratePerConn;
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const met = sum.stressVerifiedPerCpuSec.median === null ? 'not measured' : sum.stressVerifiedPerCpuSec.median >= TARGET_VERIFIED_PER_CPU_SEC ? 'meets' : 'misses';
  const lines = [
    `## bench:fleet — ${plan.clients} conns × ${plan.ratePerConn} msg/s (${fmt(offered)} offered), ${plan.size}-byte messages, against the C epoll echo server; median (min–max) of ${repeats.length} repeat(s), ${plan.durationSec} s windows`,
    '',
    row(['', `lanstress fleet, ${socketsOf(repeats, (r) => r.stress)} sockets (verifies every byte)`, 'C load client (verifies nothing)', 'fleet / C']),
    row(['---', '---', '---', '---']),
    row(['echoes per client CPU-second', `${fmtSpread(sum.stressVerifiedPerCpuSec)} (verified)`, fmtSpread(sum.cEchoesPerCpuSec), fmtSpread(sum.ratio)]),
    row(['client CPU-s per 1M echoes', fmtSpread(sum.stressCpuSecPerMEchoes), fmtSpread(sum.cCpuSecPerMEchoes), '']),
    row(['echoes/s achieved', fmtSpread(sum.stressEchoesPerSec), fmtSpread(sum.cEchoesPerSec), '']),
    row(['event-loop lag in the window, mean of per-second max / max, ms', `${fmtSpread(sum.stressLagMeanMs)} / ${fmtSpread(sum.stressLagMaxMs)}`, '–', '']),
    row(['p50 / p99 ms (after the warm-up; fleet: corrected)', `${fmtSpread(sum.stressP50Ms)} / ${fmtSpread(sum.stressP99Ms)}`, `${fmtSpread(sum.cP50Ms)} / ${fmtSpread(sum.cP99Ms)}`, '']),
    row(['integrity errors (corrupted+reordered+duplicated+unexpected+lost)', fmtSpread(sum.integrityErrors), '–', '']),
    '',
    `Issue 10 target, ≥ ${fmt(TARGET_VERIFIED_PER_CPU_SEC)} verified echoes per client CPU-second: ${met}.`,
  ];
  if (baselineCli !== null) {
    lines.push(
      '',
      `### against the baseline fleet (${baselineCli}), same repeats`,
      '',
      row(['', `this fleet (${socketsOf(repeats, (r) => r.stress)})`, `baseline fleet (${socketsOf(repeats, (r) => r.baseline)})`, 'this / baseline']),
      row(['---', '---', '---', '---']),
      row(['verified echoes per client CPU-second', fmtSpread(sum.stressVerifiedPerCpuSec), fmtSpread(sum.baselineVerifiedPerCpuSec), fmtSpread(sum.baselineRatio)]),
      row(['echoes/s achieved', fmtSpread(sum.stressEchoesPerSec), fmtSpread(sum.baselineEchoesPerSec), '']),
      row(['event-loop lag in the window, mean of per-second max, ms', fmtSpread(sum.stressLagMeanMs), fmtSpread(sum.baselineLagMeanMs), '']),
      row(['p50 / p99 ms (corrected)', `${fmtSpread(sum.stressP50Ms)} / ${fmtSpread(sum.stressP99Ms)}`, `${fmtSpread(sum.baselineP50Ms)} / ${fmtSpread(sum.baselineP99Ms)}`, '']),
      '',
      `Issue 10 target, ≥ 1.5× the baseline's verified echoes per client CPU-second: ${sum.baselineRatio.median === null ? 'not measured' : sum.baselineRatio.median >= 1.5 ? 'meets' : 'misses'}.`,
    );
  }
  for (const r of repeats) if (r.error !== null) lines.push(`- repeat ${r.repeat}: ${r.error}`);
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = resolveArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${helpText('usage: node dist/bench/fleet/main.js [flags]   (npm run bench:fleet -- [flags])', FLAGS)}\n`);
    return;
  }
  const compiler = preflight('bench:fleet', args.plan.clients);
  const built = buildAllC();
  const binaries = { echoServer: built['echo-server'], client: built['load-client'] };
  const startedAt = new Date();
  progress(`${args.repeats} repeat(s): stress ${stressArgs(args.plan, 0).join(' ').replace(':0', ':PORT')} --io ${args.plan.io} vs load-client rate`);

  const repeats: FleetRepeat[] = [];
  for (let r = 1; r <= args.repeats; r++) {
    const rep = await runRepeat(r, args.plan, binaries, args.baselineCli);
    progress(
      `repeat ${r}: fleet ${fmt(rep.stress?.verifiedPerCpuSec)} verified/CPU-s (lag ${fmt(rep.stress?.lagMeanMs)}/${fmt(rep.stress?.lagMaxMs)} ms), ` +
        `C ${fmt(rep.cClient?.echoesPerCpuSec)} echoes/CPU-s, ratio ${fmt(rep.ratio)}` +
        `${rep.baseline ? `; baseline ${fmt(rep.baseline.verifiedPerCpuSec)} verified/CPU-s, this/baseline ${fmt(rep.baselineRatio)}` : ''}${rep.error ? `; ERROR ${rep.error}` : ''}`,
    );
    repeats.push(rep);
  }
  const summary = summarise(repeats);
  const markdown = fleetMarkdown(args.plan, repeats, summary, args.baselineCli);
  const json = {
    bench: 'fleet',
    schemaVersion: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    machine: machineMeta(compiler),
    plan: args.plan,
    baselineCli: args.baselineCli,
    target: { server: 'c-epoll (bench/c/echo-server.c)', targetVerifiedPerCpuSec: TARGET_VERIFIED_PER_CPU_SEC },
    repeats,
    summary,
  };
  const written = writeResults(args.out, 'fleet', startedAt, json, markdown);
  process.stdout.write(markdown);
  progress(`wrote ${written.json} and ${written.markdown}`);
}

if (require.main === module) runMain('bench:fleet', main);
