import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntegrityCounts } from '../../dummy-client/types';
import { Prng, writeBroadcastPayload, writeEchoPayload } from '../../dummy-client/codec';
import { BroadcastChecker, EchoChecker, emptyCounts } from '../../dummy-client/integrity';

const SEED = 1234;
const SERIAL = 77;

interface Sent {
  seq: number;
  bytes: Buffer;
}

/** Sends n packets through a checker (time = seq * 1000 ns) and returns what the "server" got. */
function sendN(c: EchoChecker, n: number, rng: Prng): Sent[] {
  const out: Sent[] = [];
  for (let i = 0; i < n; i++) {
    const len = rng.int(16, 80);
    const t = (c.nextSeq + 1) * 1000;
    const seq = c.noteSent(len, t, t);
    const bytes = Buffer.alloc(len);
    writeEchoPayload(bytes, 0, len, SERIAL, seq, t, SEED);
    out.push({ seq, bytes });
  }
  return out;
}

function feed(c: EchoChecker, packets: Buffer[]): void {
  for (const p of packets) c.onEcho(p, 0, p.length, 1e9);
}

function only(counts: IntegrityCounts, expected: Partial<IntegrityCounts>, ok: number): void {
  assert.deepEqual(counts, { ...emptyCounts(), ok, ...expected });
}

test('in-order echoes are ok and give latency from intended and actual send time', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const rng = new Prng(1);
  const sent = sendN(c, 50, rng);
  feed(c, sent.map((s) => s.bytes));
  only(counts, {}, 50);
  assert.equal(c.inFlight, 0);
  assert.equal(c.finish(false), 0);
  assert.equal(c.lastCorrectedNs, 1e9 - 50 * 1000);
});

test('each single fault is counted as exactly its class', () => {
  const cases: Array<[string, (s: Buffer[]) => Buffer[], Partial<IntegrityCounts>, number]> = [
    ['corrupt a filler byte', (s) => { const x = Buffer.from(s[5]!); x[20] = x[20]! ^ 1; s[5] = x; return s; }, { corrupted: 1 }, 19],
    ['corrupt the serial of the oldest', (s) => { const x = Buffer.from(s[0]!); x[0] = x[0]! ^ 4; s[0] = x; return s; }, { corrupted: 1 }, 19],
    ['corrupt the sequence of a packet', (s) => { const x = Buffer.from(s[3]!); x[4] = x[4]! ^ 2; s[3] = x; return s; }, { corrupted: 1 }, 19],
    ['corrupt the time field', (s) => { const x = Buffer.from(s[7]!); x[9] = x[9]! ^ 0x10; s[7] = x; return s; }, { corrupted: 1 }, 19],
    ['swap two', (s) => { [s[4], s[5]] = [s[5]!, s[4]!]; return s; }, { reordered: 1 }, 19],
    ['drop one', (s) => { s.splice(6, 1); return s; }, { lost: 1 }, 19],
    ['duplicate one', (s) => { s.splice(8, 0, s[8]!); return s; }, { duplicated: 1 }, 20],
    ['inject an unsolicited packet', (s) => { const j = Buffer.alloc(40, 0x33); s.splice(2, 0, j); return s; }, { unexpected: 1 }, 20],
    ['inject a packet with our serial and a sequence never sent', (s) => { const j = Buffer.alloc(24); writeEchoPayload(j, 0, 24, SERIAL, 500, 1, SEED); s.push(j); return s; }, { unexpected: 1 }, 20],
    ['packet of another connection', (s) => { const j = Buffer.alloc(24); writeEchoPayload(j, 0, 24, SERIAL + 1, 3, 4000, SEED); s.push(j); return s; }, { unexpected: 1 }, 20],
  ];
  for (const [name, fault, expected, okCount] of cases) {
    const counts = emptyCounts();
    const c = new EchoChecker(SERIAL, SEED, counts);
    const sent = sendN(c, 20, new Prng(9));
    feed(c, fault(sent.map((s) => s.bytes)));
    c.finish(false);
    only(counts, expected, okCount);
    assert.ok(true, name);
  }
});

