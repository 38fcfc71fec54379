/**
 * Reading a scenario file (`stress run FILE.json`) into a Scenario: the JSON checked against the
 * shipped schema (every problem, each at its JSON path), then every option parsed as its flag is,
 * every expression parsed; all before any load runs. Problems read `ramp.json: /stages/1/rate: must be >= 0`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import type { GateGiven, Scenario, ScenarioGate } from '../../scenarios/types';
import type { CompareOp } from '../run/compare-op';
import { OPTION_IDS, RUN_FLAGS, resolveRunOptions, scenarioDefaultsFrom, type RawRunArgs } from '../run/options';
import { applyDerived, gateApplies, gateValue } from '../run/scenario-exprs';
import { ExprError, parseExpr } from '../run/option-expr';
import { SET_BY_RATED_STAGES, SET_BY_STAGES } from '../run/stages-option';
import { Problems } from '../flags/values';
import { scenarioFileSchema } from './schema';

export interface MixJson {
  weight: number;
  payload: number | string;
}

type OptionValue = string | number | boolean | null | string[] | MixJson[];

export interface StageJson {
  duration: number | string;
  clients: number;
  rate?: number;
  totalRate?: number;
}

export interface GateJson {
  metric: string;
  op: CompareOp;
  value: number | string;
  why: string;
  when?: string;
  given?: GateGiven;
}

/** A scenario file as the schema describes it. */
export interface ScenarioFileJson {
  $schema?: string;
  name: string;
  description?: string;
  options?: Record<string, OptionValue>;
  stages?: StageJson[];
  derive?: Record<string, string>;
  gates?: GateJson[];
}

export type FileLoad = { ok: true; scenario: Scenario } | { ok: false; errors: string[] };

/** A scenario file names it the way `stress run` is given it. */
export function isScenarioFile(nameOrPath: string): boolean {
  return nameOrPath.endsWith('.json');
}

let validator: ReturnType<Ajv['compile']> | null = null;

function validate(data: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(scenarioFileSchema());
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** One line per JSON path: the branches of an anyOf joined with "or", ajv's "must match a schema in anyOf" dropped. */
function schemaProblems(label: string, errors: ErrorObject[]): string[] {
  const byPath = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword === 'anyOf') continue;
    const where = e.instancePath === '' ? '/' : e.instancePath;
    const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty: string }).additionalProperty)}'` : '';
    const list = byPath.get(where) ?? [];
    const text = `${e.message ?? e.keyword}${extra}`;
    if (!list.includes(text)) list.push(text);
    byPath.set(where, list);
  }
  return [...byPath].map(([where, msgs]) => `${label}: ${where}: ${msgs.join(' or ')}`);
}

const FLAG_ID_BY_NAME: ReadonlyMap<string, string> = new Map(RUN_FLAGS.map((f) => [f.name, f.id]));
const REPEATABLE: ReadonlySet<string> = new Set(RUN_FLAGS.filter((f) => 'repeatable' in f && f.repeatable).map((f) => f.id));

/** The flag parsers' problems, told at the file's JSON paths instead of as flags. */
class FileProblems extends Problems {
  constructor(private readonly label: string) {
    super();
  }

  override add(flag: string, _raw: string, why: string): void {
    const id = FLAG_ID_BY_NAME.get(flag) ?? flag;
    this.errors.push(`${this.label}: ${id === 'stages' ? '/stages' : `/options/${id}`}: ${why}`);
  }

  at(where: string, why: string): void {
    this.errors.push(`${this.label}: ${where}: ${why}`);
  }
}

function stageText(s: StageJson): string {
  const duration = typeof s.duration === 'number' ? `${s.duration}s` : s.duration;
  const rate = s.rate !== undefined ? `:${s.rate}` : s.totalRate !== undefined ? `:total=${s.totalRate}` : '';
  return `${duration}:${s.clients}${rate}`;
}

/** The file's options as the flags would carry them: text, a switch, or every value of a repeatable flag. */
function rawOptions(file: ScenarioFileJson): RawRunArgs {
  const raw: Record<string, string | boolean | string[]> = {};
  for (const [id, value] of Object.entries(file.options ?? {})) {
    if (value === null || id === 'expectRefused') continue;
    if (typeof value === 'boolean') raw[id] = value;
    else if (Array.isArray(value)) raw[id] = REPEATABLE.has(id) ? (value as string[]) : value.map((v) => (typeof v === 'string' ? v : `${v.weight}:${v.payload}`)).join(',');
    else raw[id] = String(value);
  }
  if (file.stages !== undefined && file.stages.length > 0) raw.stages = file.stages.map(stageText).join(',');
  return raw as RawRunArgs;
}

