/**
 * The wire framings (docs/protocol.md, Framing), described once: the fleet, the test servers and
 * the option parsers all take a Framing from here. The native server's twin is
 * addon/src/core/framing.h (same presets, same spelling, same layout). Pure: no I/O.
 *
 * A framing is either
 *  - raw: a byte stream with no header; the server echoes bytes as they arrive, or
 *  - length-prefixed: [length field: 1, 2 or 4 bytes, le or be][extra header bytes][payload].
 *    The length counts what follows the length field (extra bytes and payload) or, with
 *    `includesHeader`, the whole frame, length field included. The extra header bytes (a packet
 *    id, say) are echoed back unchanged; the fleet puts a tag in them (the low bits of the
 *    sequence, frameTag) and checks it on the way back.
 *
 * Spelling (parseFraming, the one parser of --framing):
 *   lan                     = len:2:le         u16 LE payload length, then the payload (the default)
 *   servercore              = len:2:le:incl:hdr2  seed 003's ServerCore: {u16 LE size of the whole
 *                                              packet including the 4-byte header, u16 id}
 *   raw                     no framing (seed 002)
 *   len:SIZE[:le|be][:incl][:hdrN]   SIZE 1, 2 or 4; le (default) or be; incl: the length counts the
 *                           whole frame; hdrN: N extra header bytes (0..16). Parts after SIZE in any order.
 */

import type { TrafficKind } from './types';

export type ByteOrder = 'le' | 'be';

export interface LengthPrefixed {
  readonly kind: 'length';
  readonly lengthBytes: 1 | 2 | 4;
  readonly byteOrder: ByteOrder;
  /** The length counts the whole frame (length field and extra bytes), not only what follows the length field. */
  readonly includesHeader: boolean;
  /** Fixed header bytes after the length field, echoed unchanged. */
  readonly extraBytes: number;
}

export interface RawStream {
  readonly kind: 'raw';
}

export type Framing = LengthPrefixed | RawStream;

export const LAN_FRAMING: LengthPrefixed = { kind: 'length', lengthBytes: 2, byteOrder: 'le', includesHeader: false, extraBytes: 0 };
export const SERVERCORE_FRAMING: LengthPrefixed = { kind: 'length', lengthBytes: 2, byteOrder: 'le', includesHeader: true, extraBytes: 2 };
export const RAW_FRAMING: RawStream = { kind: 'raw' };

/** The named framings, in --help order. */
export const FRAMING_PRESETS: Readonly<Record<string, Framing>> = { lan: LAN_FRAMING, servercore: SERVERCORE_FRAMING, raw: RAW_FRAMING };
export const MAX_EXTRA_HEADER_BYTES = 16;
export const FRAMING_GRAMMAR = `lan, servercore, raw or len:SIZE[:le|be][:incl][:hdrN] (SIZE 1, 2 or 4; N 0..${MAX_EXTRA_HEADER_BYTES})`;

export function sameFraming(a: Framing, b: Framing): boolean {
  if (a.kind === 'raw' || b.kind === 'raw') return a.kind === b.kind;
  return a.lengthBytes === b.lengthBytes && a.byteOrder === b.byteOrder && a.includesHeader === b.includesHeader && a.extraBytes === b.extraBytes;
}

export function isLan(f: Framing): boolean {
  return sameFraming(f, LAN_FRAMING);
}

/** A preset's name, or the len:... spelling (what parseFraming reads back). */
export function framingText(f: Framing): string {
  for (const [name, preset] of Object.entries(FRAMING_PRESETS)) if (sameFraming(f, preset)) return name;
  if (f.kind === 'raw') return 'raw';
  return `len:${f.lengthBytes}:${f.byteOrder}${f.includesHeader ? ':incl' : ''}${f.extraBytes > 0 ? `:hdr${f.extraBytes}` : ''}`;
}

