/**
 * A traffic mix: payload sizes drawn by weight (9 small packets to 1 large, say) instead of
 * uniformly from one range. Each packet draws its entry, then its size within the entry's range.
 * Without a mix the draw is the plain range's, draw for draw, so replays of older runs hold.
 */
import type { Prng } from './codec';
import type { FleetConfig } from './types';

export interface MixEntry {
  weight: number;
  payload: { min: number; max: number };
}

function inRange(r: { min: number; max: number }, rng: Prng): number {
  return r.min === r.max ? r.min : rng.int(r.min, r.max);
}

/** One echo payload's size for this config. */
export function drawPayloadLen(cfg: Pick<FleetConfig, 'payload' | 'mix'>, rng: Prng): number {
  const mix = cfg.mix;
  if (mix === undefined || mix.length === 0) return inRange(cfg.payload, rng);
  let total = 0;
  for (const e of mix) total += e.weight;
  let x = rng.next() * total;
  for (const e of mix) {
    x -= e.weight;
    if (x < 0) return inRange(e.payload, rng);
  }
  return inRange(mix[mix.length - 1]!.payload, rng);
}

/** The smallest and largest size a mix can draw: what --payload becomes beside it. */
export function mixEnvelope(mix: readonly MixEntry[]): { min: number; max: number } {
  return { min: Math.min(...mix.map((e) => e.payload.min)), max: Math.max(...mix.map((e) => e.payload.max)) };
}
