/**
 * A scenario is data: a name, what it exercises, the run options it changes,
 * and the outcomes it expects beyond the always-on integrity gate.
 * Adding a scenario is one entry in scenarios/index.ts.
 */
import type { RunOptions } from '../stress/run/option-types';
import type { CompareOp } from '../stress/run/compare-op';

export type { CompareOp };

/**
 * An expected outcome, checked against a metric of the finished run
 * (names as in stress/run/metrics.ts, e.g. 'server.disconnects.protocol').
 */
export interface ScenarioGate {
  metric: string;
  op: CompareOp;
  /**
   * A fixed value, or an expression over the run's options (stress/run/option-expr.ts) that
   * yields one, e.g. a memory bound from clients x sendQueueLimit. An expression, not a function,
   * so the gate is data a scenario file can carry (`stress scenarios --print`).
   */
  value: number | string;
  /** Why this outcome is expected: shown next to a failing verdict. */
  why: string;
  /** Judged only when this expression holds for the run's options (e.g. a kick count only when `serverKick > 0`). */
  when?: string;
  /**
   * Judged only when the run gave the outcome a chance, measured by the fleet: e.g. a server that
   * must count RST cuts as resets is judged once the fleet made some. Otherwise the gate is unknown
   * (neither pass nor fail) and the report says what was missing: a short or small run must not
   * fail a correct server for something it never tried. Name a fleet-side metric, one the server
   * under test cannot hold back.
   */
  given?: GateGiven;
}

/** A measured precondition of a gate (ScenarioGate.given). */
export interface GateGiven {
  metric: string;
  op: CompareOp;
  value: number;
}

export interface Scenario {
  name: string;
  /** One line, shown by `stress scenarios`. */
  description: string;
  /** Flags given on the command line still win over these. */
  defaults: Partial<RunOptions>;
  /**
   * Options that follow other options unless given on the command line (max-sessions keeps the
   * server's cap below --clients): option id -> expression over the resolved options
   * (stress/run/option-expr.ts). The result is validated again.
   */
  derive?: Readonly<Record<string, string>>;
  gates: ScenarioGate[];
}
