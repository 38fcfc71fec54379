/**
 * How far apart two runs' means can land by chance, from their per-second samples:
 * a Welch two-sample interval at 95 % (t critical value from the Welch-Satterthwaite
 * degrees of freedom). A difference inside it is noise, not a regression. Pure.
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
 * Half-width of the 95 % interval of (mean(b) - mean(a)). Infinity when either side has
 * fewer than two samples: with one second there is no way to tell a change from chance.
 */
export function welchNoise(a: readonly number[], b: readonly number[]): number {
  const sa = sampleStats(a);
  const sb = sampleStats(b);
  if (sa.n < 2 || sb.n < 2) return Number.POSITIVE_INFINITY;
  const va = sa.variance / sa.n;
  const vb = sb.variance / sb.n;
  const se2 = va + vb;
  if (se2 === 0) return 0;
  const df = (se2 * se2) / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  return tCritical(df) * Math.sqrt(se2);
}

/** Noise of a difference between two event counts, read as Poisson (variance = count), at about 95 %. */
export function countNoise(a: number, b: number): number {
  return 1.96 * Math.sqrt(a + b);
}
