/**
 * Load over time (k6-style stages): each stage ramps linearly from the previous stage's target
 * (the first from 0 connections and 0 packets/s) to its own over its duration; a stage of 0 s
 * jumps. Pure: each worker's pool asks what the fleet should be doing at a time of the run and
 * takes its own share.
 */

export interface FleetStage {
  durationSec: number;
  /** Open connections at the end of the stage, across the fleet. */
  clients: number;
  /** Open loop, packets per second per connection at the end of the stage; null = closed loop. */
  rate: number | null;
  /** Open loop, packets per second across the fleet at the end of the stage (split over the live connections); null = none. */
  totalRate: number | null;
}

export interface LoadTarget {
  clients: number;
  /** Per connection; null when the run is closed loop or gives a total rate. */
  rate: number | null;
  totalRate: number | null;
}

const lerp = (a: number, b: number, f: number): number => a + (b - a) * f;
const lerpOrNull = (a: number | null, b: number | null, f: number): number | null => (b === null ? null : lerp(a ?? 0, b, f));

/** What the fleet should be doing `tSec` after the load started; past the last stage, its target. */
export function targetAt(stages: readonly FleetStage[], tSec: number): LoadTarget {
  let from: LoadTarget = { clients: 0, rate: stages[0]?.rate === null ? null : 0, totalRate: stages[0]?.totalRate === null ? null : 0 };
  let start = 0;
  for (const s of stages) {
    const end = start + s.durationSec;
    if (tSec < end) {
      const f = s.durationSec > 0 ? (tSec - start) / s.durationSec : 1;
      return { clients: Math.round(lerp(from.clients, s.clients, f)), rate: lerpOrNull(from.rate, s.rate, f), totalRate: lerpOrNull(from.totalRate, s.totalRate, f) };
    }
    from = { clients: s.clients, rate: s.rate, totalRate: s.totalRate };
    start = end;
  }
  return from;
}

/**
 * The part of a fleet-wide count that slots [slotFrom, slotTo) of `clients` hold: proportional
 * shares whose sum over a split of the slots is exactly `count`.
 */
export function shareOf(count: number, clients: number, slotFrom: number, slotTo: number): number {
  if (clients <= 0) return 0;
  return Math.floor((count * slotTo) / clients) - Math.floor((count * slotFrom) / clients);
}

export function stagesDurationSec(stages: readonly FleetStage[]): number {
  return stages.reduce((sum, s) => sum + s.durationSec, 0);
}

export function stagesPeakClients(stages: readonly FleetStage[]): number {
  return stages.reduce((peak, s) => Math.max(peak, s.clients), 0);
}
