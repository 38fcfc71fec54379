/**
 * Printers for a Comparison: a terminal table (colour only when asked, i.e. on a
 * TTY) and a Markdown pull-request comment. Both return strings. Pure.
 */
import chalk from 'chalk';
import Table from 'cli-table3';
import type { Cell, Comparison, Row, Status } from './compare';
import { formatValue } from '../format/units';
import { mdCell } from '../format/markdown';

function signed(text: string, v: number): string {
  return v > 0 ? `+${text}` : text;
}

export function formatChange(cell: Cell, unit: Row['unit']): string {
  if (cell.delta === null) return 'n/a';
  const abs = signed(formatValue(cell.delta, unit), cell.delta);
  if (cell.relative === null) return abs;
  const rel = Number.isFinite(cell.relative) ? signed(`${(cell.relative * 100).toFixed(1)}%`, cell.relative) : 'new';
  return `${abs} (${rel})`;
}

export function formatNoise(cell: Cell, row: Row): string {
  if (row.tolerance === 'zero') return 'exact';
  if (cell.p !== null) return `p=${cell.p < 0.001 ? '<0.001' : cell.p.toFixed(3)}`;
  if (cell.noise === null) return '';
  if (!Number.isFinite(cell.noise)) return 'unknown';
  return `±${formatValue(cell.noise, row.unit)}`;
}

export const STATUS_TEXT: Record<Status, string> = {
  regression: 'REGRESSION',
  improvement: 'improved',
  'within-noise': 'within noise',
  same: 'same',
  unknown: 'unknown',
  info: '',
};

/** A side's value with its spread over the runs (repeats): "1.20 ms (1.10 ms..1.60 ms)". */
export function withSpread(value: number | null, spread: [number, number] | null, unit: Row['unit']): string {
  const v = formatValue(value, unit);
  return spread === null ? v : `${v} (${formatValue(spread[0], unit)}..${formatValue(spread[1], unit)})`;
}

/** How the sides were judged, in one line: a reader must know whether run-to-run noise was measured. */
export function methodText(c: Comparison): string {
  if (c.method.kind === 'single') {
    return 'One run per side: noise from the spread of each run\'s seconds, which can be far below the spread between runs; give a directory of several runs per side for a rank test over the runs.';
  }
  const runs = c.method.runs.join(' vs ');
  const few = c.method.tooFew ? ` Too few runs to ever reach p <= ${c.method.alpha}: use 5 or more per side.` : '';
  return `Runs per side: ${runs}. Medians (worst run for integrity), spread min..max; a change counts only if the Mann-Whitney U test over the runs gives p <= ${c.method.alpha}.${few}`;
}

function thresholdText(c: Comparison): string {
  return c.threshold > 0 ? ` past ${(c.threshold * 100).toFixed(1).replace(/\.0$/, '')}% and the noise` : ' past the noise';
}

export interface CompareFormatOptions {
  colors: boolean;
}

export function formatComparison(c: Comparison, opts: CompareFormatOptions): string {
  const k = new chalk.Instance({ level: opts.colors ? 1 : 0 });
  const paint = (status: Status, text: string): string =>
    status === 'regression' ? k.red.bold(text) : status === 'improvement' ? k.green(text) : status === 'unknown' || status === 'within-noise' ? k.dim(text) : text;
  const out: string[] = [];
  out.push(k.bold(`Scenario ${c.scenario}: base ${c.labels[0]}`));
  c.builds.forEach((b, i) => out.push(`  ${i === 0 ? 'base' : `head${c.builds.length > 2 ? i : ''}`} ${b.label}: ${b.short}, lanstress ${b.version}, node ${b.node}, started ${b.startedAt}`));
  for (const note of c.buildNotes) out.push(note.includes('DIFFERENT BUILD') ? k.yellow.bold(`  ${note}`) : `  ${note}`);
  out.push(k.dim(`  ${methodText(c)}`));

  const head: string[] = ['metric', 'base'];
  c.labels.slice(1).forEach((_, i) => {
    const n = c.labels.length > 2 ? ` ${i + 1}` : '';
    head.push(`head${n}`, `change${n}`, `noise${n}`, `verdict${n}`);
  });
  const table = new Table({ head, style: opts.colors ? { head: ['cyan'], compact: true } : { head: [], border: [], compact: true } });
  for (const row of c.rows) {
    const line: string[] = [row.label, withSpread(row.base, row.baseSpread, row.unit)];
    for (const cell of row.heads) {
      line.push(withSpread(cell.value, cell.spread, row.unit), paint(cell.status, formatChange(cell, row.unit)), formatNoise(cell, row), paint(cell.status, STATUS_TEXT[cell.status]));
    }
    table.push(line);
  }
  out.push(table.toString());
  if (c.regressions.length === 0) {
    out.push(k.green(`No regression${thresholdText(c)}.`));
  } else {
    const list = c.regressions.map((r) => `${r.label}${c.labels.length > 2 ? ` (${r.head})` : ''}`).join(', ');
    out.push(k.red.bold(`${c.regressions.length} regression${c.regressions.length === 1 ? '' : 's'}${thresholdText(c)}: ${list}`));
  }
  return out.join('\n');
}

const STATUS_MD: Record<Status, string> = {
  regression: '🔴 **regression**',
  improvement: '🟢 improved',
  'within-noise': 'within noise',
  same: 'same',
  unknown: 'unknown',
  info: '',
};

export function comparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  const verdict = c.regressions.length === 0 ? `✅ no regression${thresholdText(c)}` : `❌ ${c.regressions.length} regression${c.regressions.length === 1 ? '' : 's'}${thresholdText(c)}`;
  out.push(`### lanstress compare: scenario \`${mdCell(c.scenario)}\` — ${verdict}`, '');
  out.push('| | report | build | lanstress | node | started |', '|---|---|---|---|---|---|');
  c.builds.forEach((b, i) => out.push(`| ${i === 0 ? 'base' : `head${c.builds.length > 2 ? ` ${i}` : ''}`} | ${mdCell(b.label)} | \`${mdCell(b.short)}\` | ${mdCell(b.version)} | ${mdCell(b.node)} | ${mdCell(b.startedAt)} |`));
  out.push('');
  for (const note of c.buildNotes) out.push(`> ${note.includes('DIFFERENT BUILD') ? '⚠️ ' : ''}${mdCell(note)}`);
  out.push('');
  const multi = c.labels.length > 2;
  const head = ['metric', 'base'];
  c.labels.slice(1).forEach((_, i) => head.push(`head${multi ? ` ${i + 1}` : ''}`, 'change', 'noise', ''));
  out.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of c.rows) {
    const cells = [mdCell(row.label), mdCell(withSpread(row.base, row.baseSpread, row.unit))];
    for (const cell of row.heads) {
      cells.push(mdCell(withSpread(cell.value, cell.spread, row.unit)), mdCell(formatChange(cell, row.unit)), mdCell(formatNoise(cell, row)), STATUS_MD[cell.status]);
    }
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  if (c.regressions.length > 0) out.push(`Regressions: ${c.regressions.map((r) => `**${mdCell(r.label)}**${multi ? ` (${mdCell(r.head)})` : ''}`).join(', ')}`);
  out.push(`<sub>${mdCell(methodText(c))} Integrity errors allow no increase.</sub>`);
  return `${out.join('\n')}\n`;
}
