import { echoFlood } from './echo-flood';
import type { Scenario } from './types';

export type { Scenario, ScenarioGate, CompareOp } from './types';

/** The registry, in the order `stress scenarios` lists them; the first is the default. */
export const SCENARIOS: readonly Scenario[] = [echoFlood];

export const DEFAULT_SCENARIO = echoFlood.name;

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
