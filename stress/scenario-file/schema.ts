/**
 * The JSON Schema (draft-07) of a scenario file, generated from the one source of truth: the run
 * flag table (RUN_FLAGS: every option, its type, range, choices and help line), the options only a
 * scenario sets, and the gate operators. The package ships it as schema/scenario.schema.json (for
 * editors, via "$schema"); a test fails when the shipped file differs from what this generates.
 */
import { COMPARE_OPS } from '../run/compare-op';
import { RUN_FLAGS, SCENARIO_ONLY_OPTIONS } from '../run/options';
import type { Flag } from '../flags/table';

type JsonSchema = Record<string, unknown>;

/** Options a file gives elsewhere than under "options": stages have their own top-level list. */
export const TOP_LEVEL_OPTIONS = ['stages'] as const;

const DURATION_TEXT = '^\\s*\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)?\\s*$';
const SIZE_TEXT = '^\\s*\\d+\\s*[kmgKMG]?[iI]?[bB]?\\s*$';

function numberSchema(flag: Flag, type: 'integer' | 'number'): JsonSchema {
  const range = flag.range === undefined ? {} : { minimum: flag.range[0], maximum: flag.range[1] };
  return { type, ...range };
}

/** One option's value, as its flag reads it: JSON types where they fit, the flag's text form where it has a grammar. */
function valueSchema(flag: Flag): JsonSchema {
  switch (flag.type) {
    case 'int': return numberSchema(flag, 'integer');
    case 'number': return numberSchema(flag, 'number');
    case 'duration': return { anyOf: [{ ...numberSchema(flag, 'number'), description: `a number of ${flag.unit ?? 's'}` }, { type: 'string', pattern: DURATION_TEXT }] };
    case 'size': return { anyOf: [numberSchema(flag, 'integer'), { type: 'string', pattern: SIZE_TEXT }] };
    case 'enum': return { enum: [...(flag.choices ?? [])] };
    case 'list': return { anyOf: [{ type: 'array', items: { enum: [...(flag.choices ?? [])] }, minItems: 1, uniqueItems: true }, { type: 'string' }] };
    case 'bool': return { type: 'boolean' };
    case 'string': return flag.repeatable === true ? { type: 'array', items: { type: 'string' } } : { type: ['string', 'integer'] };
  }
}

/** Options whose file form is richer than their flag's text: a mix as a list of weighted sizes. */
const FILE_FORMS: Readonly<Record<string, JsonSchema>> = {
  mix: {
    anyOf: [
      { type: 'string' },
      {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['weight', 'payload'],
          additionalProperties: false,
          properties: {
            weight: { type: 'number', exclusiveMinimum: 0 },
            payload: { description: 'bytes: N or "MIN-MAX"', type: ['integer', 'string'] },
          },
        },
      },
    ],
  },
};

function optionSchema(flag: Flag & { id: string; init: unknown }): JsonSchema {
  const value = FILE_FORMS[flag.id] ?? valueSchema(flag);
  // "none" (null) is a value only for an option that is none by default (rate, junit, ...).
  const nullable = flag.init === null ? { anyOf: [value, { type: 'null' }] } : value;
  return { description: flag.describe, ...nullable };
}

const stageSchema: JsonSchema = {
  type: 'object',
  description: "one stage: ramps linearly from the previous stage's target (the first from 0) to this one's over its duration",
  required: ['duration', 'clients'],
  additionalProperties: false,
  properties: {
    duration: { description: 'how long the ramp takes (0 = jump)', anyOf: [{ type: 'number', minimum: 0, description: 'seconds' }, { type: 'string', pattern: DURATION_TEXT }] },
    clients: { description: 'open connections at the end of the stage', type: 'integer', minimum: 0, maximum: 1_000_000 },
    rate: { description: 'open loop: packets per second per connection at the end of the stage', type: 'number', minimum: 0 },
    totalRate: { description: 'open loop: packets per second across the fleet at the end of the stage, split over the live connections', type: 'number', minimum: 0 },
  },
  not: { required: ['rate', 'totalRate'] },
};

const gateSchema: JsonSchema = {
  type: 'object',
  required: ['metric', 'op', 'value', 'why'],
  additionalProperties: false,
  properties: {
    metric: { type: 'string', minLength: 1, description: "a report metric (docs/report.md), e.g. 'integrity.ok', 'server.disconnects.protocol'" },
    op: { enum: [...COMPARE_OPS] },
    value: { description: "a number, or an expression over the options, e.g. 'clients' or 'ceil(clients * 1.5)'", type: ['number', 'string'] },
    why: { type: 'string', minLength: 1, description: 'why this outcome is expected: shown next to a failing verdict' },
    when: { type: 'string', minLength: 1, description: "judged only when this expression holds, e.g. \"serverKick > 0 && target == 'embedded'\"" },
    given: {
      type: 'object',
      required: ['metric', 'op', 'value'],
      additionalProperties: false,
      description: 'judged only when the run gave the outcome a chance, measured by the fleet (e.g. {"metric": "chaos.rstMidBurst", "op": ">=", "value": 2}); otherwise the gate is unknown and the report says what was missing',
      properties: {
        metric: { type: 'string', minLength: 1, description: 'a fleet-side report metric (docs/report.md)' },
        op: { enum: [...COMPARE_OPS] },
        value: { type: 'number' },
      },
    },
  },
};

export function scenarioFileSchema(): JsonSchema {
  const fileOptions = RUN_FLAGS.filter((f) => !(TOP_LEVEL_OPTIONS as readonly string[]).includes(f.id));
  const options: Record<string, JsonSchema> = Object.fromEntries(fileOptions.map((f) => [f.id, optionSchema(f)]));
  for (const id of SCENARIO_ONLY_OPTIONS) options[id] = { type: 'boolean', description: 'set by a scenario that overfills the server: connections closed before any byte are refusals, not errors' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'lanstress scenario file',
    description: '`stress run FILE.json`: options (flags on the command line still win), stages, derived options and gates. docs/scenarios.md',
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
      description: { type: 'string' },
      options: { type: 'object', additionalProperties: false, properties: options },
      stages: { type: 'array', items: stageSchema, description: 'load over time (as --stages); sets clients, duration and, with rates, the send model' },
      derive: {
        type: 'object',
        description: 'options that follow other options unless given on the command line: option id -> expression',
        additionalProperties: false,
        properties: Object.fromEntries(Object.keys(options).map((id) => [id, { type: 'string', minLength: 1 }])),
      },
      gates: { type: 'array', items: gateSchema },
    },
  };
}