/** Options the stages decide may not be given beside them in the same file. */
function stageClashes(p: FileProblems, file: ScenarioFileJson): void {
  const stages = file.stages ?? [];
  if (stages.length === 0) return;
  const rated = stages.some((s) => s.rate !== undefined || s.totalRate !== undefined);
  const decided: readonly string[] = rated ? [...SET_BY_STAGES, ...SET_BY_RATED_STAGES] : SET_BY_STAGES;
  for (const id of decided) if (file.options?.[id] !== undefined) p.at(`/options/${id}`, 'is set by the stages: give it there, or drop the stages');
}

/** A mix sets the payload sizes: a file gives one or the other. */
function mixClash(p: FileProblems, file: ScenarioFileJson): void {
  if (file.options?.mix !== undefined && file.options.mix !== null && file.options.payload !== undefined) p.at('/options/payload', 'the mix sets the payload sizes: give them there');
}

function checkExpr(p: FileProblems, where: string, source: string): void {
  try {
    parseExpr(source, OPTION_IDS);
  } catch (err) {
    if (!(err instanceof ExprError)) throw err;
    p.at(where, `${JSON.stringify(source)}: ${err.message}`);
  }
}

/** A gate's fields, the optional ones only where given: the same shape read from a file and printed to one. */
export function copyGate(g: GateJson): ScenarioGate {
  return {
    metric: g.metric,
    op: g.op,
    value: g.value,
    why: g.why,
    ...(g.when === undefined ? {} : { when: g.when }),
    ...(g.given === undefined ? {} : { given: { metric: g.given.metric, op: g.given.op, value: g.given.value } }),
  };
}

function gatesOf(p: FileProblems, gates: readonly GateJson[]): ScenarioGate[] {
  return gates.map((g, i) => {
    if (typeof g.value === 'string') checkExpr(p, `/gates/${i}/value`, g.value);
    if (g.when !== undefined) checkExpr(p, `/gates/${i}/when`, g.when);
    return copyGate(g);
  });
}

/**
 * Expressions that parse may still yield the wrong type (a gate value of `target`, a text): each
 * is judged once against the file's own options, so that shows now and not after the load.
 */
function checkTypes(p: FileProblems, scenario: Scenario): void {
  const r = resolveRunOptions({}, scenario.defaults, { cores: 1, randomSeed: 0 });
  if (!r.ok) return;
  const attempt = (where: string, judge: () => unknown): void => {
    try {
      judge();
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      p.at(where, err.message);
    }
  };
  scenario.gates.forEach((g, i) => {
    attempt(`/gates/${i}/when`, () => gateApplies(g, r.options));
    attempt(`/gates/${i}/value`, () => gateValue(g, r.options));
  });
  attempt('/derive', () => applyDerived(scenario, r.options, {}));
}

/** A parsed scenario file's content; `label` names it in every problem. */
export function scenarioFromJson(data: unknown, label: string, warn: (text: string) => void = () => {}): FileLoad {
  const schemaErrors = validate(data);
  if (schemaErrors.length > 0) return { ok: false, errors: schemaProblems(label, schemaErrors) };
  const file = data as ScenarioFileJson;
  const p = new FileProblems(label);
  stageClashes(p, file);
  mixClash(p, file);
  const defaults = scenarioDefaultsFrom(p, rawOptions(file), warn);
  const expectRefused = file.options?.expectRefused;
  if (typeof expectRefused === 'boolean') defaults.expectRefused = expectRefused;
  for (const [id, source] of Object.entries(file.derive ?? {})) checkExpr(p, `/derive/${id}`, source);
  const gates = gatesOf(p, file.gates ?? []);
  if (p.errors.length > 0) return { ok: false, errors: p.errors };
  const scenario: Scenario = {
    name: file.name,
    description: file.description ?? `scenario file ${label}`,
    defaults,
    ...(file.derive === undefined ? {} : { derive: file.derive }),
    gates,
  };
  checkTypes(p, scenario);
  if (p.errors.length > 0) return { ok: false, errors: p.errors };
  return { ok: true, scenario };
}

/** Reads and checks a scenario file; every problem names the file. */
export function readScenarioFile(file: string, warn: (text: string) => void = () => {}): FileLoad {
  const label = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read the scenario file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`${label}: not JSON: ${(err as Error).message}`] };
  }
  return scenarioFromJson(data, label, warn);
}
