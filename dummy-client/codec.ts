/**
 * The fleet's verifiable payloads (docs/protocol.md). Pure: no I/O, no clocks. How payloads are
 * framed on the wire is framing.ts.
 *
 * Echo payload (L >= 16), little-endian:
 *   offset 0  u32  connection serial
 *   offset 4  u32  sequence (per connection, from 0)
 *   offset 8  u32  send time ns, low 32 bits   } one u64: the sender's monotonic clock,
 *   offset 12 u32  send time ns, high 32 bits  } so an echo carries its own timestamp
 *   offset 16 ...  filler: byte i of the filler is byte (i & 3) of little-endian word (i >> 2)
 *                  of an xorshift32 stream seeded by fillerSeed(serial, sequence, seed)
 *
 * Broadcast payload (L >= 12), little-endian:
 *   offset 0  u32  sender serial
 *   offset 4  u32  sequence
 *   offset 8  u32  FNV-1a of bytes [0, 8) and [12, L)
 *   offset 12 ...  filler (same generator, counted from offset 12)
 *
 * Small echo payload (0 <= L < 16, chaos traffic only): no header, just the first L filler bytes
 * for (serial, sequence, seed). Nothing in it names its packet, so it is checked by TCP order:
 * it must be the oldest packet still awaited on its connection (see integrity.ts).
 *
 * Probe payload (server -> client, sent by the native server's prober thread in echo mode, never
 * asked for), L = 16 + (n % 49), little-endian:
 *   offset 0  u32  0xFFFFFFFF (PROBE_SERIAL: the fleet never gives a connection this serial)
 *   offset 4  u32  n, a per-server counter
 *   offset 8  u64  the target session id (any value)
 *   offset 16 ...  byte i (i = 0 .. L-17) = (n * 7 + i * 131) & 0xff
 * A frame with L >= 16 and serial PROBE_SERIAL is a probe: valid -> counted, invalid -> corrupted.
 *
 * Filler differs per packet, so a misplaced or mixed-up echo cannot look right, and a checker
 * recomputes the expected bytes from (serial, sequence, seed) instead of storing them.
 */
import { endianness } from 'node:os';

export const ECHO_HEADER_BYTES = 16;
export const BROADCAST_HEADER_BYTES = 12;

// The filler is generated through a Uint32Array view, which writes words in host order.
if (endianness() !== 'LE') throw new Error('dummy-client/codec: the filler generator needs a little-endian host');

const TWO_POW_32 = 0x1_0000_0000;

/** murmur3's finalizer: a cheap avalanche so neighbouring (serial, seq) seeds give unrelated streams. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export function fillerSeed(serial: number, seq: number, seed: number): number {
  const s = mix32((serial ^ mix32((seq ^ mix32(seed >>> 0)) >>> 0)) >>> 0);
  // xorshift32 is stuck at 0 forever.
  return s === 0 ? 0x9e3779b9 : s;
}

/** Scratch shared by every call on this thread: the filler is generated here, then copied or compared natively. */
let scratchWords = new Uint32Array(16384 + 1);
let scratchBytes = Buffer.from(scratchWords.buffer);

function generateFiller(seedWord: number, len: number): Buffer {
  const words = (len + 3) >>> 2;
  if (words > scratchWords.length) {
    scratchWords = new Uint32Array(words);
    scratchBytes = Buffer.from(scratchWords.buffer);
  }
  let x = seedWord;
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    scratchWords[i] = x;
  }
  return scratchBytes;
}

/** Writes len filler bytes for (serial, seq, seed) at buf[off..]. */
export function writeFiller(buf: Buffer, off: number, len: number, serial: number, seq: number, seed: number): void {
  if (len <= 0) return;
  generateFiller(fillerSeed(serial, seq, seed), len).copy(buf, off, 0, len);
}

/** True when buf[off..off+len) holds exactly the filler for (serial, seq, seed). */
export function fillerMatches(buf: Buffer, off: number, len: number, serial: number, seq: number, seed: number): boolean {
  if (len <= 0) return true;
  const expected = generateFiller(fillerSeed(serial, seq, seed), len);
  return buf.compare(expected, 0, len, off, off + len) === 0;
}

/** Number of differing bytes between buf[off..off+len) and the filler, stopping once it exceeds limit. */
export function fillerDiff(buf: Buffer, off: number, len: number, serial: number, seq: number, seed: number, limit: number): number {
  if (len <= 0) return 0;
  const expected = generateFiller(fillerSeed(serial, seq, seed), len);
  let diff = 0;
  for (let i = 0; i < len && diff <= limit; i++) if (buf[off + i] !== expected[i]) diff++;
  return diff;
}

/** Writes an echo payload of len bytes (len >= 16) at buf[off..]. timeNs is a non-negative integer < 2^53. */
export function writeEchoPayload(buf: Buffer, off: number, len: number, serial: number, seq: number, timeNs: number, seed: number): void {
  buf.writeUInt32LE(serial >>> 0, off);
  buf.writeUInt32LE(seq >>> 0, off + 4);
  buf.writeUInt32LE(timeNs % TWO_POW_32, off + 8);
  buf.writeUInt32LE(Math.floor(timeNs / TWO_POW_32), off + 12);
  writeFiller(buf, off + ECHO_HEADER_BYTES, len - ECHO_HEADER_BYTES, serial, seq, seed);
}

export function readSerial(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off);
}

export function readSeq(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 4);
}

export function readTimeNs(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 8) + buf.readUInt32LE(off + 12) * TWO_POW_32;
}

export interface EchoFields {
  serial: number;
  seq: number;
  timeNs: number;
}

export function decodeEchoHeader(buf: Buffer, off: number): EchoFields {
  return { serial: readSerial(buf, off), seq: readSeq(buf, off), timeNs: readTimeNs(buf, off) };
}

