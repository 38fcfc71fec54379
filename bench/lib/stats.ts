/** Medians with their spread, over repeats: the one summary both benches print. */

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
  /** how many repeats had a value */
  n: number;
}

export function spreadOf(values: ReadonlyArray<number | null | undefined>): Spread {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { median: null, min: null, max: null, n: 0 };
  const mid = Math.floor(xs.length / 2);
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { median, min: xs[0]!, max: xs[xs.length - 1]!, n: xs.length };
}

/** a / b, or null when either is missing or b is 0 (a ratio that is not a number is not reported). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** A rounded number for tables: 3 significant digits, '–' when missing. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 10 ** digits) return String(Math.round(v));
  return String(Number(v.toPrecision(digits)));
}

/** "median (min–max)" for a Markdown cell. */
export function fmtSpread(s: Spread, scale = 1): string {
  if (s.median === null || s.min === null || s.max === null) return '–';
  if (s.n === 1) return fmt(s.median * scale);
  return `${fmt(s.median * scale)} (${fmt(s.min * scale)}–${fmt(s.max * scale)})`;
}
