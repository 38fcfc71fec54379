/**
 * A scenario as a scenario file (`stress scenarios --print NAME`): what, saved and run with
 * `stress run FILE.json`, gives the same options and gates. Options by id in the flag table's
 * order, each in the form its flag reads; gates and derived options as their expressions. Pure.
 */
import * as path from 'node:path';
import type { Scenario } from '../../scenarios/types';
import type { RunOptions } from '../run/option-types';
import { RUN_FLAGS, SCENARIO_ONLY_OPTIONS, recordValue, trafficFlagValue } from '../run/options';
import { copyGate, type GateJson, type ScenarioFileJson, type StageJson } from './load';

/** The schema this package ships, for a printed file's "$schema" (editors complete and check it). */
export const SHIPPED_SCHEMA = path.resolve(__dirname, '..', '..', '..', 'schema', 'scenario.schema.json');

type OptionValue = NonNullable<ScenarioFileJson['options']>[string];

function fileValue(o: RunOptions, flag: (typeof RUN_FLAGS)[number]): OptionValue {
  if (flag.key === 'traffic') return trafficFlagValue(o.traffic);
  if (flag.type === 'duration') return `${o[flag.key] as number}${flag.unit}`;
  return recordValue(o, flag.key);
}

function stageJson(s: RunOptions['stages'][number]): StageJson {
  return { duration: s.durationSec, clients: s.clients, ...(s.rate === null ? {} : { rate: s.rate }), ...(s.totalRate === null ? {} : { totalRate: s.totalRate }) };
}

/** A closed-loop pipeline of null beside a rate is the send model's rule, not something to write. */
function impliedNull(defaults: Partial<RunOptions>, key: keyof RunOptions): boolean {
  return defaults[key] === null && (key === 'pipeline' || key === 'rate' || key === 'totalRate');
}

export function scenarioToFile(s: Scenario): ScenarioFileJson {
  const d = s.defaults;
  // Only the keys the scenario sets are read: fileValue sees a whole RunOptions shape.
  const o = d as RunOptions;
  const options: Record<string, OptionValue> = {};
  for (const flag of RUN_FLAGS) {
    if (!(flag.key in d) || flag.key === 'stages' || impliedNull(d, flag.key)) continue;
    options[flag.id] = fileValue(o, flag);
  }
  for (const id of SCENARIO_ONLY_OPTIONS) if (d[id] !== undefined) options[id] = d[id];
  const gates: GateJson[] = s.gates.map(copyGate);
  return {
    $schema: SHIPPED_SCHEMA,
    name: s.name,
    description: s.description,
    options,
    ...(d.stages !== undefined && d.stages.length > 0 ? { stages: d.stages.map(stageJson) } : {}),
    ...(s.derive === undefined ? {} : { derive: { ...s.derive } }),
    gates,
  };
}
