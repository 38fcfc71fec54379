/**
 * A scenario's expressions (gate values and conditions, derived options) judged against a run's
 * options, through the report's options record: the names an expression uses are the ids the
 * report and scenario files use. Pure.
 */
import type { RawRunArgs } from './options';
import { OPTION_IDS, optionKey, optionsRecord } from './options';
import type { RunOptions } from './option-types';
import type { Scenario, ScenarioGate } from '../../scenarios/types';
import { ExprError, parseExpr, type ExprValue } from './option-expr';

function evalIn(source: string, o: RunOptions): ExprValue {
  return parseExpr(source, OPTION_IDS).eval(optionsRecord(o));
}

/** A gate's value for these options; an expression that yields no number is a bug of its scenario. */
export function gateValue(g: ScenarioGate, o: RunOptions): number {
  if (typeof g.value === 'number') return g.value;
  const v = evalIn(g.value, o);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ExprError(`gate ${g.metric}: value '${g.value}' gives ${JSON.stringify(v)}, not a number`);
  return v;
}

/** Whether a gate is judged for these options (no condition: always). */
export function gateApplies(g: ScenarioGate, o: RunOptions): boolean {
  if (g.when === undefined) return true;
  const v = evalIn(g.when, o);
  if (typeof v !== 'boolean') throw new ExprError(`gate ${g.metric}: when '${g.when}' gives ${JSON.stringify(v)}, not true or false`);
  return v;
}

/**
 * The scenario's derived options, each unless its flag was given on the command line. A derived
 * value has the type its option holds in the record (a number for maxSessions).
 */
export function applyDerived(scenario: Pick<Scenario, 'derive'>, o: RunOptions, given: RawRunArgs): RunOptions {
  const out: Record<string, unknown> = { ...o };
  const raw = given as Readonly<Record<string, unknown>>;
  for (const [id, source] of Object.entries(scenario.derive ?? {})) {
    if (raw[id] !== undefined) continue;
    const key = optionKey(id);
    if (key === undefined) throw new ExprError(`derive: unknown option '${id}'`);
    const v = evalIn(source, o);
    if (typeof v !== typeof o[key]) throw new ExprError(`derive ${id}: '${source}' gives ${JSON.stringify(v)}, not a ${typeof o[key]}`);
    out[key] = v;
  }
  return out as unknown as RunOptions;
}
