/**
 * A RunReport as JUnit XML for CI test views: one test case per gate (integrity,
 * server, scenario and user thresholds), a failure carrying the measured value,
 * unknown gates as skipped. Pure.
 */
import type { GateVerdict, RunReport } from '../report/types';

/** XML 1.0 cannot carry most control characters at all, even escaped: they are dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function measured(g: GateVerdict): string {
  return g.actual === null ? 'unknown' : String(Number(g.actual.toPrecision(12)));
}

function testCase(g: GateVerdict, suite: string): string {
  const open = `    <testcase classname="${xmlEscape(`${suite}.${g.kind}`)}" name="${xmlEscape(g.name)}" time="0">`;
  if (g.unknown) return `${open}\n      <skipped message="${xmlEscape(`unknown: measured ${measured(g)}, expected ${g.expected}`)}"/>\n    </testcase>`;
  if (g.pass) return `${open}</testcase>`;
  const message = `measured ${measured(g)}, expected ${g.expected}`;
  return `${open}\n      <failure message="${xmlEscape(message)}" type="${xmlEscape(g.kind)}">${xmlEscape(`${g.name}: ${message}`)}</failure>\n    </testcase>`;
}

export function toJUnit(report: RunReport): string {
  const suite = `lanstress.${report.scenario.name}`;
  const gates = report.gates;
  const failures = gates.filter((g) => !g.unknown && !g.pass).length;
  const skipped = gates.filter((g) => g.unknown).length;
  const time = report.meta.durationSec.toFixed(3);
  const m = report.meta;
  const props: Array<[string, string]> = [
    ['verdict', report.verdict],
    ['git.commit', m.git.commit ?? 'none'],
    ['git.dirty', String(m.git.dirty)],
    ['lanstress.version', m.tool.version],
    ['addon', `${m.addon.buildType} ${m.addon.backend ?? ''}`.trim()],
    ['node', m.node],
    ['seed', String(m.seed)],
    ['throughput.echoesPerSec', String(report.results.throughput.echoesPerSec)],
    ['latency.corrected.p99.ms', String(report.results.latency.corrected.p99)],
  ];
  const counts = `tests="${gates.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lanstress" ${counts}>`,
    `  <testsuite name="${xmlEscape(suite)}" ${counts} timestamp="${xmlEscape(m.startedAt)}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`),
    '    </properties>',
    ...gates.map((g) => testCase(g, suite)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