/** The one parser of a framing's spelling; an error is worded to follow "--framing 'text': ". */
export function parseFraming(text: string): { framing: Framing } | { error: string } {
  const preset = Object.hasOwn(FRAMING_PRESETS, text) ? FRAMING_PRESETS[text] : undefined;
  if (preset !== undefined) return { framing: preset };
  const parts = text.split(':');
  if (parts[0] !== 'len' || parts.length < 2) return { error: `must be ${FRAMING_GRAMMAR}` };
  const size = parts[1]!;
  if (size !== '1' && size !== '2' && size !== '4') return { error: `length size '${size}' is not 1, 2 or 4 bytes` };
  let byteOrder: ByteOrder | null = null;
  let includesHeader: boolean | null = null;
  let extraBytes: number | null = null;
  for (const part of parts.slice(2)) {
    let repeated: boolean;
    if (part === 'le' || part === 'be') {
      repeated = byteOrder !== null;
      byteOrder = part;
    } else if (part === 'incl') {
      repeated = includesHeader !== null;
      includesHeader = true;
    } else if (part.startsWith('hdr')) {
      const n = /^\d{1,3}$/.test(part.slice(3)) ? Number(part.slice(3)) : Number.NaN;
      if (!(n >= 0 && n <= MAX_EXTRA_HEADER_BYTES)) return { error: `'${part}': hdrN takes N extra header bytes, 0 to ${MAX_EXTRA_HEADER_BYTES}` };
      repeated = extraBytes !== null;
      extraBytes = n;
    } else {
      return { error: `'${part}' is not le, be, incl or hdrN; the spelling is ${FRAMING_GRAMMAR}` };
    }
    if (repeated) return { error: `'${part}' repeats a part already given` };
  }
  return {
    framing: {
      kind: 'length',
      lengthBytes: Number(size) as 1 | 2 | 4,
      byteOrder: byteOrder ?? 'le',
      includesHeader: includesHeader ?? false,
      extraBytes: extraBytes ?? 0,
    },
  };
}

/**
 * Why a framing cannot carry this traffic, or null: broadcast's receivers check each packet and
 * chaos traffic aims at frame boundaries, neither of which a raw stream has; bad-input traffic
 * writes lan headers. Worded for the command line (`stress run` prefixes --framing).
 */
export function framingRefuses(f: Framing, traffic: TrafficKind): string | null {
  if (f.kind === 'raw' && traffic === 'broadcast') return '--mode broadcast needs frames (each receiver checks each packet): a raw stream has none; use a length-prefixed framing';
  if (f.kind === 'raw' && traffic === 'chaos') return "--traffic chaos aims at frame boundaries and the server's frame reassembly: a raw stream has neither; use a length-prefixed framing";
  if (traffic === 'badInput' && !isLan(f)) return '--traffic bad-input writes lan headers the server must reject: use --framing lan';
  return null;
}

/** Length field and extra bytes: what precedes the payload. */
export function headerBytes(f: LengthPrefixed): number {
  return f.lengthBytes + f.extraBytes;
}

/** What the length counts beyond the payload. */
function countedHeader(f: LengthPrefixed): number {
  return f.includesHeader ? headerBytes(f) : f.extraBytes;
}

/** The largest payload the length field can announce. */
export function maxFramePayload(f: LengthPrefixed): number {
  return 2 ** (8 * f.lengthBytes) - 1 - countedHeader(f);
}

/** Bytes on the wire for a payload: its frame, or itself in a raw stream. */
export function wireBytes(f: Framing, payloadLen: number): number {
  return f.kind === 'raw' ? payloadLen : headerBytes(f) + payloadLen;
}

/** What precedes a payload on the wire: 0 in a raw stream. */
export function framingHeaderBytes(f: Framing): number {
  return f.kind === 'raw' ? 0 : headerBytes(f);
}

function writeUnsigned(buf: Buffer, off: number, bytes: number, order: ByteOrder, value: number): void {
  if (order === 'le') buf.writeUIntLE(value, off, bytes);
  else buf.writeUIntBE(value, off, bytes);
}

