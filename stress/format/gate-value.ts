/** A gate's measured value in the unit of what it measures, for every printer (terminal, HTML, Markdown, JUnit). Pure. */
import type { GateVerdict } from '../report/types';
import { findMetric, type MetricUnit } from '../run/metrics';
import { parseThreshold } from '../thresholds/grammar';
import { formatValue } from './units';

/** The unit of the metric a gate measures (the threshold's, or the registry metric its name starts with). */
export function gateUnit(g: GateVerdict): MetricUnit {
  if (g.kind === 'threshold') {
    try {
      const t = parseThreshold(g.name);
      return t.metric.kind === 'latency' ? 'ms' : t.metric.unit;
    } catch {
      return '';
    }
  }
  return findMetric(g.name.split(' ')[0] ?? '')?.unit ?? '';
}

/** An unknown gate's verdict: 'unknown', or why a measured one was not judged. */
export function unknownText(g: GateVerdict): string {
  return g.notJudged === undefined ? 'unknown' : `not judged: ${g.notJudged}`;
}

/** "13.8 ms" beside "expected < 1 ms", not a bare 13.799; 'unknown' when nothing was measured. */
export function gateActual(g: GateVerdict): string {
  return g.actual === null ? 'unknown' : formatValue(g.actual, gateUnit(g));
}
