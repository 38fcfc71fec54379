/**
 * The framing description (dummy-client/framing.ts): its spelling and errors, the layout of the
 * length field and the extra header bytes, the decoder for every shape (split at every byte, junk),
 * the tag check on echoes, and the raw stream's check by position (raw-stream.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FRAMING_PRESETS,
  FrameDecoder,
  LAN_FRAMING,
  SERVERCORE_FRAMING,
  encodeFrame,
  frameTag,
  framingText,
  maxFramePayload,
  parseFraming,
  readFrameTag,
  sameFraming,
  type Framing,
  type LengthPrefixed,
} from '../../dummy-client/framing';
import { writeEchoPayload } from '../../dummy-client/codec';
import { EchoChecker, Verdict, emptyCounts } from '../../dummy-client/integrity';
import { RawStreamVerifier } from '../../dummy-client/raw-stream';

function parsed(text: string): Framing {
  const r = parseFraming(text);
  if ('error' in r) throw new Error(`${text}: ${r.error}`);
  return r.framing;
}

function framed(text: string): LengthPrefixed {
  const f = parsed(text);
  if (f.kind === 'raw') throw new Error(`${text} is raw`);
  return f;
}

test('spellings read back as written; presets print as their names, whatever the spelling', () => {
  for (const text of ['lan', 'servercore', 'raw', 'len:4:be', 'len:1:le:incl', 'len:2:be:hdr2', 'len:4:le:incl:hdr16']) assert.equal(framingText(parsed(text)), text);
  assert.equal(framingText(parsed('len:2')), 'lan');
  assert.equal(framingText(parsed('len:2:hdr2:incl:le')), 'servercore');
  assert.ok(sameFraming(parsed('len:2:le:incl:hdr2'), SERVERCORE_FRAMING));
  assert.deepEqual(Object.keys(FRAMING_PRESETS), ['lan', 'servercore', 'raw']);
});

test('bad spellings say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['json', /must be lan, servercore, raw or len:SIZE/],
    ['len', /must be lan/],
    ['len:3', /length size '3' is not 1, 2 or 4/],
    ['len:2:le:be', /repeats/],
    ['len:2:incl:incl', /repeats/],
    ['len:2:hdr17', /0 to 16/],
    ['len:2:hdrx', /hdrN/],
    ['len:2:little', /not le, be, incl or hdrN/],
    ['toString', /must be lan/],
  ];
  for (const [text, says] of cases) {
    const r = parseFraming(text);
    assert.ok('error' in r && says.test(r.error), `${text}: ${JSON.stringify(r)}`);
  }
});

test('the length field and extra bytes sit where and how the framing says', () => {
  // servercore: u16 LE size of the whole packet (4-byte header included), then a u16 id.
  assert.deepEqual([...encodeFrame(Buffer.from('hi'), SERVERCORE_FRAMING, 0x1234)], [6, 0, 0x34, 0x12, 0x68, 0x69]);
  assert.deepEqual([...encodeFrame(Buffer.from([1, 1, 1]), framed('len:4:be'))], [0, 0, 0, 3, 1, 1, 1]);
  assert.deepEqual([...encodeFrame(Buffer.from([1, 1, 1]), framed('len:2:le:incl'))], [5, 0, 1, 1, 1]);
  // Big-endian extra bytes carry the tag in their last bytes, zero above 4 bytes.
  assert.deepEqual([...encodeFrame(Buffer.alloc(0), framed('len:1:be:hdr6'), 0x01020304)], [6, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual([...encodeFrame(Buffer.alloc(0), framed('len:1:le:hdr6'), 0x01020304)], [6, 4, 3, 2, 1, 0, 0]);
  assert.equal(maxFramePayload(framed('len:1')), 255);
  assert.equal(maxFramePayload(SERVERCORE_FRAMING), 65531);
  assert.equal(maxFramePayload(LAN_FRAMING), 65535);
  assert.throws(() => encodeFrame(Buffer.alloc(256), framed('len:1')), /outside 0\.\.255/);
});

test('tags: the low bits of the sequence, read back; non-zero bytes above the low 4 read as no tag', () => {
  const f = framed('len:2:le:hdr2');
  assert.equal(frameTag(f, 0x12345), 0x2345);
  const frame = encodeFrame(Buffer.alloc(3), f, frameTag(f, 0x12345));
  assert.equal(readFrameTag(f, frame, 4), 0x2345);
  const wide = framed('len:2:be:hdr6');
  const w = encodeFrame(Buffer.alloc(1), wide, 0xdeadbeef);
  assert.equal(readFrameTag(wide, w, 8), 0xdeadbeef);
  w[2] = 1;
  assert.equal(readFrameTag(wide, w, 8), -1);
});

test('every shape decodes frames split at every byte, extra bytes before each payload', () => {
  for (const text of ['lan', 'servercore', 'len:1:le', 'len:4:be', 'len:2:be:incl:hdr2', 'len:1:le:hdr3', 'len:4:le:incl:hdr8']) {
    const f = framed(text);
    const payloads = [0, 1, 17, 200].map((n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff)));
    const wire = Buffer.concat(payloads.map((p, i) => encodeFrame(p, f, frameTag(f, i))));
    for (let at = 0; at <= wire.length; at++) {
      const got: Array<[number[], number]> = [];
      const d = new FrameDecoder(f, 4, 200);
      const on = (buf: Buffer, start: number, len: number): void => void got.push([[...buf.subarray(start, start + len)], readFrameTag(f, buf, start)]);
      d.push(wire.subarray(0, at), on);
      d.push(wire.subarray(at), on);
      assert.deepEqual(got, payloads.map((p, i) => [[...p], frameTag(f, i)]), `${text} split at ${at}`);
    }
  }
});

test('junk: a length over the limit, or an inclusive length below its own header', () => {
  const f = framed('len:2:le:incl:hdr2');
  const junk: number[] = [];
  new FrameDecoder(f, 16, 100, (n) => junk.push(n)).push(encodeFrame(Buffer.alloc(101), f), () => assert.fail('no frame'));
  new FrameDecoder(f, 16, 100, (n) => junk.push(n)).push(Buffer.from([3, 0, 0, 0]), () => assert.fail('no frame'));
  assert.deepEqual(junk, [101, -1]);
});

test('a right payload under a wrong tag is corrupted; under the right one ok', () => {
  const f = SERVERCORE_FRAMING;
  const counts = emptyCounts();
  const c = new EchoChecker(7, 9, counts, 8, f);
  const payload = Buffer.alloc(32);
  for (const tagOff of [0, 1]) {
    const seq = c.noteSent(32, 1000, 1000);
    writeEchoPayload(payload, 0, 32, 7, seq, 1000, 9);
    c.frameTag = frameTag(f, seq) + tagOff;
    c.onEcho(payload, 0, 32, 2000);
  }
  assert.deepEqual([counts.ok, counts.corrupted], [1, 1]);
});

/** A raw connection's messages (echo payloads of the given sizes), back to back. */
function rawStream(c: EchoChecker, sizes: number[]): Buffer {
  return Buffer.concat(
    sizes.map((len) => {
      const seq = c.noteSent(len, 1000, 1000 + len);
      const b = Buffer.alloc(len);
      writeEchoPayload(b, 0, len, 7, seq, 1000 + len, 9);
      return b;
    }),
  );
}

