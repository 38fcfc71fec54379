/**
 * Every gate of a merged report judged again on the merged numbers, by the code a run judges
 * its own with (gates.ts, thresholds/): a fault spread thin over the parts (2 lost echoes each,
 * under a bound of 3) fails the fleet though each part passed. Pure.
 */
import * as os from 'node:os';
import { findScenario } from '../../scenarios';
import type { GateVerdict, RunReport } from '../report/types';
import { integrityGates, scenarioGates, verdictOf } from '../run/gates';
import { reportMetrics } from '../run/metrics';
import { optionsFromRecord } from '../run/options';
import { evaluateThresholds } from '../thresholds';

/**
 * Gates a run takes from its server's exit (sanitizer reports, a stop that timed out) rather
 * than from a metric: on the merge, each is the parts' actuals added.
 */
const EXIT_GATES = ['server.sanitizer == 0', 'server.stopTimedOut == 0'] as const;

function exitGate(name: string, parts: readonly RunReport[]): GateVerdict[] {
  const found = parts.flatMap((r) => r.gates.filter((g) => g.name === name));
  if (found.length === 0) return [];
  const actual = found.reduce((a, g) => a + (g.actual ?? 0), 0);
  return [{ name, kind: 'server', pass: actual === 0, actual, expected: '== 0 (over every part)', unknown: false }];
}

/** The merged report with its gates and verdict; throws when its scenario or options cannot be read back (a file from another version). */
export function judgeMerged(merged: RunReport, parts: readonly RunReport[]): RunReport {
  const scenarioGatesData = merged.scenario.gates ?? findScenario(merged.scenario.name)?.gates;
  if (scenarioGatesData === undefined) throw new Error(`unknown scenario '${merged.scenario.name}'`);
  const resolved = optionsFromRecord(merged.options, { cores: os.availableParallelism(), randomSeed: 0 });
  if (!resolved.ok) throw new Error(`its options do not read back: ${resolved.errors.join('; ')}`);
  const options = resolved.options;
  const metrics = reportMetrics(merged);
  const gates = [
    ...integrityGates(metrics),
    ...scenarioGates(scenarioGatesData, metrics, options),
    ...EXIT_GATES.flatMap((name) => exitGate(name, parts)),
    ...evaluateThresholds(merged, options.thresholds),
  ];
  return { ...merged, gates, verdict: verdictOf({ ...merged, gates }) };
}
