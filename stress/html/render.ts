/**
 * One RunReport as one self-contained HTML file: uPlot and its CSS inlined, the data
 * in a JSON block, a Content-Security-Policy that forbids any fetch, so the page opens
 * from disk with no network. Every string from the report is escaped. Pure apart from
 * reading the chart library from node_modules.
 */
import { formatHostPort } from '../../server/loopback';
import type { ClientLag, GateVerdict, Percentiles, RunReport } from '../report/types';
import { latencyBins, latencySpectrum } from '../report/histogram';
import { gateActual, unknownText } from '../format/gate-value';
import { sendModelText } from '../compare/settings';
import { formatMs, formatScaled, formatValue } from '../format/units';
import { uplotAssets } from './assets';
import { CHART_SCRIPT } from './chart-script';
import { interruptedText } from '../report/interrupted';
import { clientBoundText } from '../report/client-bound';
import { esc, jsonForScript } from './escape';
import { CHAOS_ACTIONS, isExpectedClientEvent, isIntegrityError } from '../../dummy-client/types';
import { NEWER_SERVER_COUNTERS, REJECT_REASONS, SERVER_COUNTERS, type NewerServerCounter, type ServerCounter } from '../../server/types';

export type Cell = string | number | boolean | null | undefined | { html: string };

function cell(c: Cell): string {
  return typeof c === 'object' && c !== null ? c.html : esc(c);
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, cls = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${esc(cls)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A number shown in the page, with its exact value in data-v so a reader (or a test) can check it against the JSON. */
function num(key: string, value: number | null, text?: string): { html: string } {
  if (value === null) return { html: `<span data-k="${esc(key)}" data-v="">n/a</span>` };
  return { html: `<span data-k="${esc(key)}" data-v="${esc(String(value))}">${esc(text ?? plain(value))}</span>` };
}

function plain(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : formatMs(v);
}

function msText(v: number): string {
  return `${formatMs(v)} ms`;
}

/** An unknown badge carries why it was not judged, when it says, as its title. */
function badge(pass: boolean, unknown = false, why?: string): { html: string } {
  if (unknown) return { html: `<span class="badge unknown"${why === undefined ? '' : ` title="${esc(why)}"`}>unknown</span>` };
  return { html: pass ? '<span class="badge pass">pass</span>' : '<span class="badge fail">FAIL</span>' };
}

/** Failed gates first, then unknown, then passed: what needs a reader comes first. */
function gateOrder(gates: readonly GateVerdict[]): number[] {
  const rank = (g: GateVerdict): number => (g.unknown ? 1 : g.pass ? 2 : 0);
  return gates.map((_, i) => i).sort((a, b) => rank(gates[a] as GateVerdict) - rank(gates[b] as GateVerdict) || a - b);
}

function gateRows(gates: readonly GateVerdict[]): Cell[][] {
  return gateOrder(gates).map((i) => {
    const g = gates[i] as GateVerdict;
    return [g.name, g.kind, num(`gates.${i}.actual`, g.actual, g.actual === null ? undefined : gateActual(g)), g.expected, badge(g.pass, g.unknown, g.notJudged === undefined ? undefined : unknownText(g))];
  });
}

/** At the top of the page: the failed and unknown gates by name, with what they measured. */
function failuresBox(r: RunReport): string {
  const failed = r.gates.filter((g) => !g.unknown && !g.pass);
  const unknown = r.gates.filter((g) => g.unknown);
  const passed = r.gates.length - failed.length - unknown.length;
  const summary = `${passed} of ${r.gates.length} gates passed${failed.length > 0 ? `, ${failed.length} failed` : ''}${unknown.length > 0 ? `, ${unknown.length} unknown` : ''}.`;
  if (failed.length + unknown.length === 0) return `<p class="gates-ok" data-k="gatesSummary">${esc(summary)}</p>`;
  const item = (g: GateVerdict): string =>
    `<li class="${g.unknown ? 'unknown' : 'failed'}"><code>${esc(g.name)}</code>: ${g.unknown ? esc(unknownText(g)) : `measured ${esc(gateActual(g))}, expected ${esc(g.expected)}`}</li>`;
  return `<div class="failures" data-k="gatesSummary"><p>${esc(summary)}</p><ul>${[...failed, ...unknown].map(item).join('')}</ul></div>`;
}

function latencyRow(label: string, key: string, p: Percentiles): Cell[] {
  const f = (k: keyof Percentiles): Cell => (k === 'count' ? num(`${key}.count`, p.count) : num(`${key}.${k}`, p[k], formatMs(p[k])));
  return [label, f('p50'), f('p90'), f('p99'), f('p999'), f('max'), f('mean'), f('min'), f('count')];
}

/** The fleet's lag in the latency table: p50, p99 and max are all it has. */
function clientLagRow(l: ClientLag): Cell[] {
  const key = 'results.latency.clientLag';
  return ['client event-loop lag', num(`${key}.p50`, l.p50, formatMs(l.p50)), '', num(`${key}.p99`, l.p99, formatMs(l.p99)), '', num(`${key}.max`, l.max, formatMs(l.max)), '', '', num(`${key}.count`, l.count)];
}

/** Next to the percentiles (key numbers and latency table) when the client's own delay is a large part of them. */
function clientBoundNote(r: RunReport): string {
  const b = r.results.latency.clientBound;
  return b?.bound === true ? `<p class="client-bound" data-k="clientBound">${esc(clientBoundText(b))}</p>` : '';
}

function optionText(v: RunReport['options'][string]): string {
  if (v === null) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.join(', ');
  return String(v);
}

/** Spectrum points for the chart: x = 1/(1-p) (log axis), 100 % left out (infinite x; the max is in the table). */
function spectrumData(report: RunReport): { x: number[]; corrected: Array<number | null>; uncorrected: Array<number | null> } {
  const c = latencySpectrum(report.results.latency.histograms.corrected).filter((p) => p.percentile < 100);
  const u = latencySpectrum(report.results.latency.histograms.uncorrected).filter((p) => p.percentile < 100);
  const points = c.length >= u.length ? c : u;
  // Log axes cannot show 0: a zero latency (below the histogram's resolution) is left as a gap.
  const y = (v: number | undefined): number | null => (v === undefined || v <= 0 ? null : v);
  return {
    x: points.map((p) => 1 / (1 - p.percentile / 100)),
    corrected: points.map((_, i) => y(c[i]?.ms)),
    uncorrected: points.map((_, i) => y(u[i]?.ms)),
  };
}

/** Seconds with echoes, ordered by throughput: p99 against echoes/s, one point a second. */
function loadCurve(report: RunReport): { echoed: number[]; p99: number[] } {
  const points = report.results.series.filter((x) => x.echoed > 0 && x.p99 !== null && x.p99 > 0).sort((a, b) => a.echoed - b.echoed);
  return { echoed: points.map((x) => x.echoed), p99: points.map((x) => x.p99 as number) };
}

function chartData(report: RunReport): unknown {
  const s = report.results.series;
  return {
    spectrum: spectrumData(report),
    histogram: latencyBins(report.results.latency.histograms.corrected),
    loadCurve: loadCurve(report),
    cuts: { actions: [...CHAOS_ACTIONS], perSecond: CHAOS_ACTIONS.map((a) => s.map((x) => x.cuts?.[a] ?? 0)) },
    series: {
      t: s.map((x) => x.t),
      echoed: s.map((x) => x.echoed),
      connections: s.map((x) => x.connections),
      p50: s.map((x) => x.p50),
      p99: s.map((x) => x.p99),
      errors: s.map((x) => x.errors),
      behindSchedule: s.map((x) => x.behindSchedule),
    },
  };
}

/** Whether this run measured round-trip latency at all (broadcast and refused-only runs do not). */
function measuredLatency(r: RunReport): boolean {
  return r.results.latency.corrected.count > 0;
}

function hadChaos(r: RunReport): boolean {
  return Object.values(r.results.chaos.counts).some((v) => v > 0);
}

function hadErrors(r: RunReport): boolean {
  return r.results.series.some((x) => x.errors > 0 || x.behindSchedule > 0);
}

function latencySection(r: RunReport): string {
  const res = r.results;
  if (!measuredLatency(r)) {
    const why = res.throughput.echoed === 0 ? 'no echo came back' : `mode ${String(r.options.mode ?? 'echo')} checks delivery, not round trips`;
    return `<section><h2>Latency</h2><p class="none" data-k="noLatency">No latency measured in this run: ${esc(why)}.</p></section>`;
  }
  const rows = [
    latencyRow('echo, corrected', 'results.latency.corrected', res.latency.corrected),
    latencyRow('echo, uncorrected', 'results.latency.uncorrected', res.latency.uncorrected),
    latencyRow('connect', 'results.latency.connect', res.latency.connect),
    ...(res.latency.clientLag === undefined ? [] : [clientLagRow(res.latency.clientLag)]),
  ];
  return `<section><h2>Latency</h2>
<h3>Percentile spectrum (log scale), corrected and uncorrected for coordinated omission</h3>
<div class="chart" id="chart-spectrum" data-chart="spectrum"></div>
${table(['ms', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'min', 'samples'], rows, 'latency')}
${clientBoundNote(r)}
<div class="grid">
<div><h3>Histogram (corrected, log-spaced bins)</h3><div class="chart" id="chart-histogram" data-chart="histogram"></div></div>
<div><h3>p99 against throughput (a point a second)</h3><div class="chart" id="chart-load" data-chart="load"></div></div>
</div>
<h3>Latency over time (per second, corrected)</h3>
<div class="chart" id="chart-latency" data-chart="latency"></div>
</section>`;
}

/** Only in runs that cut connections: the cuts per second by action, the totals and the first cuts. */
function chaosSection(r: RunReport): string {
  const res = r.results;
  if (!hadChaos(r)) return '';
  const chaosRows = Object.entries(res.chaos.counts).map(([k, v]): Cell[] => [k, num(`results.chaos.counts.${k}`, v)]);
  const cutRows = res.chaos.cuts.slice(0, 50).map((c): Cell[] => [c.serial, c.action, c.seq, c.inFlight, c.atMs]);
  const first = cutRows.length > 0 ? `<h3>First cuts (${esc(cutRows.length)} of ${esc(res.chaos.cuts.length)})</h3>${table(['connection', 'action', 'next seq', 'in flight', 'at ms'], cutRows)}` : '';
  // Reports written before the ticks carried cuts have only the totals.
  const perSecond = res.series.some((x) => x.cuts !== undefined)
    ? '<h3>Cuts per second by action</h3><div class="chart" id="chart-cuts" data-chart="cuts"></div>'
    : '<p class="none">Cuts per second were not recorded in this (older) report.</p>';
  return `<section><h2>Chaos</h2>
${perSecond}
${table(['action', 'count'], chaosRows)}
${first}
</section>`;
}

/** Client errors by code; a chart per second only when something was counted (no flat zero lines). */
function errorsSection(r: RunReport): string {
  const errorRows = Object.entries(r.results.clientErrors).map(([k, v]): Cell[] => [k, num(`results.clientErrors.${k}`, v), isExpectedClientEvent(k) ? 'expected in this scenario' : { html: '<span class="badge unknown">error</span>' }]);
  const chart = hadErrors(r) ? '<h3>Errors and late sends per second</h3><div class="chart" id="chart-errors" data-chart="errors"></div>' : '';
  return `<section><h2>Client errors and expected events</h2>${chart}${errorRows.length > 0 ? table(['code', 'count', ''], errorRows) : '<p>none</p>'}</section>`;
}

function buildSection(r: RunReport): string {
  const m = r.meta;
  const commit = m.git.commit === null ? 'not a git checkout' : `${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty working tree)' : ''}`;
  const rows: Cell[][] = [
    ['commit', { html: `<code data-k="meta.git.commit">${esc(commit)}</code>` }],
    ['lanstress', m.tool.version],
    ['addon', `${m.addon.buildType}${m.addon.flags ? ` (${m.addon.flags})` : ''}, backend ${m.addon.backend ?? 'unknown'}`],
    ['node', m.node],
    ['machine', `${m.os.platform} ${m.os.release} ${m.os.arch}, ${m.cpu.model}, ${m.cpu.cores} cores`],
    ['started', `${m.startedAt} → ${m.finishedAt} (${m.durationSec.toFixed(1)} s)`],
    ['seed', m.seed],
    ['command', { html: `<code>stress ${esc(m.argv.join(' '))}</code>` }],
  ];
  return `<section class="build"><h2>Build</h2>${table(['', ''], rows, 'kv')}</section>`;
}

function keyNumbers(r: RunReport): string {
  const res = r.results;
  const c = res.latency.corrected;
  const card = (label: string, value: { html: string }): string => `<div class="card"><div class="label">${esc(label)}</div><div class="value">${value.html}</div></div>`;
  const errors = res.series.reduce((a, t) => a + t.errors, 0);
  return `<div class="cards">
${card('echoes/s', num('results.throughput.echoesPerSec', res.throughput.echoesPerSec, formatScaled(res.throughput.echoesPerSec)))}
${card('bytes/s', num('results.throughput.bytesPerSec', res.throughput.bytesPerSec, formatValue(res.throughput.bytesPerSec, 'B/s')))}
${measuredLatency(r) ? `${card('p50', num('results.latency.corrected.p50', c.p50, msText(c.p50)))}
${card('p99', num('results.latency.corrected.p99', c.p99, msText(c.p99)))}
${card('p99.9', num('results.latency.corrected.p999', c.p999, msText(c.p999)))}
${card('max', num('results.latency.corrected.max', c.max, msText(c.max)))}` : card('latency', { html: 'not measured' })}
${card('connections', num('results.connections.opened', res.connections.opened))}
${card('errors', num('errors', errors))}
</div>`;
}

/** A row for every server counter: a counter added to the list does not compile until it has a label here. */
const SERVER_COUNTER_LABELS: Record<ServerCounter | NewerServerCounter, string> = {
  accepted: 'accepted',
  released: 'released',
  sessions: 'sessions (last stats)',
  peakSessions: 'peak sessions',
  recvPackets: 'packets received',
  recvBytes: 'bytes received',
  sendPackets: 'packets sent',
  sendBytes: 'bytes sent',
  staleIdCalls: 'stale id calls',
  pendingIoSessions: 'pending-I/O sessions',
  disconnectingSessions: 'disconnecting sessions',
  freeSlots: 'free slots',
  probeCalls: 'probe calls',
  strandedSessions: 'stranded sessions',
  livePackets: 'live packets',
  handlerWaits: 'waits for a slow JS handler',
};

function serverSection(r: RunReport): string {
  const s = r.server;
  if (s.stats === null) {
    return `<section><h2>Server</h2><p>External target ${esc(formatHostPort(r.target.host, r.target.port))}: its stats are unknown.</p></section>`;
  }
  const st = s.stats;
  const counters = [...SERVER_COUNTERS, ...NEWER_SERVER_COUNTERS].flatMap((k): Cell[][] => {
    const v = st[k];
    return v === undefined ? [] : [[SERVER_COUNTER_LABELS[k], num(`server.stats.${k}`, v)]];
  });
  const rows: Cell[][] = [
    ...counters,
    ...REJECT_REASONS.map((k): Cell[] => [`rejected (${k})`, num(`server.stats.rejected.${k}`, st.rejected[k])]),
    ['sessions at the end', num('server.finalSessions', s.finalSessions)],
    ['leaked', { html: `${num('server.leaked', s.leaked).html} ${s.leaked === 0 ? '' : badge(false).html}` }],
    ['crashed', { html: s.crashed ? badge(false).html : 'no' }],
    ['exit', `code ${s.exitCode ?? '—'}${s.signal ? `, signal ${s.signal}` : ''}`],
  ];
  const disconnects = Object.entries(st.disconnects).map(([k, v]): Cell[] => [k, num(`server.stats.disconnects.${k}`, v)]);
  const anomalies = Object.entries(st.anomalies).map(([k, v]): Cell[] => [k, num(`server.stats.anomalies.${k}`, v), badge(v === 0)]);
  const tail = s.stderrTail.length > 0 ? `<h3>stderr (last lines)</h3><pre>${esc(s.stderrTail.join('\n'))}</pre>` : '';
  return `<section><h2>Server</h2><div class="grid">
<div>${table(['stat', 'value'], rows)}</div>
<div><h3>Disconnects by reason</h3>${table(['reason', 'count'], disconnects)}
<h3>Anomalies (must stay 0)</h3>${table(['counter', 'count', ''], anomalies)}</div>
</div>${tail}</section>`;
}

const STYLE = `
:root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1a1a1a; background: #fafafa; }
body { margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; box-sizing: border-box; }
h1 { font-size: 1.5rem; margin: 0.3em 0; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.6em 0 0.5em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 0.95rem; margin: 1em 0 0.4em; }
p.desc { color: #555; margin: 0 0 0.8em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; table-layout: auto; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e6e6e6; overflow-wrap: anywhere; word-break: break-word; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td span[data-v] { font-variant-numeric: tabular-nums; }
table.kv thead { display: none; }
table.kv td:first-child { color: #555; width: 28%; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.8rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f4f4; padding: 8px; }
.badge { display: inline-block; white-space: nowrap; padding: 0 6px; border-radius: 3px; font-weight: 600; font-size: 0.8rem; }
.badge.pass { background: #e8f5e9; color: #1b5e20; }
.badge.fail { background: #c62828; color: #fff; }
.badge.unknown { background: #fff3e0; color: #e65100; }
.badge.interrupted { background: #e65100; color: #fff; }
p.interrupted, p.client-bound { background: #fff3e0; border-left: 4px solid #e65100; padding: 6px 10px; }
.failures { background: #ffebee; border-left: 4px solid #c62828; padding: 6px 10px; }
.failures p { margin: 0 0 4px; font-weight: 600; }
.failures ul { margin: 0; padding-left: 1.2em; }
.failures li.unknown { color: #e65100; }
p.gates-ok { background: #e8f5e9; border-left: 4px solid #2e7d32; padding: 6px 10px; }
p.none { color: #555; font-style: italic; }
.verdict { font-size: 1rem; padding: 2px 10px; vertical-align: middle; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; margin: 12px 0; }
.card { background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; padding: 8px; }
.card .label { font-size: 0.75rem; color: #666; }
.card .value { font-size: 1.15rem; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
.chart { width: 100%; min-height: 60px; background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; padding: 4px 0; overflow: hidden; }
.chart.empty { color: #888; padding: 16px; box-sizing: border-box; }
`;

const VERDICT_BADGE: Record<RunReport['verdict'], { cls: string; text: string; title: string }> = {
  pass: { cls: 'pass', text: 'PASS', title: 'pass' },
  fail: { cls: 'fail', text: 'FAIL', title: 'FAIL' },
  interrupted: { cls: 'interrupted', text: 'INTERRUPTED', title: 'INTERRUPTED' },
};

export interface RenderOptions {
  /** Where the JSON report lives, shown in the page. */
  source?: string;
}

export function renderHtml(report: RunReport, opts: RenderOptions = {}): string {
  const r = report;
  const res = r.results;
  const verdict = VERDICT_BADGE[r.verdict];
  const title = `lanstress ${r.scenario.name}: ${verdict.title} (${r.meta.git.commit?.slice(0, 7) ?? 'no git'}${r.meta.git.dirty ? '-dirty' : ''})`;
  const integrityRows = Object.entries(res.integrity).map(([k, v]): Cell[] => [
    k,
    num(`results.integrity.${k}`, v),
    isIntegrityError(k) ? badge(v === 0) : k === 'abandoned' ? 'expected under chaos' : '',
  ]);
  const conn = res.connections;
  const connRows: Cell[][] = [
    ['target', num('results.connections.target', conn.target)],
    ['opened', num('results.connections.opened', conn.opened)],
    ['peak open', num('results.connections.peak', conn.peak)],
    ['reconnects', num('results.connections.reconnects', conn.reconnects)],
    ['connect errors', num('results.connections.connectErrors', conn.connectErrors)],
  ];
  const tp = res.throughput;
  const tpRows: Cell[][] = [
    ['packets sent / echoed', { html: `${num('results.throughput.sent', tp.sent).html} / ${num('results.throughput.echoed', tp.echoed).html}` }],
    ['bytes sent / echoed', { html: `${num('results.throughput.bytesSent', tp.bytesSent).html} / ${num('results.throughput.bytesEchoed', tp.bytesEchoed).html}` }],
    ['sends behind the open-loop schedule', num('results.throughput.behindSchedule', tp.behindSchedule)],
    ['client workers', num('results.client.workers', res.client.workers)],
    ['worst event-loop lag', num('results.client.maxLagMs', res.client.maxLagMs, msText(res.client.maxLagMs))],
    ['client CPU (mean, % of a core)', num('results.client.meanCpuPercent', res.client.meanCpuPercent, res.client.meanCpuPercent.toFixed(0))],
    ['client was the bottleneck', res.client.bottleneck ? 'yes: the numbers measure the client, not the server' : 'no'],
  ];
  const optionRows = Object.entries(r.options).map(([k, v]): Cell[] => [k, optionText(v)]);
  optionRows.push(['resolved target', `${r.target.kind} ${formatHostPort(r.target.host, r.target.port)}`]);

  return htmlDocument(title, `<h1>lanstress: ${esc(r.scenario.name)} <span class="badge verdict ${verdict.cls}" data-k="verdict">${verdict.text}</span></h1>
<p class="desc">${esc(`${res.connections.target} clients, ${sendModelText(r)}, ${r.meta.durationSec.toFixed(1)} s, ${r.target.kind} target, backend ${r.meta.addon.backend ?? 'unknown'}, seed ${r.meta.seed}`)}${opts.source ? ` — <code>${esc(opts.source)}</code>` : ''}</p>
${r.interrupted === undefined ? '' : `<p class="interrupted" data-k="interrupted">${esc(interruptedText(r.interrupted))}</p>`}
${failuresBox(r)}
${clientBoundNote(r)}
${keyNumbers(r)}
${latencySection(r)}
<section><h2>Throughput and connections</h2>
<div class="chart" id="chart-throughput" data-chart="throughput"></div>
<div class="grid"><div>${table(['connections', ''], connRows)}</div><div>${table(['throughput', ''], tpRows)}</div></div>
</section>
<section><h2>Integrity</h2>
${table(['class', 'count', ''], integrityRows, 'integrity')}
</section>
${chaosSection(r)}
${errorsSection(r)}
<section><h2>Gates</h2>
${table(['gate', 'kind', 'measured', 'expected', 'verdict'], gateRows(r.gates), 'gates')}
</section>
${serverSection(r)}
<section><h2>Configuration</h2>
<p class="desc">${esc(r.scenario.description)}</p>
${table(['option', 'value'], optionRows, 'kv options')}
</section>
${buildSection(r)}
`, chartData(r), CHART_SCRIPT);
}

/**
 * A self-contained page: uPlot and its CSS inlined, the chart data in a JSON block, a
 * Content-Security-Policy that forbids any fetch. `body` is trusted markup (every report
 * string in it already escaped); `script` draws the charts from `data`.
 */
export function htmlDocument(title: string, body: string, data: unknown, script: string): string {
  const { js, css } = uplotAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${css}</style>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${js}</script>
<script>${script}</script>
</body>
</html>
`;
}
