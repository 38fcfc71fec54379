import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../dummy-client/codec';
import { drawPayloadLen, mixEnvelope } from '../../dummy-client/payload-mix';

test('a mix draws each entry by its weight, each size within its range', () => {
  const rng = new Prng(42);
  const mix = [{ weight: 9, payload: { min: 16, max: 64 } }, { weight: 1, payload: { min: 4096, max: 4096 } }];
  const draws = Array.from({ length: 20_000 }, () => drawPayloadLen({ payload: mixEnvelope(mix), mix }, rng));
  const large = draws.filter((n) => n === 4096).length / draws.length;
  assert.ok(large > 0.08 && large < 0.12, `large share ${large}`);
  assert.ok(draws.every((n) => n === 4096 || (n >= 16 && n <= 64)));
  assert.deepEqual(mixEnvelope(mix), { min: 16, max: 4096 });
});

test('without a mix the draw is the plain range, draw for draw (replays of older runs hold)', () => {
  const a = new Prng(7);
  const b = new Prng(7);
  for (let i = 0; i < 100; i++) assert.equal(drawPayloadLen({ payload: { min: 16, max: 512 } }, a), b.int(16, 512));
});
