import { badInput } from './bad-input';
import { broadcast } from './broadcast';
import { chaos } from './chaos';
import { churn } from './churn';
import { echoFlood } from './echo-flood';
import { maxSessions } from './max-sessions';
import { slowReader } from './slow-reader';
import type { Scenario } from './types';

export type { Scenario, ScenarioGate, CompareOp } from './types';

/** The registry, in the order `stress scenarios` lists them; the first is the default. */
export const SCENARIOS: readonly Scenario[] = [echoFlood, chaos, churn, broadcast, slowReader, badInput, maxSessions];

export const DEFAULT_SCENARIO = echoFlood.name;

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
