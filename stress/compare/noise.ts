/**
 * How far apart two runs can land by chance, from their per-second samples. A
 * difference inside the noise is not called a regression. Pure.
 */

/** Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093,
  2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tCritical(df: number): number {
  if (!(df >= 1)) return T975[0] ?? 12.706;
  const i = Math.floor(df) - 1;
  return i < T975.length ? (T975[i] ?? 1.96) : 1.96;
}

export interface SampleStats {
  n: number;
  mean: number;
  /** Sample variance (n - 1). */
  variance: number;
}

export function sampleStats(xs: readonly number[]): SampleStats {
  const n = xs.length;
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? 0 : xs.reduce((a, x) => a + (x - mean) * (x - mean), 0) / (n - 1);
  return { n, mean, variance };
}

/**
 * Noise of a ratio between two runs, on a log scale (rates and latencies spread
 * multiplicatively): the 95 % Welch interval of the difference of the mean log
 * per-second values, t(df) * sqrt(var(ln a)/na + var(ln b)/nb). With few seconds the
 * t quantile is large, so a short run has to change a lot to be called a regression.
 * Infinity when either side has fewer than two positive samples: with one second,
 * change and chance look alike.
 */
export function logSpreadNoise(a: readonly number[], b: readonly number[]): number {
  const la = a.filter((x) => x > 0).map(Math.log);
  const lb = b.filter((x) => x > 0).map(Math.log);
  if (la.length < 2 || lb.length < 2) return Number.POSITIVE_INFINITY;
  const sa = sampleStats(la);
  const sb = sampleStats(lb);
  const va = sa.variance / sa.n;
  const vb = sb.variance / sb.n;
  const se2 = va + vb;
  if (se2 === 0) return 0;
  const df = (se2 * se2) / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  return tCritical(df) * Math.sqrt(se2);
}

/** A log-scale noise as an absolute band around `base`, on the side `head` lies. */
export function bandAround(base: number, head: number, logNoise: number): number {
  if (!Number.isFinite(logNoise)) return Number.POSITIVE_INFINITY;
  return head >= base ? base * (Math.exp(logNoise) - 1) : base * (1 - Math.exp(-logNoise));
}

/** Noise of a difference between two event counts, read as Poisson (variance = count), at about 95 %. */
export function countNoise(a: number, b: number): number {
  return 1.96 * Math.sqrt(a + b);
}
