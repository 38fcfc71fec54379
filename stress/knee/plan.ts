/**
 * The knee search's steps: offered rates (packets per second over the whole fleet) rising
 * geometrically from `from` by `factor`, at most `maxSteps` of them, each turned into the
 * per-connection --rate a run takes. Pure.
 */

export interface KneePlan {
  /** Offered packets per second across the fleet, first step. */
  from: number;
  /** Each step offers this many times the last (> 1). */
  factor: number;
  maxSteps: number;
  clients: number;
}

export interface KneeStepRate {
  step: number;
  offered: number;
  /** What `stress run --rate` takes: packets per second per connection. */
  perConnection: number;
}

/** Rates below a thousandth of a packet per second per connection are beyond --rate's range. */
const MIN_PER_CONNECTION = 0.001;

export function stepRates(plan: KneePlan): KneeStepRate[] {
  return Array.from({ length: plan.maxSteps }, (_, i) => {
    const offered = Math.round(plan.from * plan.factor ** i);
    return { step: i + 1, offered, perConnection: Math.max(MIN_PER_CONNECTION, Math.round((offered / plan.clients) * 1000) / 1000) };
  });
}