/** Exactly the bytes writeEchoPayload would have written? */
export function echoPayloadMatches(buf: Buffer, off: number, len: number, serial: number, seq: number, timeNs: number, seed: number): boolean {
  if (len < ECHO_HEADER_BYTES) return false;
  return buf.readUInt32LE(off) === serial >>> 0 && buf.readUInt32LE(off + 4) === seq >>> 0 && echoRestMatches(buf, off, len, serial, seq, timeNs, seed);
}

/**
 * The rest of an echo (len >= 16) whose serial and sequence the caller already read from it and
 * matched: its send time and filler. Spares the checker reading the header twice per echo.
 */
export function echoRestMatches(buf: Buffer, off: number, len: number, serial: number, seq: number, timeNs: number, seed: number): boolean {
  return readTimeNs(buf, off) === timeNs && fillerMatches(buf, off + ECHO_HEADER_BYTES, len - ECHO_HEADER_BYTES, serial, seq, seed);
}

/** Differing bytes between an echo and what was sent (header and filler), stopping past limit. */
export function echoPayloadDiff(buf: Buffer, off: number, len: number, serial: number, seq: number, timeNs: number, seed: number, limit: number): number {
  let diff = 0;
  const header = diffHeaderScratch;
  header.writeUInt32LE(serial >>> 0, 0);
  header.writeUInt32LE(seq >>> 0, 4);
  header.writeUInt32LE(timeNs % TWO_POW_32, 8);
  header.writeUInt32LE(Math.floor(timeNs / TWO_POW_32), 12);
  const h = Math.min(len, ECHO_HEADER_BYTES);
  for (let i = 0; i < h; i++) if (buf[off + i] !== header[i]) diff++;
  if (diff > limit || len <= ECHO_HEADER_BYTES) return diff;
  return diff + fillerDiff(buf, off + ECHO_HEADER_BYTES, len - ECHO_HEADER_BYTES, serial, seq, seed, limit - diff);
}
const diffHeaderScratch = Buffer.alloc(ECHO_HEADER_BYTES);

/** Writes a small (headerless, len < 16) echo payload: the first len filler bytes of its packet. */
export function writeSmallEchoPayload(buf: Buffer, off: number, len: number, serial: number, seq: number, seed: number): void {
  writeFiller(buf, off, len, serial, seq, seed);
}

/** Exactly the bytes writeSmallEchoPayload would have written? */
export function smallEchoPayloadMatches(buf: Buffer, off: number, len: number, serial: number, seq: number, seed: number): boolean {
  return len < ECHO_HEADER_BYTES && fillerMatches(buf, off, len, serial, seq, seed);
}

export const PROBE_SERIAL = 0xffffffff;
export const PROBE_HEADER_BYTES = 16;
/** Longest probe payload: 16 + 48. */
export const PROBE_MAX_PAYLOAD = PROBE_HEADER_BYTES + 48;

export function probePayloadLength(n: number): number {
  return PROBE_HEADER_BYTES + ((n >>> 0) % 49);
}

/** Writes probe n for session `sessionId` at buf[off..], probePayloadLength(n) bytes (what the server sends). */
export function writeProbePayload(buf: Buffer, off: number, n: number, sessionId: bigint): void {
  const len = probePayloadLength(n);
  buf.writeUInt32LE(PROBE_SERIAL, off);
  buf.writeUInt32LE(n >>> 0, off + 4);
  buf.writeBigUInt64LE(BigInt.asUintN(64, sessionId), off + 8);
  for (let i = 0; i < len - PROBE_HEADER_BYTES; i++) buf[off + PROBE_HEADER_BYTES + i] = (Math.imul(n, 7) + i * 131) & 0xff;
}

/** A probe header (serial PROBE_SERIAL, L >= 16): whether it is one is decided before whether it is valid. */
export function isProbe(buf: Buffer, off: number, len: number): boolean {
  return len >= PROBE_HEADER_BYTES && buf.readUInt32LE(off) === PROBE_SERIAL;
}

/** A well-formed probe: its length follows from n, and its filler from n. */
export function probePayloadValid(buf: Buffer, off: number, len: number): boolean {
  if (!isProbe(buf, off, len)) return false;
  const n = buf.readUInt32LE(off + 4);
  if (len !== probePayloadLength(n)) return false;
  for (let i = 0; i < len - PROBE_HEADER_BYTES; i++) if (buf[off + PROBE_HEADER_BYTES + i] !== ((Math.imul(n, 7) + i * 131) & 0xff)) return false;
  return true;
}

/** FNV-1a over the broadcast payload, skipping the checksum field itself. */
export function broadcastChecksum(buf: Buffer, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 8 && i < len; i++) h = Math.imul(h ^ buf[off + i]!, 0x01000193);
  for (let i = BROADCAST_HEADER_BYTES; i < len; i++) h = Math.imul(h ^ buf[off + i]!, 0x01000193);
  return h >>> 0;
}

export function writeBroadcastPayload(buf: Buffer, off: number, len: number, serial: number, seq: number, seed: number): void {
  buf.writeUInt32LE(serial >>> 0, off);
  buf.writeUInt32LE(seq >>> 0, off + 4);
  writeFiller(buf, off + BROADCAST_HEADER_BYTES, len - BROADCAST_HEADER_BYTES, serial, seq, seed);
  buf.writeUInt32LE(broadcastChecksum(buf, off, len), off + 8);
}

export function broadcastPayloadValid(buf: Buffer, off: number, len: number): boolean {
  return len >= BROADCAST_HEADER_BYTES && buf.readUInt32LE(off + 8) === broadcastChecksum(buf, off, len);
}

/** Small seeded PRNG (mulberry32) for sizes, chaos draws and delays: deterministic per seed. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}