/** Tags are the sequence modulo this: as many low bits as the extra bytes hold, at most 32 (1 without extra bytes: every tag is 0). */
export function frameTagModulus(f: LengthPrefixed): number {
  return 2 ** (8 * Math.min(f.extraBytes, 4));
}

/** The tag the fleet puts in a frame's extra header bytes: the sequence's low bits. */
export function frameTag(f: LengthPrefixed, seq: number): number {
  return seq % frameTagModulus(f);
}

/**
 * Writes the length field and the extra header bytes of a frame carrying payloadLen bytes at
 * buf[off..]; the extra bytes hold `tag` (frameTag) as an unsigned integer in the framing's byte
 * order, zero beyond its low 4 bytes.
 */
export function writeFrameHeader(f: LengthPrefixed, buf: Buffer, off: number, payloadLen: number, tag: number): void {
  if (payloadLen < 0 || payloadLen > maxFramePayload(f)) throw new RangeError(`payload length ${payloadLen} outside 0..${maxFramePayload(f)} (--framing ${framingText(f)})`);
  writeUnsigned(buf, off, f.lengthBytes, f.byteOrder, payloadLen + countedHeader(f));
  writeTag(f, buf, off + f.lengthBytes, tag);
}

function writeTag(f: LengthPrefixed, buf: Buffer, off: number, tag: number): void {
  const n = f.extraBytes;
  if (n === 0) return;
  const low = Math.min(n, 4);
  // Up to 4 bytes the tag fills them all; a native fill per packet would cost more than the write.
  if (n > 4) buf.fill(0, off, off + n);
  // Little-endian: the low bytes first; big-endian: the low bytes last.
  writeUnsigned(buf, f.byteOrder === 'le' ? off : off + n - low, low, f.byteOrder, tag);
}

/** The tag in the extra header bytes before payloadStart, or -1 when the bytes past its low 4 are not zero. */
export function readFrameTag(f: LengthPrefixed, buf: Buffer, payloadStart: number): number {
  const n = f.extraBytes;
  if (n === 0) return 0;
  const off = payloadStart - n;
  const low = Math.min(n, 4);
  const lowOff = f.byteOrder === 'le' ? off : off + n - low;
  for (let i = off; i < off + n; i++) if ((i < lowOff || i >= lowOff + low) && buf[i] !== 0) return -1;
  return f.byteOrder === 'le' ? buf.readUIntLE(lowOff, low) : buf.readUIntBE(lowOff, low);
}

/** A whole frame for one payload (allocates: for tests, test servers and rare paths). */
export function encodeFrame(payload: Uint8Array, f: LengthPrefixed = LAN_FRAMING, tag = 0): Buffer {
  const h = headerBytes(f);
  const out = Buffer.allocUnsafe(h + payload.length);
  writeFrameHeader(f, out, 0, payload.length, tag);
  out.set(payload, h);
  return out;
}

/**
 * The native server's receive ring capacity (addon/src/core/framing.cpp minRingCapacity): one
 * whole packet plus slack. Chaos traffic aims frames across its wrap.
 */
export function ringCapacity(f: LengthPrefixed, maxPayload: number): number {
  const need = headerBytes(f) + maxPayload;
  return need + (need < 8192 ? 8192 : Math.floor(need / 2));
}

/** Reads a frame's length field as a number (1, 2 or 4 bytes, its byte order). */
type LengthReader = (buf: Buffer, off: number) => number;

function lengthReader(f: LengthPrefixed): LengthReader {
  const le = f.byteOrder === 'le';
  switch (f.lengthBytes) {
    case 1: return (buf, off) => buf[off]!;
    case 2: return le ? (buf, off) => buf.readUInt16LE(off) : (buf, off) => buf.readUInt16BE(off);
    case 4: return le ? (buf, off) => buf.readUInt32LE(off) : (buf, off) => buf.readUInt32BE(off);
  }
}

/**
 * Called with a view valid only during the call (the decoder reuses its buffer): the payload is
 * buf[start..start+len), its extra header bytes right before it (readFrameTag).
 */
