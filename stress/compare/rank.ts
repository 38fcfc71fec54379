/**
 * Between-run statistics for `stress compare` with several reports per side, as benchstat
 * judges benchmarks: the Mann-Whitney U (Wilcoxon rank-sum) test on one value per run. It
 * assumes nothing about the shape of run-to-run spread, which on a shared machine is neither
 * normal nor predicted by the spread between the seconds of one run. Pure.
 */

/** The significance level: a change whose p-value is above it is "no significant change". */
export const ALPHA = 0.05;

/** U of xs against ys: pairs (x, y) with x > y, ties counting one half. */
export function uStatistic(xs: readonly number[], ys: readonly number[]): number {
  let u = 0;
  for (const x of xs) for (const y of ys) u += x > y ? 1 : x === y ? 0.5 : 0;
  return u;
}

/** counts[u] = how many of the C(n+m, n) orderings of n against m distinct values give U = u. */
function exactCounts(n: number, m: number): number[] {
  // table[i][j][u]: orderings of i against j values; the largest value is either one of the i
  // (it beats all j: u - j) or one of the j (it beats nothing).
  let prev: number[][] = Array.from({ length: m + 1 }, () => [1]);
  for (let i = 1; i <= n; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= m; j++) {
      const row = new Array<number>(i * j + 1).fill(0);
      const withI = prev[j] ?? [];
      const withJ = cur[j - 1] ?? [];
      for (let u = 0; u <= i * j; u++) row[u] = (u - j >= 0 ? (withI[u - j] ?? 0) : 0) + (withJ[u] ?? 0);
      cur.push(row);
    }
    prev = cur;
  }
  return prev[m] ?? [1];
}

/** Largest n * m for which the exact distribution is counted (the counts fit a double exactly). */
const EXACT_LIMIT = 400;

/**
 * Two-sided p-value of the hypothesis that xs and ys come from one distribution. Exact when
 * there are no ties and the samples are small; otherwise the normal approximation with the
 * tie correction and a continuity correction. 1 when either side is empty.
 */
export function mannWhitneyP(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const m = ys.length;
  if (n === 0 || m === 0) return 1;
  const u = uStatistic(xs, ys);
  const all = [...xs, ...ys].sort((a, b) => a - b);
  const ties: number[] = [];
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j] === all[i]) j++;
    if (j - i > 1) ties.push(j - i);
    i = j;
  }
  if (ties.length === 0 && n * m <= EXACT_LIMIT) {
    const counts = exactCounts(n, m);
    const total = counts.reduce((a, b) => a + b, 0);
    let low = 0;
    let high = 0;
    counts.forEach((c, k) => {
      if (k <= u) low += c;
      if (k >= u) high += c;
    });
    return Math.min(1, (2 * Math.min(low, high)) / total);
  }
  const N = n + m;
  const tieTerm = ties.reduce((a, t) => a + (t * t * t - t), 0) / (N * (N - 1));
  const variance = ((n * m) / 12) * (N + 1 - tieTerm);
  if (variance <= 0) return 1;
  const z = Math.max(0, Math.abs(u - (n * m) / 2) - 0.5) / Math.sqrt(variance);
  if (z === 0) return 1; // no difference at all (the erf approximation would give 1 - 1e-9)
  return Math.min(1, 2 * (1 - normalCdf(z)));
}

/** The smallest two-sided p-value n against m runs can reach: above ALPHA, no difference is ever significant. */
export function smallestP(n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  let total = 1;
  for (let k = 1; k <= n; k++) total = (total * (m + k)) / k;
  return Math.min(1, 2 / total);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 for erf; error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
