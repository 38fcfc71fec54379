/**
 * `--shard I/N` and `--start-at` as typed: one process as part I (0-based, as Kubernetes'
 * JOB_COMPLETION_INDEX) of an N-part fleet, and the moment every part starts. Pure: what a
 * part owns is stress/run/shard-plan.ts.
 */
export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** The most shards a fleet may be split into (one Indexed Job's completions are capped far above this; a typo is caught). */
export const MAX_SHARDS = 10_000;
/** How far ahead --start-at may lie: a part waiting longer is a typo (a date a year off), not a plan. */
export const MAX_START_WAIT_MS = 24 * 3600 * 1000;

/** 'I/N' with 0 <= I < N; the reason when it is not. */
export function parseShard(text: string): Shard | { error: string } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) return { error: "must be I/N: this part's 0-based index and the number of parts, e.g. 0/4" };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) return { error: `the number of parts must be between 1 and ${MAX_SHARDS}` };
  if (index >= count) return { error: `the index is 0-based: 0..${count - 1} for ${count} parts` };
  return { index, count };
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** An ISO 8601 time with its zone, or milliseconds since the epoch; the reason when it is neither. */
export function parseStartAt(text: string): number | { error: string } {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  // A time without a zone would be read in each pod's own zone: the parts would start hours apart.
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(t)) return { error: 'must be milliseconds since the epoch or an ISO 8601 time with its zone (2026-01-01T12:00:00Z)' };
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? { error: 'is not a valid ISO 8601 time' } : ms;
}
