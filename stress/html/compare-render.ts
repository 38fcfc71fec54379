/**
 * `stress compare --html`: two or more runs overlaid in one self-contained page (the same
 * document as a run report: uPlot inlined, no network): the percentile spectra, throughput and
 * latency over time of every side on one chart each, above the delta table of the comparison.
 * A side of several runs (repeats) shows its runs' histograms added for the spectrum and its
 * first run over time. Pure apart from reading the chart library.
 */
import type { Comparison } from '../compare/compare';
import { formatChange, formatNoise, methodText, STATUS_TEXT, withSpread } from '../compare/format';
import { latencySpectrum } from '../report/histogram';
import type { RunReport } from '../report/types';
import { encodeHistogram, mergeEncoded } from '../../dummy-client/latency';
import { esc } from './escape';
import { htmlDocument, table, type Cell } from './render';

export interface CompareSideData {
  label: string;
  reports: readonly RunReport[];
}

/** Spectrum of a side: every run's corrected histogram added, sampled at the shared percentiles. */
function sideSpectrum(side: CompareSideData): Array<{ percentile: number; ms: number }> {
  const merged = encodeHistogram(mergeEncoded(side.reports.map((r) => r.results.latency.histograms.corrected)));
  return latencySpectrum(merged).filter((p) => p.percentile < 100);
}

function chartData(sides: readonly CompareSideData[]): unknown {
  const spectra = sides.map(sideSpectrum);
  const longest = spectra.reduce((a, s) => (s.length > a.length ? s : a), [] as Array<{ percentile: number; ms: number }>);
  const firstRuns = sides.map((s) => s.reports[0]?.results.series ?? []);
  const seconds = Math.max(0, ...firstRuns.map((s) => s.length));
  const t = Array.from({ length: seconds }, (_, i) => i + 1);
  const at = <K extends 'echoed' | 'p99'>(series: RunReport['results']['series'], key: K): Array<number | null> =>
    t.map((sec) => {
      const tick = series.find((x) => x.t === sec);
      const v = tick?.[key];
      return v === undefined || v === null ? null : v;
    });
  return {
    labels: sides.map((s) => s.label),
    spectrum: {
      x: longest.map((p) => 1 / (1 - p.percentile / 100)),
      // Log axes cannot show 0: a gap instead.
      sides: spectra.map((sp) => longest.map((_, i) => (sp[i] === undefined || (sp[i]?.ms ?? 0) <= 0 ? null : (sp[i]?.ms ?? null)))),
    },
    overTime: { t, echoed: firstRuns.map((s) => at(s, 'echoed')), p99: firstRuns.map((s) => at(s, 'p99')) },
  };
}

function deltaTable(c: Comparison): string {
  const head = ['metric', 'base'];
  c.labels.slice(1).forEach((_, i) => {
    const n = c.labels.length > 2 ? ` ${i + 1}` : '';
    head.push(`head${n}`, `change${n}`, `noise${n}`, `verdict${n}`);
  });
  const rows: Cell[][] = c.rows.map((row) => {
    const line: Cell[] = [row.label, withSpread(row.base, row.baseSpread, row.unit)];
    for (const cell of row.heads) {
      const cls = cell.status === 'regression' ? 'fail' : cell.status === 'improvement' ? 'pass' : '';
      line.push(withSpread(cell.value, cell.spread, row.unit), formatChange(cell, row.unit), formatNoise(cell, row), { html: cls === '' ? esc(STATUS_TEXT[cell.status]) : `<span class="badge ${cls}">${esc(STATUS_TEXT[cell.status])}</span>` });
    }
    return line;
  });
  return table(head, rows, 'compare');
}

