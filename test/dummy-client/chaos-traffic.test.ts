/**
 * Pure parts of chaos traffic, probes and junk frames: the codec formats, the decoder's junk
 * limit, the checker on headerless (small) echoes and probes, and the seeded write plans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROBE_MAX_PAYLOAD,
  Prng,
  probePayloadLength,
  probePayloadValid,
  smallEchoPayloadMatches,
  writeEchoPayload,
  writeProbePayload,
  writeSmallEchoPayload,
} from '../../dummy-client/codec';
import { FrameDecoder, LAN_FRAMING, SERVERCORE_FRAMING, encodeFrame, headerBytes, ringCapacity } from '../../dummy-client/framing';

const FRAME_HEADER_BYTES = headerBytes(LAN_FRAMING);
const lanRingCapacity = (maxPayload: number): number => ringCapacity(LAN_FRAMING, maxPayload);
import { EchoChecker, Verdict, emptyCounts } from '../../dummy-client/integrity';
import { STALL_BRIEF_BYTES, STALL_BRIEF_START_MS, STALL_FRACTION, STALL_LONG_BYTES, STALL_LONG_START_MS, chaosPayloadLength, planChaosWrite, planStall, wrapBurst } from '../../dummy-client/chaos-traffic';
import { testConfig } from './config';

const SEED = 99;
const SERIAL = 5;

function probe(n: number, id: bigint): Buffer {
  const p = Buffer.alloc(probePayloadLength(n));
  writeProbePayload(p, 0, n, id);
  return p;
}

test('probe payload: the documented layout, valid for every n, and any changed byte or length is invalid', () => {
  const p = probe(50, 0x1234_5678_9abc_def0n);
  assert.equal(p.length, 16 + (50 % 49));
  assert.equal(p.readUInt32LE(0), 0xffffffff);
  assert.equal(p.readUInt32LE(4), 50);
  assert.equal(p.readBigUInt64LE(8), 0x1234_5678_9abc_def0n);
  assert.equal(p[16], (50 * 7) & 0xff);
  for (let n = 0; n < 300; n++) assert.ok(probePayloadValid(probe(n, BigInt(n) * 977n), 0, probePayloadLength(n)), `n ${n}`);
  assert.ok(probePayloadValid(probe(0xffffffff, 2n ** 64n - 1n), 0, probePayloadLength(0xffffffff)));
  const q = probe(97, 3n);
  for (let i = 0; i < q.length; i++) {
    if (i >= 8 && i < 16) continue; // the session id may be anything
    const x = Buffer.from(q);
    x[i] = x[i]! ^ 1;
    assert.equal(probePayloadValid(x, 0, x.length), false, `byte ${i}`);
  }
  assert.equal(probePayloadValid(q, 0, q.length - 1), false, 'one byte short');
  assert.ok(PROBE_MAX_PAYLOAD >= probePayloadLength(48));
});

test('lanRingCapacity follows framing.cpp minRingCapacity', () => {
  assert.equal(lanRingCapacity(8192), 8194 + 4097);
  assert.equal(lanRingCapacity(16), 18 + 8192);
  assert.equal(lanRingCapacity(65535), 65537 + 32768);
});

test('small echo payloads: the first L filler bytes of their packet, different per sequence', () => {
  for (let len = 0; len < 16; len++) {
    const b = Buffer.alloc(len);
    writeSmallEchoPayload(b, 0, len, SERIAL, 3, SEED);
    assert.ok(smallEchoPayloadMatches(b, 0, len, SERIAL, 3, SEED));
    if (len >= 2) assert.equal(smallEchoPayloadMatches(b, 0, len, SERIAL, 4, SEED), false, `len ${len}`);
  }
});

test('decoder with a limit: a longer header is junk at once (even split across reads), frames before it are delivered', () => {
  const junk: number[] = [];
  const frames: number[] = [];
  const d = new FrameDecoder(LAN_FRAMING, 16, 100, (len) => junk.push(len));
  const ok = encodeFrame(Buffer.alloc(100, 1));
  const bad = Buffer.from([0x65, 0x00, 1, 2, 3]); // announces 101
  d.push(Buffer.concat([ok, bad, ok]), (_b, _s, len) => frames.push(len));
  assert.deepEqual(frames, [100]);
  assert.deepEqual(junk, [101]);
  d.push(ok, (_b, _s, len) => frames.push(len));
  assert.deepEqual(frames, [100], 'a dead decoder decodes nothing more');

  const split = new FrameDecoder(LAN_FRAMING, 16, 100, (len) => junk.push(len));
  split.push(Buffer.from([0xff]), () => assert.fail('no frame'));
  assert.equal(junk.length, 1);
  split.push(Buffer.from([0xff]), () => assert.fail('no frame'));
  assert.deepEqual(junk, [101, 0xffff], 'the header completes in the second read: junk without waiting for 65535 bytes');
});

/** A mixed stream through a checker: small (headerless) and headed echoes, as chaos traffic sends them. */
function sendMixed(c: EchoChecker, n: number, rng: Prng): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const len = rng.next() < 0.5 ? rng.int(0, 15) : rng.int(16, 80);
    const t = (c.nextSeq + 1) * 1000;
    const seq = c.noteSent(len, t, t);
    const b = Buffer.alloc(len);
    if (len >= 16) writeEchoPayload(b, 0, len, SERIAL, seq, t, SEED);
    else writeSmallEchoPayload(b, 0, len, SERIAL, seq, SEED);
    out.push(b);
  }
  return out;
}

