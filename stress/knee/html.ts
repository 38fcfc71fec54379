/**
 * The knee search as one self-contained HTML page: latency (p50, p99) against offered rate, one
 * point per step, the rate that held and the one that broke marked, and the steps as a table
 * linking each step's own report. An SVG drawn here: no script, so it renders anywhere.
 */
import * as path from 'node:path';
import { esc } from '../html/escape';
import type { KneeResult } from './search';

const W = 720;
const H = 360;
const PAD = 56;

/** A log scale: offered rates grow by a factor per step, so they lie evenly on it. */
function logScale(min: number, max: number, from: number, to: number): (v: number) => number {
  const lo = Math.log(Math.max(min, 1e-9));
  const hi = Math.log(Math.max(max, min * 1.0001));
  return (v) => from + ((Math.log(Math.max(v, 1e-9)) - lo) / (hi - lo)) * (to - from);
}

function chart(result: KneeResult): string {
  const steps = result.steps;
  if (steps.length === 0) return '<p>No step ran.</p>';
  const rates = steps.map((s) => s.offered);
  const lat = steps.flatMap((s) => [s.p50, s.p99]).filter((v) => v > 0);
  const x = logScale(Math.min(...rates), Math.max(...rates), PAD, W - PAD);
  const y = logScale(Math.min(...lat, 0.01), Math.max(...lat, 0.02), H - PAD, PAD);
  const line = (key: 'p50' | 'p99', colour: string): string =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${steps.map((s) => `${x(s.offered).toFixed(1)},${y(Math.max(s[key], 0.01)).toFixed(1)}`).join(' ')}"/>` +
    steps.map((s) => `<circle cx="${x(s.offered).toFixed(1)}" cy="${y(Math.max(s[key], 0.01)).toFixed(1)}" r="4" fill="${s.held ? colour : '#c62828'}"><title>${esc(`${s.offered}/s: ${key} ${s[key]} ms`)}</title></circle>`).join('');
  const ticks = steps.map((s) => `<text x="${x(s.offered).toFixed(1)}" y="${H - PAD + 18}" text-anchor="middle" font-size="11">${esc(s.offered)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="latency against offered rate">
<rect x="${PAD}" y="${PAD}" width="${W - 2 * PAD}" height="${H - 2 * PAD}" fill="none" stroke="#999"/>
${line('p50', '#1565c0')}${line('p99', '#ef6c00')}${ticks}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle" font-size="12">offered packets/s (log)</text>
<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="12">latency ms (log): p50 blue, p99 orange; red = a threshold broke</text>
</svg>`;
}

export function kneeHtml(result: KneeResult, htmlFile: string): string {
  const rows = result.steps
    .map((s) => `<tr><td>${s.step}</td><td>${s.offered}</td><td>${s.perConnection}</td><td>${s.echoesPerSec}</td><td>${s.p50}</td><td>${s.p99}</td><td>${s.held ? 'held' : esc(s.broken.join(', '))}</td><td><a href="${esc(path.relative(path.dirname(htmlFile), s.report))}">report</a></td></tr>`)
    .join('\n');
  const verdict = result.held === null ? 'no rate held' : `held up to ${result.held} packets/s${result.brokeAt === null ? ' (never broke within the bounds)' : `, broke at ${result.brokeAt}`}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>lanstress knee: ${esc(result.thresholds.join(', '))}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head>
<body><h1>Knee search: ${esc(result.thresholds.join(', '))}</h1><p>${esc(verdict)}; stopped by ${esc(result.stoppedBy)}.</p>
${chart(result)}
<table><tr><th>step</th><th>offered /s</th><th>per connection /s</th><th>echoes /s</th><th>p50 ms</th><th>p99 ms</th><th>thresholds</th><th></th></tr>
${rows}</table></body></html>
`;
}
