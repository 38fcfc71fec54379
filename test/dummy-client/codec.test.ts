import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Prng,
  broadcastPayloadValid,
  decodeEchoHeader,
  echoPayloadMatches,
  fillerMatches,
  writeBroadcastPayload,
  writeEchoPayload,
  writeFiller,
} from '../../dummy-client/codec';
import { FrameDecoder, LAN_FRAMING, encodeFrame } from '../../dummy-client/framing';

function echoFrame(serial: number, seq: number, len: number, timeNs: number, seed: number): Buffer {
  const p = Buffer.alloc(len);
  writeEchoPayload(p, 0, len, serial, seq, timeNs, seed);
  return encodeFrame(p);
}

test('echo payload round trip: header fields and filler verify, any changed byte does not', () => {
  const time = 2 ** 40 + 123456789;
  const f = echoFrame(7, 99, 64, time, 5);
  assert.equal(f.readUInt16LE(0), 64);
  const h = decodeEchoHeader(f, 2);
  assert.deepEqual(h, { serial: 7, seq: 99, timeNs: time });
  assert.ok(echoPayloadMatches(f, 2, 64, 7, 99, time, 5));
  for (let i = 2; i < f.length; i++) {
    const copy = Buffer.from(f);
    copy[i] = copy[i]! ^ 1;
    assert.equal(echoPayloadMatches(copy, 2, 64, 7, 99, time, 5), false, `byte ${i} flipped`);
  }
});

test('filler differs per serial, sequence and seed, and is reproducible', () => {
  const a = Buffer.alloc(48);
  writeFiller(a, 0, 48, 1, 2, 3);
  assert.ok(fillerMatches(a, 0, 48, 1, 2, 3));
  assert.equal(fillerMatches(a, 0, 48, 1, 3, 3), false);
  assert.equal(fillerMatches(a, 0, 48, 2, 2, 3), false);
  assert.equal(fillerMatches(a, 0, 48, 1, 2, 4), false);
  // Unaligned offsets and odd lengths.
  const b = Buffer.alloc(60);
  writeFiller(b, 3, 45, 1, 2, 3);
  assert.ok(b.subarray(3, 48).equals(a.subarray(0, 45)));
});

test('encodeFrame handles an empty payload and rejects one over 65535 bytes', () => {
  assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0, 0]);
  assert.throws(() => encodeFrame(new Uint8Array(65536)), RangeError);
});

test('decoder: a stream of frames split at every byte boundary yields the same frames', () => {
  const frames = [echoFrame(1, 0, 16, 1, 9), encodeFrame(new Uint8Array(0)), echoFrame(1, 1, 300, 2, 9), echoFrame(2, 5, 17, 3, 9)];
  const stream = Buffer.concat(frames);
  const expected = frames.map((f) => f.subarray(2).toString('hex'));
  for (let cut1 = 0; cut1 <= stream.length; cut1++) {
    for (const cut2 of [cut1, Math.min(stream.length, cut1 + 1), Math.min(stream.length, cut1 + 7)]) {
      const d = new FrameDecoder(LAN_FRAMING, 4);
      const got: string[] = [];
      const on = (b: Buffer, s: number, l: number): void => void got.push(b.subarray(s, s + l).toString('hex'));
      d.push(stream.subarray(0, cut1), on);
      d.push(stream.subarray(cut1, cut2), on);
      d.push(stream.subarray(cut2), on);
      assert.deepEqual(got, expected, `cuts at ${cut1}/${cut2}`);
      assert.equal(d.buffered, 0);
    }
  }
});

test('decoder: byte-at-a-time and many-per-read agree on random frames', () => {
  const rng = new Prng(1);
  const frames: Buffer[] = [];
  for (let i = 0; i < 200; i++) frames.push(echoFrame(3, i, rng.int(16, 2000), i, 1));
  const stream = Buffer.concat(frames);
  const collect = (chunks: Buffer[]): string[] => {
    const d = new FrameDecoder(LAN_FRAMING, 8);
    const out: string[] = [];
    for (const c of chunks) d.push(c, (b, s, l) => void out.push(b.subarray(s, s + l).toString('base64')));
    return out;
  };
  const expected = frames.map((f) => f.subarray(2).toString('base64'));
  const bytes: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) bytes.push(stream.subarray(i, i + 1));
  assert.deepEqual(collect(bytes), expected);
  assert.deepEqual(collect([stream]), expected);
  const random: Buffer[] = [];
  for (let off = 0; off < stream.length; ) {
    const n = rng.int(1, 5000);
    random.push(stream.subarray(off, off + n));
    off += n;
  }
  assert.deepEqual(collect(random), expected);
});

test('broadcast payload is self-validating', () => {
  const p = Buffer.alloc(40);
  writeBroadcastPayload(p, 0, 40, 11, 12, 13);
  assert.ok(broadcastPayloadValid(p, 0, 40));
  for (let i = 0; i < 40; i++) {
    const c = Buffer.from(p);
    c[i] = c[i]! ^ 0x80;
    assert.equal(broadcastPayloadValid(c, 0, 40), false, `byte ${i}`);
  }
  assert.equal(broadcastPayloadValid(p, 0, 11), false);
});

test('Prng is deterministic per seed and int() stays in range', () => {
  const a = new Prng(77);
  const b = new Prng(77);
  for (let i = 0; i < 1000; i++) {
    const x = a.int(16, 20);
    assert.equal(x, b.int(16, 20));
    assert.ok(x >= 16 && x <= 20);
  }
});