test('small echoes agree with a simple model: in order they are ok, a changed or truncated one is corrupted once', () => {
  for (let round = 0; round < 200; round++) {
    const rng = new Prng(7000 + round);
    const counts = emptyCounts();
    const c = new EchoChecker(SERIAL, SEED, counts, 2);
    const sent = sendMixed(c, rng.int(1, 100), rng);
    let faults = 0;
    const arrivals = sent.map((b) => {
      if (b.length === 0 || b.length >= 16 || rng.next() >= 0.1) return b;
      faults++;
      if (rng.next() < 0.5) return b.subarray(0, b.length - 1);
      const x = Buffer.from(b);
      x[rng.int(0, x.length - 1)] ^= 1 << rng.int(0, 7);
      return x;
    });
    for (const a of arrivals) c.onEcho(a, 0, a.length, 1e9);
    assert.equal(c.finish(false), 0);
    assert.deepEqual(counts, { ...emptyCounts(), ok: sent.length - faults, corrupted: faults }, `round ${round}`);
  }
});

test('small echoes: out of TCP order, with nothing in flight, and late after the echo timeout', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const a = Buffer.alloc(3);
  writeSmallEchoPayload(a, 0, 3, SERIAL, c.noteSent(3, 0, 0), SEED);
  const b = Buffer.alloc(3);
  writeSmallEchoPayload(b, 0, 3, SERIAL, c.noteSent(3, 0, 0), SEED);
  assert.equal(c.onEcho(b, 0, 3, 1), Verdict.Corrupted, 'the second before the first: not the oldest awaited');
  assert.equal(c.onEcho(Buffer.alloc(0), 0, 0, 1), Verdict.Corrupted, 'a 0-length frame where 3 bytes were due');
  assert.equal(c.onEcho(Buffer.alloc(0), 0, 0, 1), Verdict.Unexpected, 'nothing in flight');

  const late = emptyCounts();
  const d = new EchoChecker(SERIAL, SEED, late);
  const e = Buffer.alloc(0);
  d.noteSent(0, 0, 0);
  d.expire(10e9, 1e9);
  assert.equal(d.onEcho(e, 0, 0, 11e9), Verdict.Ok);
  assert.equal(d.lastLate, true);
  assert.deepEqual(late, { ...emptyCounts(), ok: 1 });
});

test('probes among echoes: valid ones are Verdict.Probe and no class, invalid ones corrupted, echoes unaffected', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(SERIAL, SEED, counts);
  const sent = sendMixed(c, 20, new Prng(3));
  let probes = 0;
  for (const [i, s] of sent.entries()) {
    const p = probe(i, BigInt(i));
    if (c.onEcho(p, 0, p.length, 1e9) === Verdict.Probe) probes++;
    c.onEcho(s, 0, s.length, 1e9);
  }
  const bad = probe(5, 1n);
  bad[bad.length - 1] ^= 0x80;
  assert.equal(c.onEcho(bad, 0, bad.length, 1e9), Verdict.Corrupted);
  assert.equal(probes, 20);
  assert.deepEqual(counts, { ...emptyCounts(), ok: 20, corrupted: 1 });
});