test('an early arrival whose predecessor never comes is ok, the predecessor lost (not reordered)', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const sent = sendN(c, 3, new Prng(2));
  feed(c, [sent[1]!.bytes, sent[2]!.bytes]);
  c.finish(false);
  only(counts, { lost: 1 }, 2);
});

test('echo timeout makes packets overdue, not lost: a late arrival keeps its class, the rest are lost at the end', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const sent = sendN(c, 4, new Prng(3));
  feed(c, [sent[1]!.bytes]);
  assert.equal(c.expire(10_000_000, 5_000_000), 3);
  assert.equal(counts.lost, 0, 'overdue is not lost yet');
  assert.equal(c.inFlight, 0);
  assert.equal(c.overdueAwaited, 3);
  // Sequence 1 came first: reordered, exactly as without a timeout, and late beside it.
  feed(c, [sent[0]!.bytes]);
  assert.equal(c.lastLate, true);
  only(counts, { reordered: 1 }, 1);
  assert.equal(c.finish(false), 2);
  only(counts, { lost: 2, reordered: 1 }, 1);
});

test('an overdue packet overtaken by a later echo is lost at once; if it comes after all it moves to reordered', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const rng = new Prng(5);
  const first = sendN(c, 1, rng);
  c.expire(1e12, 1);
  const second = sendN(c, 1, rng);
  feed(c, [second[0]!.bytes]);
  only(counts, { lost: 1 }, 1);
  assert.equal(c.overdueAwaited, 0);
  feed(c, [first[0]!.bytes]);
  only(counts, { reordered: 1 }, 1);
  // A second copy is a duplicate, not a second late arrival.
  feed(c, [first[0]!.bytes]);
  only(counts, { reordered: 1, duplicated: 1 }, 1);
});

test('a slow but correct server: far more packets overdue than the checker remembers, echoed late in order, are all ok', () => {
  // A server slower than the echo timeout on a connection that pipelines deeply (Wine under 2000
  // chaos clients): the packets the overdue memory cannot take stay in flight and hold the
  // pipeline, so none is forgotten and declared lost, and none comes back as corrupted or duplicated.
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const sent = sendN(c, 1000, new Prng(11));
  const overdue = c.expire(1e12, 1);
  assert.ok(overdue > 0 && overdue < 1000, `only as many go overdue as are remembered (${overdue})`);
  assert.equal(c.inFlight, 1000 - overdue, 'the rest stay in flight: the connection sends no more');
  assert.equal(c.expire(1e12, 1), 0, 'a full memory of awaited packets takes no more');
  feed(c, sent.map((s) => s.bytes));
  assert.equal(c.finish(false), 0);
  only(counts, {}, 1000);
});

test('the overdue memory makes room by forgetting packets already lost, never awaited ones', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const rng = new Prng(12);
  const early = sendN(c, 1000, rng);
  const remembered = c.expire(1e12, 1);
  // The last remembered packet's echo comes first: every remembered one before it is lost.
  feed(c, [early[remembered - 1]!.bytes]);
  assert.equal(counts.lost, remembered - 1);
  // Now the packets held in flight can go overdue: into the place of the one that came, and of the
  // condemned ones.
  assert.equal(c.expire(1e12, 1), Math.min(1000 - remembered, remembered));
  feed(c, early.slice(remembered).map((s) => s.bytes));
  assert.equal(c.finish(false), 0);
  only(counts, { lost: remembered - 1 }, 1 + 1000 - remembered);
});

test('an overdue packet that comes back corrupted is corrupted, not also lost', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const sent = sendN(c, 1, new Prng(6));
  c.expire(1e12, 1);
  const bad = Buffer.from(sent[0]!.bytes);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x10;
  feed(c, [bad]);
  c.finish(false);
  only(counts, { corrupted: 1 }, 0);
});

test('cut on purpose: in-flight packets are abandoned, never lost', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const sent = sendN(c, 10, new Prng(4));
  feed(c, sent.slice(0, 6).map((s) => s.bytes));
  assert.equal(c.finish(true), 4);
  only(counts, { abandoned: 4 }, 6);
});

