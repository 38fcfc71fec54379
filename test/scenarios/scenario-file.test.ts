/**
 * Scenario files: the shipped schema is the generated one and describes exactly the run options;
 * every built-in scenario survives print -> file -> load with the same options and gates; a bad
 * file is refused naming the file and the JSON path, before any load runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCENARIOS } from '../../scenarios';
import { OPTION_IDS, resolveRunOptions, type RawRunArgs } from '../../stress/run/options';
import { applyDerived } from '../../stress/run/scenario-exprs';
import { scenarioFileSchema, TOP_LEVEL_OPTIONS } from '../../stress/scenario-file/schema';
import { readScenarioFile, scenarioFromJson } from '../../stress/scenario-file/load';
import { scenarioToFile } from '../../stress/scenario-file/print';
import type { Scenario } from '../../scenarios/types';
import { startCli } from '../support/cli';
import { ROOT as REPO } from '../support/paths';

const SHIPPED = path.join(REPO, 'schema', 'scenario.schema.json');
const ENV = { cores: 2, randomSeed: 7 };

test('the shipped schema is the one generated from the flag table (regenerate: stress scenarios --schema > schema/scenario.schema.json)', () => {
  assert.deepEqual(JSON.parse(fs.readFileSync(SHIPPED, 'utf8')), scenarioFileSchema());
});

test('the shipped schema describes every run option and nothing else', () => {
  const schema = JSON.parse(fs.readFileSync(SHIPPED, 'utf8')) as { properties: { options: { properties: Record<string, unknown> } } & Record<string, unknown> };
  const described = new Set([...Object.keys(schema.properties.options.properties), ...TOP_LEVEL_OPTIONS.filter((id) => id in schema.properties)]);
  assert.deepEqual([...described].sort(), [...OPTION_IDS].sort());
});

function resolved(s: Scenario, raw: RawRunArgs): unknown {
  const r = resolveRunOptions(raw, s.defaults, ENV);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return applyDerived(s, r.options, raw);
}

test('every built-in scenario prints as a file that loads back to the same options and gates', () => {
  for (const builtIn of SCENARIOS) {
    const text = JSON.stringify(scenarioToFile(builtIn), null, 2);
    const loaded = scenarioFromJson(JSON.parse(text), `${builtIn.name}.json`);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.join('\n'));
    const s = loaded.scenario;
    assert.deepEqual(s.gates, builtIn.gates, builtIn.name);
    assert.deepEqual(s.derive, builtIn.derive, builtIn.name);
    assert.equal(s.description, builtIn.description);
    for (const flags of [{}, { clients: '200' }, { clients: '40', maxSessions: '30', rate: '5' }] as RawRunArgs[]) {
      assert.deepEqual(resolved(s, flags), resolved(builtIn, flags), `${builtIn.name} with ${JSON.stringify(flags)}`);
    }
  }
});

test('the example file loads; flags on the command line win over its options', () => {
  const r = readScenarioFile(path.join(REPO, 'examples', 'ramp.json'));
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const o = resolveRunOptions({ payload: '32' }, r.scenario.defaults, ENV);
  assert.ok(o.ok);
  assert.deepEqual(o.options.payload, { min: 32, max: 32 });
  assert.equal(o.options.clients, 200);
  assert.equal(o.options.durationSec, 10);
  assert.equal(o.options.rate, null);
});

const problems = (data: unknown): string[] => {
  const r = scenarioFromJson(data, 'bad.json');
  assert.equal(r.ok, false);
  return r.ok ? [] : r.errors;
};

test('a bad file is refused at the JSON path of each bad field', () => {
  const errors = problems({
    name: 'x',
    options: { clients: 0, traffic: 'loud', colour: 'red' },
    stages: [{ duration: '2s', clients: 10, rate: 1 }, { duration: '1s', clients: 10, rate: -1 }],
    gates: [{ metric: 'integrity.ok', op: '=>', value: 0, why: 'w' }],
  });
  assert.ok(errors.includes('bad.json: /stages/1/rate: must be >= 0'), errors.join('\n'));
  assert.ok(errors.includes('bad.json: /options/clients: must be >= 1'), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith("bad.json: /options: must NOT have additional properties 'colour'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('bad.json: /options/traffic: must be equal to one of the allowed values')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('bad.json: /gates/0/op:')), errors.join('\n'));
});

test("what the schema cannot see is refused as the flag parser would, at the field's path", () => {
  const errors = problems({
    name: 'x',
    options: { payload: '512-16', clients: 10 },
    stages: [{ duration: '2s', clients: 0 }],
    derive: { maxSessions: 'clientz / 2' },
    gates: [{ metric: 'integrity.ok', op: '>', value: 'clients +', why: 'w', when: "traffic = 'echo'" }],
  });
  assert.ok(errors.some((e) => e.startsWith('bad.json: /options/payload: range is reversed')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('bad.json: /options/clients: is set by the stages')), errors.join('\n'));
  assert.ok(errors.includes('bad.json: /stages: no stage opens a connection'), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith("bad.json: /derive/maxSessions: \"clientz / 2\": unknown option 'clientz'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('bad.json: /gates/0/value:')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('bad.json: /gates/0/when:')), errors.join('\n'));
});

test('stress run with an invalid file exits 2 naming the file and the field, before any load', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenfile-'));
  const file = path.join(dir, 'scenario.json');
  fs.writeFileSync(file, JSON.stringify({ name: 'x', stages: [{ duration: '1s', clients: 5, rate: 2 }, { duration: '1s', clients: 5, rate: -3 }] }));
  const r = await startCli(['run', file, '--out', dir], 30_000).result;
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /stress: scenario\.json: \/stages\/1\/rate: must be >= 0/);
  assert.doesNotMatch(r.stderr, /server pid|listening/);
});

test('a file gives a mix as weighted sizes, and not beside a payload', () => {
  const r = scenarioFromJson({ name: 'mixed', options: { mix: [{ weight: 9, payload: '16-64' }, { weight: 1, payload: 4096 }] } }, 'mixed.json');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const o = resolveRunOptions({}, r.scenario.defaults, ENV);
  assert.ok(o.ok);
  assert.deepEqual(o.options.mix, [{ weight: 9, payload: { min: 16, max: 64 } }, { weight: 1, payload: { min: 4096, max: 4096 } }]);
  assert.deepEqual(problems({ name: 'x', options: { mix: '1:16', payload: 32 } }), ['bad.json: /options/payload: the mix sets the payload sizes: give them there']);
  assert.ok(problems({ name: 'x', options: { mix: [{ weight: 0, payload: 16 }] } }).includes('bad.json: /options/mix/0/weight: must be > 0'));
});

test('an expression of the wrong type is refused at load, not after the run', () => {
  const errors = problems({
    name: 'x',
    derive: { maxSessions: "'many'" },
    gates: [{ metric: 'integrity.ok', op: '>', value: 'target', why: 'w', when: 'clients' }],
  });
  assert.deepEqual(errors, [
    'bad.json: /gates/0/when: gate integrity.ok: when \'clients\' gives 1000, not true or false',
    'bad.json: /gates/0/value: gate integrity.ok: value \'target\' gives "embedded", not a number',
    'bad.json: /derive: derive maxSessions: \'\'many\'\' gives "many", not a number',
  ]);
});