test('chaos sizes: 0, 1, 2..15, the range, exactly maxPayload and just under it, all drawn from the seed', () => {
  const cfg = testConfig(1, { traffic: 'chaos', payload: { min: 16, max: 512 }, serverMaxPayload: 8192 });
  const seen = new Set<number>();
  for (let seq = 0; seq < 5000; seq++) {
    const len = chaosPayloadLength(cfg, SERIAL, seq);
    assert.ok(len >= 0 && len <= 8192);
    assert.equal(len, chaosPayloadLength(cfg, SERIAL, seq), 'same draw for the same packet');
    seen.add(len < 16 ? len : len <= 512 ? -1 : len === 8192 ? 8192 : -2);
  }
  for (let l = 0; l < 16; l++) assert.ok(seen.has(l), `size ${l}`);
  for (const k of [-1, 8192, -2]) assert.ok(seen.has(k), `class ${k}`);
});

test('a wrap burst fills the server ring exactly up to a point inside its last frame, in every framing', () => {
  for (const framing of [LAN_FRAMING, SERVERCORE_FRAMING, { ...LAN_FRAMING, lengthBytes: 4 as const, extraBytes: 8 }]) {
    const h = headerBytes(framing);
    const cfg = testConfig(1, { traffic: 'chaos', framing, payload: { min: 16, max: 512 } });
    for (const max of [16, 200, 8192, 65531]) {
      const capacity = ringCapacity(framing, max);
      const c = { ...cfg, serverMaxPayload: max, payload: { min: 16, max: Math.min(512, max) } };
      for (let i = 0; i < 300; i++) {
        const lens = wrapBurst(c, new Prng(i));
        for (const l of lens) assert.ok(l >= 0 && l <= max, `payload ${l} within 0..${max}`);
        const before = lens.slice(0, -1).reduce((a, l) => a + h + l, 0);
        const last = h + lens[lens.length - 1]!;
        assert.ok(before < capacity && before + last > capacity, `header ${h} max ${max} seed ${i}: frame [${before}, ${before + last}) straddles ${capacity}`);
      }
    }
  }
});

test('write plans: deterministic per (seed, serial, sequence); bursts, wrap bursts and split writes all occur', () => {
  const cfg = testConfig(1, { traffic: 'chaos', payload: { min: 16, max: 512 } });
  let bursts = 0;
  let splits = 0;
  let wraps = 0;
  for (let seq = 0; seq < 2000; seq++) {
    const w = planChaosWrite(cfg, SERIAL, seq, 2, true);
    assert.deepEqual(w, planChaosWrite(cfg, SERIAL, seq, 2, true));
    const total = w.lens.reduce((a, l) => a + FRAME_HEADER_BYTES + l, 0);
    for (const cut of w.cuts) assert.ok(cut > 0 && cut < total);
    if (w.cuts.length > 0) splits++;
    if (w.lens.length >= 2 + 16) bursts++;
    else if (total > lanRingCapacity(cfg.serverMaxPayload)) wraps++;
    assert.equal(planChaosWrite(cfg, SERIAL, seq, 2, false).lens.length, 2, 'no bursts when asked for none');
  }
  assert.ok(bursts > 50 && splits > 100 && wraps > 20, `bursts ${bursts} splits ${splits} wraps ${wraps}`);
});

test('stalls: about STALL_FRACTION of connections, only with chaos traffic, replayed by the seed; long ones early and in the largest packets', () => {
  const cfg = testConfig(1, { traffic: 'chaos' });
  let n = 0;
  for (let serial = 0; serial < 10000; serial++) {
    const s = planStall(cfg, serial);
    assert.deepEqual(s, planStall(cfg, serial));
    if (s !== null) {
      n++;
      const long = s.kind === 'long';
      assert.equal(long, s.maxBytes === STALL_LONG_BYTES);
      assert.ok(long ? s.durationMs >= 1000 && s.durationMs <= 3000 : s.durationMs >= 200 && s.durationMs <= 800, `${s.durationMs} ms`);
      assert.ok(long || (s.maxBytes >= STALL_BRIEF_BYTES.min && s.maxBytes <= STALL_BRIEF_BYTES.max), `${s.maxBytes} bytes`);
      const start = long ? STALL_LONG_START_MS : STALL_BRIEF_START_MS;
      assert.ok(s.atLifeMs >= start.min && s.atLifeMs <= start.max, `starts at ${s.atLifeMs} ms`);
      // A long stall fills the server's queue in the fewest packets; a brief one sends what chaos traffic draws.
      assert.equal(s.payload, long ? cfg.serverMaxPayload : null);
    }
    assert.equal(planStall({ ...cfg, traffic: 'echo' }, serial), null);
  }
  assert.ok(Math.abs(n / 10000 - STALL_FRACTION) < 0.01, `${n} of 10000`);
});
