/**
 * Numbers as people read them, in their unit: every printer (terminal summary, compare table,
 * Markdown, HTML) formats through here, so a value reads the same wherever it is shown. Pure.
 */
import type { MetricUnit } from '../run/metrics';

/** Three significant digits, never exponent notation: 0.0123, 1.23, 12.3, 1234. */
export function formatMs(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  const decimals = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(a))));
  return v.toFixed(decimals);
}

/** 950, 12.3k, 1.23M, 4.56G. */
export function formatScaled(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** A number in its registry unit, short enough for a table cell; 'n/a' when unknown. */
export function formatValue(v: number | null, unit: MetricUnit): string {
  if (v === null) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  switch (unit) {
    case 'ms':
      return `${formatMs(v)} ms`;
    case '/s':
      return `${formatScaled(v)}/s`;
    case 'B/s':
      return `${formatBytes(v)}/s`;
    case 'MiB':
      return `${formatMs(v)} MiB`;
    case '%':
      return `${v.toFixed(0)}%`;
    case '':
      return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }
}

/**
 * The terminal summary's columns: fixed decimals by magnitude (12.3, 1.23), so a column of
 * latencies lines up on the decimal point where formatMs would vary its digits.
 */
export function formatMsFixed(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** 512 B, 1.5 KiB, 2.00 MiB, 1.25 GiB. */
export function formatBytes(v: number): string {
  if (v >= 1 << 30) return `${(v / (1 << 30)).toFixed(2)} GiB`;
  if (v >= 1 << 20) return `${(v / (1 << 20)).toFixed(2)} MiB`;
  if (v >= 1 << 10) return `${(v / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(v)} B`;
}
