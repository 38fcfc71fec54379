/**
 * A scenario is data: a name, what it exercises, the run options it changes,
 * and the outcomes it expects beyond the always-on integrity gate.
 * Adding a scenario is one entry in scenarios/index.ts.
 */
import type { RunOptions } from '../stress/run/options';

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/**
 * An expected outcome, checked against a metric of the finished run
 * (names as in stress/run/metrics.ts, e.g. 'server.disconnects.protocol').
 */
export interface ScenarioGate {
  metric: string;
  op: CompareOp;
  value: number;
  /** Why this outcome is expected: shown next to a failing verdict. */
  why: string;
}

export interface Scenario {
  name: string;
  /** One line, shown by `stress scenarios`. */
  description: string;
  /** Flags given on the command line still win over these. */
  defaults: Partial<RunOptions>;
  gates: ScenarioGate[];
}
