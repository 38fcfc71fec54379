/**
 * Latency histograms: HDR, microseconds, 1 us .. 60 s, 3 significant digits.
 * Histograms cross threads encoded (compressed base64), never as samples.
 * Recording histograms use WebAssembly where it loads (long-lived, destroyed explicitly);
 * decoded/merged ones are plain JS so the garbage collector owns them.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export const LOWEST_US = 1;
export const HIGHEST_US = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

let wasmTried = false;
let wasmOk = false;

/** Loads the WebAssembly build once per thread; false (JS fallback) where it cannot load. */
export function initWasm(): boolean {
  if (wasmTried) return wasmOk;
  wasmTried = true;
  try {
    hdr.initWebAssemblySync();
    wasmOk = true;
  } catch {
    wasmOk = false;
  }
  return wasmOk;
}

/** A histogram for recording. Call destroy() when done (a no-op for the JS build). */
export function createHistogram(useWasm = wasmOk): Histogram {
  return hdr.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: false,
    useWebAssembly: useWasm && wasmOk,
  });
}

/** Records a value in microseconds, clamped to the trackable range (a 0 us echo is recorded as 1 us). */
export function recordUs(h: Histogram, us: number): void {
  const v = us < LOWEST_US ? LOWEST_US : us > HIGHEST_US ? HIGHEST_US : Math.round(us);
  h.recordValue(v);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** One JS histogram holding every value of the encoded ones. */
export function mergeEncoded(encoded: Iterable<string>): Histogram {
  const total = createHistogram(false);
  for (const e of encoded) {
    if (e.length === 0) continue;
    total.add(decodeHistogram(e));
  }
  return total;
}

export interface Percentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles in microseconds; zeros when the histogram is empty. */
export function percentiles(h: Histogram): Percentiles {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    min: h.minNonZeroValue,
    mean: h.mean,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    // Not h.maxValue: that is exact while recording but bucket-rounded once decoded, so merged and
    // single histograms would disagree.
    max: h.getValueAtPercentile(100),
  };
}