export function renderCompareHtml(c: Comparison, sides: readonly CompareSideData[]): string {
  const regressions = c.regressions.length;
  const verdict = regressions === 0 ? '<span class="badge pass" data-k="verdict">no regression</span>' : `<span class="badge fail" data-k="verdict">${esc(regressions)} regression${regressions === 1 ? '' : 's'}</span>`;
  const builds = c.builds.map((b, i): Cell[] => [i === 0 ? 'base' : `head${c.builds.length > 2 ? ` ${i}` : ''}`, b.label, b.short, b.version, b.node, b.startedAt]);
  const body = `<h1>lanstress compare: ${esc(c.scenario)} ${verdict}</h1>
<p class="desc">${esc(`base ${c.labels[0] ?? ''} against ${c.labels.slice(1).join(', ')}`)}</p>
${regressions > 0 ? `<div class="failures"><p>Regressions</p><ul>${c.regressions.map((r) => `<li>${esc(r.label)}${c.labels.length > 2 ? ` (${esc(r.head)})` : ''}</li>`).join('')}</ul></div>` : ''}
${c.buildNotes.map((n) => `<p class="${n.includes('DIFFERENT BUILD') ? 'interrupted' : 'desc'}">${esc(n)}</p>`).join('\n')}
<p class="desc">${esc(methodText(c))}</p>
<section><h2>Latency percentile spectra (corrected, log scale)</h2><div class="chart" id="chart-spectra" data-chart="spectra"></div></section>
<section><h2>Over time (first run of each side)</h2>
<div class="grid"><div><h3>Echoes per second</h3><div class="chart" id="chart-echoed" data-chart="echoed"></div></div>
<div><h3>p99 per second</h3><div class="chart" id="chart-p99" data-chart="p99"></div></div></div></section>
<section><h2>Deltas</h2>${deltaTable(c)}</section>
<section class="build"><h2>Runs</h2>${table(['', 'report', 'build', 'lanstress', 'node', 'started'], builds)}</section>`;
  return htmlDocument(`lanstress compare ${c.scenario}: ${regressions === 0 ? 'no regression' : `${regressions} regressions`}`, body, chartData(sides), COMPARE_CHART_SCRIPT);
}

/** Draws the overlays from the JSON block; plain ES2015 like the run report's script. */
const COMPARE_CHART_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var COLOURS = ['#37474f', '#c62828', '#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00'];
  var charts = [];
  function widthOf(el) { return Math.max(260, Math.floor(el.getBoundingClientRect().width)); }
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; }
  function pctLabel(v) { var p = 100 * (1 - 1 / v); var d = Math.max(0, Math.round(Math.log10(v)) - 2); return (p <= 0 ? '0' : p.toFixed(d)) + '%'; }
  function sides(label) {
    return data.labels.map(function (name, i) { return { label: (i === 0 ? 'base ' : '') + name, stroke: COLOURS[i % COLOURS.length], width: 2, dash: i === 0 ? [6, 4] : undefined }; });
  }
  function make(id, opts, columns) {
    var el = document.getElementById(id);
    if (!el || !columns[0] || columns[0].length === 0) { if (el) { el.textContent = 'no data'; el.className += ' empty'; } return; }
    opts.width = widthOf(el); opts.height = 260; opts.padding = [12, 44, 0, 0]; opts.legend = { live: true };
    charts.push({ plot: new uPlot(opts, columns, el), el: el });
  }
  make('chart-spectra', {
    scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
    axes: [
      { label: 'percentile', splits: function (u, i, min, max) { return [1, 2, 4, 10, 100, 1e3, 1e4, 1e5, 1e6].filter(function (v) { return v >= min && v <= max; }); },
        filter: function (u, s) { return s; }, values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : pctLabel(v); }); } },
      { label: 'latency (ms, log)', size: 60 }
    ],
    series: [{ label: 'percentile', value: function (u, v) { return v == null ? '-' : pctLabel(v); } }].concat(sides())
  }, [data.spectrum.x].concat(data.spectrum.sides));
  var t = data.overTime.t;
  make('chart-echoed', { scales: { x: { time: false }, y: { range: fromZero } }, axes: [{ label: 'seconds' }, { label: 'echoes/s', size: 70 }],
    series: [{ label: 'second' }].concat(sides()) }, [t].concat(data.overTime.echoed));
  make('chart-p99', { scales: { x: { time: false }, y: { range: fromZero } }, axes: [{ label: 'seconds' }, { label: 'p99 (ms)', size: 60 }],
    series: [{ label: 'second' }].concat(sides()) }, [t].concat(data.overTime.p99));
  document.documentElement.setAttribute('data-charts-drawn', String(charts.length));
})();`;
