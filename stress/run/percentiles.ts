/**
 * Percentiles in milliseconds from the fleet's encoded HDR histograms
 * (values recorded in microseconds). Pure: text in, numbers out.
 */
import * as hdr from 'hdr-histogram-js';
import type { Percentiles } from '../report/types';

const US_PER_MS = 1000;

export function emptyPercentiles(): Percentiles {
  return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, count: 0 };
}

export function percentilesOf(encoded: string): Percentiles {
  if (encoded === '') return emptyPercentiles();
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  try {
    if (h.totalCount === 0) return emptyPercentiles();
    const ms = (us: number): number => Math.round((us / US_PER_MS) * 1000) / 1000;
    return {
      min: ms(h.minNonZeroValue),
      mean: ms(h.mean),
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      count: h.totalCount,
    };
  } finally {
    h.destroy();
  }
}
