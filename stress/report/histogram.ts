/**
 * Reads the base64 HDR histograms a report carries (microseconds) back into
 * milliseconds. Pure: each decoded histogram is released before returning.
 */
import * as hdr from 'hdr-histogram-js';
import type JsHistogram from 'hdr-histogram-js/dist/JsHistogram';

export interface SpectrumPoint {
  percentile: number;
  ms: number;
}

/**
 * Percentiles at which a spectrum is sampled: 0, then four points per halving of the
 * remaining tail (50, 59.5, 66.4, 70.3, 75 ...) up to 99.9999, then 100, so the points
 * lie evenly on the log(1/(1-p)) axis the HTML report draws.
 */
export function spectrumPercentiles(): number[] {
  const out: number[] = [0];
  for (let step = 4; ; step++) {
    const p = 100 * (1 - Math.pow(2, -step / 4));
    if (p > 99.9999) break;
    out.push(Number(p.toFixed(6)));
  }
  out.push(100);
  return out;
}

function withHistogram<T>(base64: string, read: (h: hdr.Histogram) => T): T {
  const h = hdr.decodeFromCompressedBase64(base64, 32, false);
  try {
    return read(h);
  } finally {
    h.destroy();
  }
}

export interface LatencyBins {
  /** Lower edge of each bin, ms (log-spaced: BINS_PER_DECADE a decade). */
  lowMs: number[];
  count: number[];
}

const BINS_PER_DECADE = 10;

/**
 * The latency histogram as counts in log-spaced bins (a decade in BINS_PER_DECADE steps), from
 * the first recorded value to the last: what the HTML draws as a histogram. Empty bins inside the
 * range are kept (a gap is information). Empty when nothing was recorded.
 */
export function latencyBins(base64: string): LatencyBins {
  return withHistogram(base64, (h) => {
    const bins: LatencyBins = { lowMs: [], count: [] };
    if (h.totalCount === 0) return bins;
    const it = (h as unknown as JsHistogram).recordedValuesIterator;
    it.reset();
    const binOf = (us: number): number => Math.floor(Math.log10(Math.max(1, us)) * BINS_PER_DECADE);
    let first = -1;
    while (it.hasNext()) {
      const v = it.next();
      const b = binOf(v.valueIteratedTo);
      if (first < 0) first = b;
      while (bins.count.length <= b - first) {
        bins.lowMs.push(10 ** ((first + bins.count.length) / BINS_PER_DECADE) / 1000);
        bins.count.push(0);
      }
      bins.count[b - first] = (bins.count[b - first] ?? 0) + v.countAtValueIteratedTo;
    }
    return bins;
  });
}

/** Why an encoded histogram does not decode, or null when it does. */
export function histogramProblem(base64: string): string | null {
  try {
    withHistogram(base64, (h) => h.totalCount);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The percentile spectrum of an encoded histogram; empty when it holds no value. */
export function latencySpectrum(base64: string): SpectrumPoint[] {
  return withHistogram(base64, (h) =>
    h.totalCount === 0 ? [] : spectrumPercentiles().map((p) => ({ percentile: p, ms: h.getValueAtPercentile(p) / 1000 })),
  );
}

/** One percentile (0..100) of an encoded histogram, in milliseconds; null when it holds no value. */
export function percentileOf(base64: string, percentile: number): number | null {
  return withHistogram(base64, (h) => (h.totalCount === 0 ? null : h.getValueAtPercentile(percentile) / 1000));
}

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  mean: number;
  max: number;
  /** The requested percentiles, in the order asked, in milliseconds. */
  at: number[];
}

/** Count, mean, max and the given percentiles of an encoded histogram, decoding it once. */
export function latencySummary(base64: string, percentiles: readonly number[]): LatencySummary {
  return withHistogram(base64, (h) => ({
    count: h.totalCount,
    mean: h.totalCount === 0 ? 0 : h.mean / 1000,
    max: h.totalCount === 0 ? 0 : h.maxValue / 1000,
    at: percentiles.map((p) => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000)),
  }));
}