export type FrameHandler = (buf: Buffer, start: number, len: number) => void;
/** A header announcing more than the decoder's limit (or less than its own header): called once; the decoder is then dead. */
export type JunkHandler = (announcedLen: number) => void;

/**
 * Streaming frame decoder for a length-prefixed framing: reassembles frames split across reads
 * and delivers many frames per read. Whole frames inside a chunk are delivered in place; only a
 * trailing partial frame is copied.
 *
 * With a limit (maxPayload), a length announcing more is junk the moment the length field is in:
 * the decoder reports it and stops, instead of waiting for payload bytes that may never come. So
 * is an inclusive length too small to count its own header.
 */
export class FrameDecoder {
  private pending: Buffer;
  private pendingLen = 0;
  private dead = false;
  private readonly lengthBytes: number;
  private readonly header: number;
  private readonly counted: number;
  private readonly readLength: LengthReader;

  constructor(
    framing: LengthPrefixed = LAN_FRAMING,
    initialCapacity = 1024,
    private readonly maxPayload = maxFramePayload(framing),
    private readonly onJunk: JunkHandler | null = null,
  ) {
    this.lengthBytes = framing.lengthBytes;
    this.header = headerBytes(framing);
    this.counted = countedHeader(framing);
    this.readLength = lengthReader(framing);
    this.pending = Buffer.allocUnsafe(Math.max(this.header, initialCapacity));
  }

  /** A junk header was seen: nothing more is decoded. */
  get junk(): boolean {
    return this.dead;
  }

  /** Bytes held from an incomplete frame. */
  get buffered(): number {
    return this.pendingLen;
  }

  reset(): void {
    this.pendingLen = 0;
  }

  /** The payload length a length field announces, or -1 for junk (reported; the decoder dies). */
  private payloadLength(buf: Buffer, off: number): number {
    const announced = this.readLength(buf, off) - this.counted;
    if (announced < 0 || announced > this.maxPayload) {
      this.dead = true;
      this.pendingLen = 0;
      this.onJunk?.(announced);
      return -1;
    }
    return announced;
  }

  /** Reassembles chunk[start..end) (by default the whole chunk: a shared read buffer passes its part). */
  push(chunk: Buffer, onFrame: FrameHandler, end = chunk.length, start = 0): void {
    if (this.dead) return;
    const lengthBytes = this.lengthBytes;
    const header = this.header;
    let off = start;
    if (this.pendingLen > 0) {
      if (this.pendingLen < lengthBytes) {
        const take = Math.min(lengthBytes - this.pendingLen, end - off);
        chunk.copy(this.pending, this.pendingLen, off, off + take);
        this.pendingLen += take;
        off += take;
        if (this.pendingLen < lengthBytes) return;
      }
      const payloadLen = this.payloadLength(this.pending, 0);
      if (payloadLen < 0) return;
      const frameLen = header + payloadLen;
      if (frameLen > this.pending.length) this.grow(frameLen);
      const take = Math.min(frameLen - this.pendingLen, end - off);
      chunk.copy(this.pending, this.pendingLen, off, off + take);
      this.pendingLen += take;
      off += take;
      if (this.pendingLen < frameLen) return;
      this.pendingLen = 0;
      onFrame(this.pending, header, payloadLen);
    }
    while (end - off >= lengthBytes) {
      const len = this.payloadLength(chunk, off);
      if (len < 0) return;
      if (end - off < header + len) break;
      onFrame(chunk, off + header, len);
      off += header + len;
    }
    if (off < end) {
      const rest = end - off;
      if (rest > this.pending.length) this.grow(rest);
      chunk.copy(this.pending, 0, off, end);
      this.pendingLen = rest;
    }
  }

  private grow(min: number): void {
    const next = Buffer.allocUnsafe(Math.max(min, this.pending.length * 2));
    this.pending.copy(next, 0, 0, this.pendingLen);
    this.pending = next;
  }
}
