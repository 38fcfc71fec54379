/**
 * Percentiles in milliseconds from the fleet's encoded HDR histograms
 * (values recorded in microseconds). Pure: text in, numbers out.
 */
import { decodeHistogram, percentiles } from '../../dummy-client/latency';
import type { ClientLag, Percentiles } from '../report/types';

export function emptyPercentiles(): Percentiles {
  return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, count: 0 };
}

/** Microseconds to milliseconds, kept to the microsecond. */
function ms(us: number): number {
  return Math.round(us) / 1000;
}

export function percentilesOf(encoded: string): Percentiles {
  if (encoded === '') return emptyPercentiles();
  const h = decodeHistogram(encoded);
  try {
    const us = percentiles(h);
    return {
      min: ms(us.min),
      mean: ms(us.mean),
      p50: ms(us.p50),
      p90: ms(us.p90),
      p99: ms(us.p99),
      p999: ms(us.p999),
      max: ms(us.max),
      count: us.count,
    };
  } finally {
    h.destroy();
  }
}

/** The fleet's lag distribution in ms, or null when the fleet recorded none (an empty run). */
export function clientLagOf(encoded: string): ClientLag | null {
  const p = percentilesOf(encoded);
  return p.count === 0 ? null : { p50: p.p50, p99: p.p99, max: p.max, count: p.count };
}
