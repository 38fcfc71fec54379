/**
 * Gate verdicts (docs/report.md). The integrity gate is always computed; whether a
 * failure changes the exit code is the caller's choice (--gate). Pure.
 */
import type { GateGiven, ScenarioGate } from '../../scenarios/types';
import type { RunOptions } from './options';
import type { GateVerdict, RunReport } from '../report/types';
import { ANOMALIES } from '../../server/types';
import { INTEGRITY_ERRORS } from '../../dummy-client/types';
import { compareValues, type CompareOp } from './compare-op';
import type { Metrics } from './metrics';
import { gateApplies, gateValue } from './scenario-exprs';

function check(name: string, kind: GateVerdict['kind'], actual: number | null, op: CompareOp, value: number): GateVerdict {
  return {
    name,
    kind,
    actual,
    expected: `${op} ${value}`,
    unknown: actual === null,
    // An unknown gate is not a pass: a consumer that ignores `unknown` must not be told all is well.
    pass: actual !== null && compareValues(actual, op, value),
  };
}

/** The always-on gate (docs/report.md): integrity errors 0, leaked 0, sessions back to 0, anomalies 0, no crash. */
export function integrityGates(m: Metrics): GateVerdict[] {
  const gates = INTEGRITY_ERRORS.map((k) => check(`integrity.${k} == 0`, 'integrity', m[`integrity.${k}`] ?? 0, '==', 0));
  gates.push(check('server.leaked == 0', 'server', m['server.leaked'] ?? null, '==', 0));
  gates.push(check('server.sessions == 0', 'server', m['server.sessions'] ?? null, '==', 0));
  for (const a of ANOMALIES) gates.push(check(`server.anomalies.${a} == 0`, 'server', m[`server.anomalies.${a}`] ?? null, '==', 0));
  gates.push(check('server.zombies == 0', 'server', m['server.zombies'] ?? null, '==', 0));
  gates.push(check('server.leakedPackets == 0', 'server', m['server.leakedPackets'] ?? null, '==', 0));
  gates.push(check('server.crashed == 0', 'server', m['server.crashed'] ?? null, '==', 0));
  return gates;
}

/**
 * A scenario's expectations. A client error code never seen is a count of 0, not unknown (the
 * report lists only the codes that occurred). A value computed from the options (a memory bound
 * from clients x sendQueueLimit) is judged against this run's options.
 */
export function scenarioGates(gates: readonly ScenarioGate[], m: Metrics, options: RunOptions): GateVerdict[] {
  return gates.filter((g) => gateApplies(g, options)).map((g) => {
    const value = gateValue(g, options);
    const verdict = check(`${g.metric} ${g.op} ${value}`, 'scenario', measured(m, g.metric), g.op, value);
    const missing = g.given === undefined ? null : unmet(g.given, m);
    return missing === null ? verdict : { ...verdict, unknown: true, pass: false, notJudged: missing };
  });
}

function measured(m: Metrics, metric: string): number | null {
  return m[metric] ?? (metric.startsWith('clientErrors.') ? 0 : null);
}

/** What a gate's precondition lacked ("chaos.rstMidBurst was 0, needs >= 2"); null when it held. */
function unmet(given: GateGiven, m: Metrics): string | null {
  const actual = measured(m, given.metric);
  if (actual !== null && compareValues(actual, given.op, given.value)) return null;
  return `${given.metric} was ${actual ?? 'unknown'}, needs ${given.op} ${given.value}`;
}

/**
 * A run fails when any gate that could be judged failed; unknown gates neither pass nor fail it.
 * A run stopped early is 'interrupted' whatever its gates say (it never passes), unless the
 * server crashed: that is a fail (exit 3) even when a signal came too.
 */
export function verdictOf(r: Pick<RunReport, 'gates' | 'interrupted'> & { server: { crashed: boolean } }): RunReport['verdict'] {
  if (r.server.crashed) return 'fail';
  if (r.interrupted !== undefined) return 'interrupted';
  return r.gates.some((g) => !g.unknown && !g.pass) ? 'fail' : 'pass';
}

export function failedGates(gates: readonly GateVerdict[]): GateVerdict[] {
  return gates.filter((g) => !g.unknown && !g.pass);
}
