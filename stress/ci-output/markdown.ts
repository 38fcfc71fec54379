/** A RunReport as Markdown for a CI step summary or a pull-request comment. Pure. */
import { formatHostPort } from '../../server/loopback';
import { formatMs, formatScaled, formatValue } from '../format/units';
import { gateActual, unknownText } from '../format/gate-value';
import { mdCell, mdCode } from '../format/markdown';
import { interruptedText } from '../report/interrupted';
import { clientBoundText } from '../report/client-bound';
import { integrityErrors } from '../../dummy-client/integrity';
import type { GateVerdict, Percentiles, RunReport } from '../report/types';
import { sendModelText } from '../compare/settings';

const HEADLINE: Record<RunReport['verdict'], string> = { pass: '✅ PASS', fail: '❌ FAIL', interrupted: '⏹️ INTERRUPTED' };

function gateLine(g: GateVerdict): string {
  const verdict = g.unknown ? `⚪ ${mdCell(unknownText(g))}` : g.pass ? '✅ pass' : '❌ **FAIL**';
  return `| ${mdCode(g.name)} | ${mdCell(g.kind)} | ${mdCell(gateActual(g))} | ${mdCell(g.expected)} | ${verdict} |`;
}

/** p50..max in ms, or "not measured" where the run measured no round trip (broadcast). */
function latencyCells(c: Percentiles): string {
  if (c.count === 0) return ['not measured', '', '', '', ''].join(' | ');
  return [c.p50, c.p90, c.p99, c.p999, c.max].map((v) => `${formatMs(v)} ms`).join(' | ');
}

/** One run; `label` (the backend, when a command ran several) goes into the heading. */
export function toMarkdown(report: RunReport, label: string | null = null): string {
  const r = report.results;
  const m = report.meta;
  const c = r.latency.corrected;
  const failed = report.gates.filter((g) => !g.unknown && !g.pass);
  const commit = m.git.commit === null ? 'no git' : `${m.git.commit.slice(0, 10)}${m.git.dirty ? '-dirty' : ''}`;
  const out: string[] = [
    `## lanstress \`${mdCell(report.scenario.name)}\`${label === null ? '' : ` on ${mdCell(label)}`}: ${HEADLINE[report.verdict]}`,
    '',
    ...(report.interrupted === undefined ? [] : [`> ⏹️ ${mdCell(interruptedText(report.interrupted))}`, '']),
    `Build \`${mdCell(commit)}\` · addon ${mdCell(m.addon.buildType)} ${mdCell(m.addon.backend ?? '')} · lanstress ${mdCell(m.tool.version)} · node ${mdCell(m.node)} · ${mdCell(m.cpu.model)} ×${m.cpu.cores}`,
    `${r.connections.target} clients, ${mdCell(sendModelText(report))}, ${m.durationSec.toFixed(1)} s, target ${report.target.kind} ${mdCell(formatHostPort(report.target.host, report.target.port))}, started ${mdCell(m.startedAt)}`,
    '',
    '| echoes/s | bytes/s | p50 | p90 | p99 | p99.9 | max | connect errors | integrity errors | leaked |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${formatScaled(r.throughput.echoesPerSec)} | ${formatValue(r.throughput.bytesPerSec, 'B/s')} | ${latencyCells(c)} | ${r.connections.connectErrors} | ${integrityErrors(r.integrity)} | ${report.server.leaked ?? 'n/a'} |`,
    '',
    ...(r.latency.clientBound?.bound === true ? [`> ⚠️ ${mdCell(clientBoundText(r.latency.clientBound))}`, ''] : []),
  ];
  if (failed.length > 0) out.push(`**Failed:** ${failed.map((g) => mdCode(g.name)).join(', ')}`, '');
  out.push('| gate | kind | measured | expected | verdict |', '|---|---|---:|---|---|', ...report.gates.map(gateLine), '');
  if (report.server.crashed) out.push(`> ❌ The server under test crashed (exit ${report.server.exitCode ?? '?'}${report.server.signal ? `, ${mdCell(report.server.signal)}` : ''}).`, '');
  return `${out.join('\n')}\n`;
}

/** Several runs of one command (one per backend): a verdict line per run, then each run in full. */
export function toMarkdownRuns(runs: ReadonlyArray<{ report: RunReport; label: string | null }>): string {
  if (runs.length === 1 && runs[0] !== undefined) return toMarkdown(runs[0].report, runs[0].label);
  const rows = runs.map(({ report, label }) => `| ${mdCell(label ?? report.scenario.name)} | ${HEADLINE[report.verdict]} | ${report.gates.filter((g) => !g.unknown && !g.pass).length} |`);
  const head = ['| backend | verdict | failed gates |', '|---|---|---:|', ...rows, ''].join('\n');
  return `${head}\n${runs.map(({ report, label }) => toMarkdown(report, label)).join('\n')}`;
}