test('raw: the returned stream is checked by position, in any pieces; timed from each first byte', () => {
  for (const piece of [1, 5, 16, 1000]) {
    const counts = emptyCounts();
    const c = new EchoChecker(7, 9, counts, 8, { kind: 'raw' });
    const verdicts: Verdict[] = [];
    const latencies: number[] = [];
    const v = new RawStreamVerifier(c, 7, 9, (x) => {
      verdicts.push(x);
      latencies.push(c.lastUncorrectedNs);
    });
    const stream = rawStream(c, [16, 40, 17]);
    for (let off = 0, t = 5000; off < stream.length; off += piece, t += 10) v.push(stream.subarray(off, off + piece), 0, Math.min(piece, stream.length - off), t);
    assert.deepEqual(verdicts, [Verdict.Ok, Verdict.Ok, Verdict.Ok], `pieces of ${piece}`);
    // The first message's first byte came with the first piece (t = 5000); it was sent at 1016.
    assert.equal(latencies[0], 5000 - 1016);
    assert.equal(c.inFlight, 0);
  }
});

test('raw: a wrong byte is corrupted, a swap corrupts both, bytes past what was sent are unexpected, the missing tail lost', () => {
  const counts = emptyCounts();
  const c = new EchoChecker(7, 9, counts, 8, { kind: 'raw' });
  const v = new RawStreamVerifier(c, 7, 9, () => undefined);
  const stream = rawStream(c, [16, 16, 16, 16, 16]);
  stream[3] = stream[3]! ^ 1;
  const swapped = Buffer.concat([stream.subarray(0, 16), stream.subarray(32, 48), stream.subarray(16, 32), stream.subarray(48, 64)]);
  v.push(swapped, 0, swapped.length, 5000);
  assert.deepEqual([counts.ok, counts.corrupted], [1, 3]);
  c.finish(false);
  assert.equal(counts.lost, 1);
  const extra = Buffer.alloc(3);
  v.push(extra, 0, 3, 6000);
  assert.equal(counts.unexpected, 1);
});