/**
 * Randomized: a stream with random drops, duplicates, delays, filler/time corruptions and
 * injected junk, checked against a simple model that stores every packet's bytes.
 */
test('randomized faults agree with a simple model', () => {
  for (let round = 0; round < 200; round++) {
    const rng = new Prng(1000 + round);
    const counts = emptyCounts();
    const c = new EchoChecker(SERIAL, SEED, counts, 2);
    const n = rng.int(1, 120);
    const sent = sendN(c, n, rng);
    type Arrival = { seq: number; bytes: Buffer; kind: 'good' | 'corrupt' | 'junk' };
    const arrivals: Arrival[] = [];
    for (const s of sent) {
      const r = rng.next();
      if (r < 0.05) continue; // dropped
      if (r < 0.1) {
        const x = Buffer.from(s.bytes);
        const at = rng.int(8, x.length - 1);
        x[at] = x[at]! ^ (1 << rng.int(0, 7));
        arrivals.push({ seq: s.seq, bytes: x, kind: 'corrupt' });
        continue;
      }
      arrivals.push({ seq: s.seq, bytes: s.bytes, kind: 'good' });
      if (r < 0.15) arrivals.push({ seq: s.seq, bytes: s.bytes, kind: 'good' });
      if (r > 0.97) {
        const j = Buffer.alloc(rng.int(16, 64));
        for (let i = 0; i < j.length; i++) j[i] = rng.int(0, 255);
        arrivals.push({ seq: -1, bytes: j, kind: 'junk' });
      }
    }
    // Delay some arrivals by a few positions.
    for (let i = 0; i < arrivals.length; i++) {
      if (rng.next() < 0.1) {
        const j = Math.min(arrivals.length - 1, i + rng.int(1, 5));
        const [a] = arrivals.splice(i, 1);
        arrivals.splice(j, 0, a!);
      }
    }
    // The model.
    const expected = emptyCounts();
    const seen = new Set<number>();
    let highest = -1;
    for (const a of arrivals) {
      if (a.kind === 'junk') expected.unexpected++;
      else if (seen.has(a.seq)) expected.duplicated++;
      else {
        seen.add(a.seq);
        if (a.kind === 'corrupt') expected.corrupted++;
        else if (a.seq < highest) expected.reordered++;
        else expected.ok++;
        highest = Math.max(highest, a.seq);
      }
    }
    expected.lost = n - seen.size;
    feed(c, arrivals.map((a) => a.bytes));
    c.finish(false);
    assert.deepEqual(counts, expected, `round ${round}`);
  }
});

test('broadcast checker: intact, corrupted, duplicated and reordered per sender', () => {
  const counts = emptyCounts();
  const b = new BroadcastChecker(counts);
  const pkt = (sender: number, seq: number): Buffer => {
    const p = Buffer.alloc(30);
    writeBroadcastPayload(p, 0, 30, sender, seq, 5);
    return p;
  };
  const feedB = (p: Buffer): void => void b.onPacket(p, 0, p.length);
  feedB(pkt(1, 0));
  feedB(pkt(2, 0));
  feedB(pkt(1, 1));
  feedB(pkt(1, 3)); // a gap is not an error
  feedB(pkt(1, 3));
  feedB(pkt(1, 2));
  const bad = pkt(2, 1);
  bad[20] = bad[20]! ^ 1;
  feedB(bad);
  assert.deepEqual(counts, { ...emptyCounts(), ok: 4, duplicated: 1, reordered: 1, corrupted: 1 });
});

test('several timeouts in a row, then the late echoes in order: no reordering is invented', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const rng = new Prng(8);
  const first = sendN(c, 1, rng);
  c.expire(1e12, 1);
  const second = sendN(c, 1, rng);
  c.expire(1e12, 1);
  assert.equal(counts.lost, 0);
  assert.equal(c.overdueAwaited, 2);
  feed(c, [first[0]!.bytes, second[0]!.bytes]);
  only(counts, {}, 2);
  assert.equal(c.overdueAwaited, 0);
});
