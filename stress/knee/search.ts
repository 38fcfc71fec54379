/**
 * The knee search: one whole `stress run` per step (a fresh embedded server each time, so a
 * step is not judged on the backlog of the last), offered rate rising step by step until a
 * threshold breaks, the steps or the time run out, or a run ends badly (usage, crash,
 * interruption: the search stops there and exits as that run did).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunReport } from '../report/types';
import { EXIT } from '../run/exit-codes';
import { stepRates, type KneePlan } from './plan';

export interface KneeSettings extends KneePlan {
  thresholds: string[];
  stepDurationSec: number;
  /** No step starts after this many seconds of searching. */
  maxTimeSec: number;
  out: string;
  /** More `stress run` flags, given after `--`. */
  runArgs: string[];
}

export interface KneeStep {
  step: number;
  offered: number;
  perConnection: number;
  report: string;
  /** Every threshold held at this rate. */
  held: boolean;
  /** The thresholds that broke. */
  broken: string[];
  p50: number;
  p99: number;
  echoesPerSec: number;
}

export interface KneeResult {
  thresholds: string[];
  steps: KneeStep[];
  /** The highest offered rate at which every threshold held, or null when the first step broke. */
  held: number | null;
  /** The first offered rate at which one broke, or null when none did within the bounds. */
  brokeAt: number | null;
  stoppedBy: 'threshold' | 'max-steps' | 'max-time' | 'run-failed';
}

export interface KneeIo {
  err: (text: string) => void;
}

/** The compiled `stress` CLI this search runs its steps with. */
const CLI = path.resolve(__dirname, '..', 'cli.js');

function runStep(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? EXIT.serverCrashed, stdout, stderr }));
  });
}

function stepArgs(s: KneeSettings, perConnection: number, step: number): string[] {
  const thresholds = s.thresholds.flatMap((t) => ['--threshold', t]);
  return [...s.runArgs, '--clients', String(s.clients), '--rate', String(perConnection), '--duration', String(s.stepDurationSec), ...thresholds, '--json', '--out', path.join(s.out, `step-${step}`)];
}

/** Searches; returns the result, or the exit code of the step run that ended the search badly. */
export async function searchKnee(s: KneeSettings, io: KneeIo): Promise<{ result: KneeResult; exitCode: number }> {
  const started = Date.now();
  const steps: KneeStep[] = [];
  let stoppedBy: KneeResult['stoppedBy'] = 'max-steps';
  let exitCode: number = EXIT.pass;
  for (const rate of stepRates(s)) {
    if ((Date.now() - started) / 1000 >= s.maxTimeSec) {
      stoppedBy = 'max-time';
      break;
    }
    io.err(`stress knee: step ${rate.step}: ${rate.offered} packets/s offered (${rate.perConnection}/s per connection x ${s.clients})`);
    const run = await runStep(stepArgs(s, rate.perConnection, rate.step));
    const line = run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if ((run.code !== EXIT.pass && run.code !== EXIT.gateFailed) || line === undefined) {
      io.err(run.stderr.trimEnd());
      stoppedBy = 'run-failed';
      exitCode = run.code;
      break;
    }
    const file = (JSON.parse(line) as { report: string }).report;
    const report = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
    const broken = report.gates.filter((g) => g.kind === 'threshold' && !g.pass && !g.unknown).map((g) => `${g.name} (${g.actual ?? 'no value'})`);
    const c = report.results.latency.corrected;
    steps.push({ ...rate, report: file, held: broken.length === 0, broken, p50: c.p50, p99: c.p99, echoesPerSec: report.results.throughput.echoesPerSec });
    if (broken.length > 0) {
      stoppedBy = 'threshold';
      break;
    }
  }
  const held = steps.filter((x) => x.held).at(-1)?.offered ?? null;
  const brokeAt = steps.find((x) => !x.held)?.offered ?? null;
  return { result: { thresholds: s.thresholds, steps, held, brokeAt, stoppedBy }, exitCode };
}
