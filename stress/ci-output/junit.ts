/**
 * A RunReport as JUnit XML for CI test views: one test case per gate (integrity,
 * server, scenario and user thresholds), a failure carrying the measured value,
 * unknown gates as skipped, and an interrupted run as a failing case of its own. Pure.
 */
import { interruptedText } from '../report/interrupted';
import { gateActual, unknownText } from '../format/gate-value';
import type { GateVerdict, RunReport } from '../report/types';

/** XML 1.0 cannot carry most control characters at all, even escaped: they are dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function measured(g: GateVerdict): string {
  return gateActual(g);
}

function testCase(g: GateVerdict, suite: string): string {
  const open = `    <testcase classname="${xmlEscape(`${suite}.${g.kind}`)}" name="${xmlEscape(g.name)}" time="0">`;
  if (g.unknown) return `${open}\n      <skipped message="${xmlEscape(`${unknownText(g)}: measured ${measured(g)}, expected ${g.expected}`)}"/>\n    </testcase>`;
  if (g.pass) return `${open}</testcase>`;
  const message = `measured ${measured(g)}, expected ${g.expected}`;
  return `${open}\n      <failure message="${xmlEscape(message)}" type="${xmlEscape(g.kind)}">${xmlEscape(`${g.name}: ${message}`)}</failure>\n    </testcase>`;
}

/** A run stopped early is a failing test case of its own, so a CI test view never shows it green. */
function interruptedCase(report: RunReport, suite: string): string {
  const i = report.interrupted;
  if (i === undefined) return '';
  const message = interruptedText(i);
  return `    <testcase classname="${xmlEscape(`${suite}.run`)}" name="run completed" time="0">\n      <failure message="${xmlEscape(message)}" type="interrupted">${xmlEscape(message)}</failure>\n    </testcase>`;
}

interface SuiteCounts {
  tests: number;
  failures: number;
  skipped: number;
  time: number;
}

function countsText(c: SuiteCounts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="0" skipped="${c.skipped}" time="${c.time.toFixed(3)}"`;
}

function suiteOf(report: RunReport, name: string): { xml: string[]; counts: SuiteCounts } {
  const gates = report.gates;
  const stopped = report.interrupted === undefined ? 0 : 1;
  const counts: SuiteCounts = {
    tests: gates.length + stopped,
    failures: gates.filter((g) => !g.unknown && !g.pass).length + stopped,
    skipped: gates.filter((g) => g.unknown).length,
    time: report.meta.durationSec,
  };
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
  const xml = [
    `  <testsuite name="${xmlEscape(name)}" ${countsText(counts)} timestamp="${xmlEscape(m.startedAt)}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`),
    '    </properties>',
    ...(stopped > 0 ? [interruptedCase(report, name)] : []),
    ...gates.map((g) => testCase(g, name)),
    '  </testsuite>',
  ];
  return { xml, counts };
}

/** One run: one test suite named after its scenario. */
export function toJUnit(report: RunReport): string {
  return toJUnitRuns([{ report, label: null }]);
}

/**
 * Several runs of one command (one per backend): one file, a test suite per run, named
 * lanstress.<scenario>.<label> so each backend's failures stand apart.
 */
export function toJUnitRuns(runs: ReadonlyArray<{ report: RunReport; label: string | null }>): string {
  const suites = runs.map(({ report, label }) => suiteOf(report, `lanstress.${report.scenario.name}${label === null ? '' : `.${label}`}`));
  const total: SuiteCounts = { tests: 0, failures: 0, skipped: 0, time: 0 };
  for (const { counts } of suites) {
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.skipped += counts.skipped;
    total.time += counts.time;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lanstress" ${countsText(total)}>`,
    ...suites.flatMap((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}
