/**
 * --stages and a scenario file's "stages": load over time (dummy-client/stages.ts). The text form
 * is what the command line takes and the report records: a comma list of DURATION:CLIENTS[:RATE],
 * RATE being packets/s per connection or total=N across the fleet, e.g. "5s:100:10,10s:500:total=5000".
 * Pure.
 */
import type { FleetStage } from '../../dummy-client/stages';
import { stagesDurationSec, stagesPeakClients } from '../../dummy-client/stages';
import { parseDuration, parseNumber } from '../flags/values';

export type Stage = FleetStage;

/** The options stages decide, and that may therefore not be given beside them (flag ids). */
export const SET_BY_STAGES = ['clients', 'duration', 'rampUp'] as const;
/** Also decided by stages that carry a rate (the send model). */
export const SET_BY_RATED_STAGES = ['pipeline', 'rate', 'totalRate'] as const;

const MAX_CLIENTS = 1_000_000;
const MAX_RATE = 1_000_000_000;

function stageText(s: Stage): string {
  const rate = s.rate !== null ? `:${s.rate}` : s.totalRate !== null ? `:total=${s.totalRate}` : '';
  return `${s.durationSec}s:${s.clients}${rate}`;
}

export function formatStages(stages: readonly Stage[]): string {
  return stages.map(stageText).join(',');
}

/** One stage's text, or why it is wrong. */
function parseStage(text: string): Stage | string {
  const parts = text.trim().split(':');
  if (parts.length < 2 || parts.length > 3) return `'${text.trim()}' is not DURATION:CLIENTS[:RATE] (e.g. 10s:500:50 or 10s:500:total=5000)`;
  const durationSec = parseDuration(parts[0]!, 's');
  if (durationSec === null || durationSec < 0) return `'${parts[0]}' is not a duration (e.g. 10s, 500ms, 1m)`;
  const clients = parseNumber(parts[1]!);
  if (clients === null || !Number.isInteger(clients) || clients < 0 || clients > MAX_CLIENTS) return `clients '${parts[1]}' must be a whole number in 0..${MAX_CLIENTS}`;
  const rateText = parts[2];
  if (rateText === undefined) return { durationSec, clients, rate: null, totalRate: null };
  const total = rateText.startsWith('total=');
  const rate = parseNumber(total ? rateText.slice('total='.length) : rateText);
  if (rate === null || rate < 0 || rate > MAX_RATE) return `rate '${rateText}' must be a number in 0..${MAX_RATE} (packets/s per connection, or total=N across the fleet)`;
  return total ? { durationSec, clients, rate: null, totalRate: rate } : { durationSec, clients, rate, totalRate: null };
}

/** Every stage read, checked as a whole; or the first problem. */
export function parseStages(text: string): Stage[] | { error: string } {
  if (text.trim() === '') return [];
  const stages: Stage[] = [];
  for (const piece of text.split(',')) {
    const s = parseStage(piece);
    if (typeof s === 'string') return { error: s };
    stages.push(s);
  }
  return checkStages(stages);
}

/** The rules between stages: one send model for all, some load, at least a second of it. */
export function checkStages(stages: Stage[]): Stage[] | { error: string } {
  const kinds = new Set(stages.map((s) => (s.rate !== null ? 'rate' : s.totalRate !== null ? 'total' : 'none')));
  if (kinds.size > 1) return { error: 'every stage gives a per-connection rate, every stage a total=N, or none does (closed loop)' };
  if (stages.length > 0 && stagesPeakClients(stages) === 0) return { error: 'no stage opens a connection' };
  if (stages.length > 0 && stagesDurationSec(stages) < 1) return { error: 'the stages last less than 1 s in all' };
  return stages;
}

export function stagesRated(stages: readonly Stage[]): boolean {
  return stages.some((s) => s.rate !== null || s.totalRate !== null);
}
