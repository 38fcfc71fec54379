/**
 * The open-loop timing wheel against a simple model: every arming fires once, at the first
 * advance at or after its due time, never before, and a re-arming replaces the earlier one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimingWheel, type WheelItem } from '../../dummy-client/timing-wheel';
import { Prng } from '../../dummy-client/codec';

interface Item extends WheelItem {
  id: number;
}
const item = (id: number): Item => ({ id, armedTick: -1, armedDueNs: 0 });
const MS = 1e6;

test('an item due within the current millisecond fires at the first advance past its due time, not at the next tick', () => {
  const wheel = new TimingWheel<Item>(5 * MS);
  const a = item(1);
  wheel.arm(a, 5.3 * MS);
  const firedAt = (nowNs: number): number[] => {
    const ids: number[] = [];
    wheel.advance(nowNs, (i) => ids.push(i.id));
    return ids;
  };
  assert.deepEqual(firedAt(5.2 * MS), [], 'not before its due time');
  assert.deepEqual(firedAt(5.4 * MS), [1], 'within the same millisecond it falls due in');
  assert.deepEqual(firedAt(9 * MS), [], 'once');
});

test('a due time beyond the wheel waits in the last slot and still fires on time; one already past fires at the next advance', () => {
  const wheel = new TimingWheel<Item>(0, 8);
  const far = item(1);
  const past = item(2);
  wheel.arm(far, 20.5 * MS);
  wheel.advance(3 * MS, () => assert.fail('nothing is due'));
  wheel.arm(past, 1 * MS);
  const fired: Array<[number, number]> = [];
  for (let now = 3.25 * MS; now <= 25 * MS; now += 0.25 * MS) wheel.advance(now, (i, n) => fired.push([i.id, n]));
  assert.deepEqual(fired, [[2, 3.25 * MS], [1, 20.5 * MS]]);
});

test('randomized against a model: each arming fires exactly once, at the first advance at or after it, and re-arming replaces it', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rng = new Prng(seed);
    const slots = 1 << rng.int(1, 6);
    let now = rng.int(0, 5000) * 1e3;
    const wheel = new TimingWheel<Item>(now, slots);
    const items = Array.from({ length: 20 }, (_, i) => item(i));
    /** The model: the due time each item is armed for, or null. */
    const due = new Map<number, number>();
    for (let step = 0; step < 400; step++) {
      const action = rng.int(0, 9);
      if (action < 5) {
        // arm or re-arm: mostly near, sometimes in the past or far beyond the wheel
        const it = items[rng.int(0, items.length - 1)]!;
        const spread = rng.int(0, 3) === 0 ? slots * 3 * MS : 2 * MS;
        const at = Math.max(0, now - MS + rng.next() * spread);
        wheel.arm(it, at);
        due.set(it.id, at);
      } else {
        now += rng.int(0, 3) === 0 ? rng.int(1, slots * 2) * MS : rng.int(0, 400) * 1e3;
        const fired = new Set<number>();
        wheel.advance(now, (it, n) => {
          assert.equal(n, now);
          assert.ok(!fired.has(it.id), `seed ${seed}: item ${it.id} fired twice in one advance`);
          fired.add(it.id);
          const d = due.get(it.id);
          assert.ok(d !== undefined, `seed ${seed}: item ${it.id} fired but was not armed`);
          assert.ok(d <= now, `seed ${seed}: item ${it.id} fired before its due time`);
          due.delete(it.id);
        });
        for (const [id, d] of due) assert.ok(d > now, `seed ${seed}: item ${id} due ${d} did not fire at ${now}`);
      }
    }
  }
});
