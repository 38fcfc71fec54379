/**
 * What `chaos` traffic sends (TrafficKind 'chaos'): echo traffic shaped to reach every path of the
 * server under test. Pure: every draw comes from (seed, serial, sequence), so `--seed` replays.
 *
 *  - sizes (per packet): 0, 1, 2..15 (headerless: checked by TCP order), the configured range,
 *    exactly the server's maxPayload and just under it;
 *  - writes (per write, keyed by its first sequence): most carry what the send model asks for;
 *    some add a coalesced burst of 16..64 packets; some are a "wrap burst" that fills the server's
 *    receive ring (ringCapacity) up to a chosen point inside one frame, so that frame straddles
 *    the ring's end (its header split, its last byte past the wrap, ...) when the burst lands in an
 *    empty ring; some writes go out in 2..3 pieces with a pause between, so the server sees
 *    partial frames across reads;
 *  - stalls (per connection): a share of connections stop reading while still sending. Long ones
 *    (1..3 s, up to STALL_LONG_BYTES) fill the server's send queue until sendQueueLimit cuts them
 *    (an expected cut); brief ones (0.2..0.8 s, a few socket buffers' worth) fill the kernel
 *    buffers so the server's sends go short and wait, and then read every echo back: the short
 *    write and re-post path, checked byte for byte.
 */
import type { FleetConfig } from './types';
import { ECHO_HEADER_BYTES, Prng, mix32 } from './codec';
import { headerBytes, ringCapacity, type LengthPrefixed } from './framing';

/** Share of connections that stop reading once. */
export const STALL_FRACTION = 0.1;
/** Share of writes that add a coalesced burst, and of writes that are a wrap burst. */
const BURST_SHARE = 0.05;
const WRAP_SHARE = 0.03;
/** Share of writes split in pieces. */
const SPLIT_SHARE = 0.1;
export const BURST_MIN = 16;
export const BURST_MAX = 64;

const SIZE_SALT = 0x517e;
const WRITE_SALT = 0x3717e;
const STALL_SALT = 0x57a11;

/** chaos traffic aims at frames and at the server's frame reassembly: runs refuse it with a raw stream (stress/run/options.ts). */
function framesOf(config: FleetConfig): LengthPrefixed {
  if (config.framing.kind === 'raw') throw new Error('chaos traffic needs a length-prefixed framing, not raw');
  return config.framing;
}

function draw(seed: number, serial: number, key: number, salt: number): number {
  return mix32((seed ^ mix32((serial ^ mix32((key ^ salt) >>> 0)) >>> 0)) >>> 0);
}

/** Payload length of packet `seq` of connection `serial`. */
export function chaosPayloadLength(config: FleetConfig, serial: number, seq: number): number {
  const h = draw(config.seed, serial, seq, SIZE_SALT);
  const v = mix32(h);
  const u = h / 2 ** 32;
  const max = config.serverMaxPayload;
  if (u < 0.05) return 0;
  if (u < 0.1) return 1;
  if (u < 0.2) return 2 + (v % (ECHO_HEADER_BYTES - 2));
  if (u < 0.23) return max;
  if (u < 0.26) return Math.max(0, max - 1 - (v % 16));
  const { min, max: hi } = config.payload;
  return min + (v % (hi - min + 1));
}

export interface ChaosWrite {
  /** Payload lengths in write order: a wrap burst's frames, then the model's n packets, then a burst. */
  lens: number[];
  /** Byte offsets where the write is cut into pieces (strictly increasing, inside the write); empty = one write. */
  cuts: number[];
  /** Pause between pieces: 0 = the next turn of the event loop (setImmediate), else ms. */
  pauseMs: number;
}

/**
 * The write that starts at sequence firstSeq and carries the n packets the send model asks for.
 * bursts: false for the open loop (its schedule owns the packet count) and for plain writes.
 */
export function planChaosWrite(config: FleetConfig, serial: number, firstSeq: number, n: number, bursts: boolean): ChaosWrite {
  const rng = new Prng(draw(config.seed, serial, firstSeq, WRITE_SALT));
  const kind = rng.next();
  const lens: number[] = [];
  if (bursts && kind < WRAP_SHARE) lens.push(...wrapBurst(config, rng));
  const extra = bursts && kind >= WRAP_SHARE && kind < WRAP_SHARE + BURST_SHARE ? rng.int(BURST_MIN, BURST_MAX) : 0;
  const total = lens.length + n + extra;
  for (let seq = firstSeq + lens.length; lens.length < total; seq++) lens.push(chaosPayloadLength(config, serial, seq));
  const write: ChaosWrite = { lens, cuts: [], pauseMs: 0 };
  if (rng.next() < SPLIT_SHARE) {
    write.cuts = splitPoints(headerBytes(framesOf(config)), lens, rng.int(1, 2), rng);
    write.pauseMs = rng.next() < 0.5 ? 0 : rng.int(1, 4);
  }
  return write;
}

/**
 * Frames that, landing at the start of an empty receive ring, end exactly `split` bytes into the
 * last one at the ring's end: the last frame straddles the wrap at a chosen point (inside its
 * header, right after it, one byte before its end, or anywhere).
 */
export function wrapBurst(config: FleetConfig, rng: Prng): number[] {
  const max = config.serverMaxPayload;
  const framing = framesOf(config);
  const h = headerBytes(framing);
  const capacity = ringCapacity(framing, max);
  const straddlerChoices = [0, 1, rng.int(2, ECHO_HEADER_BYTES - 1), rng.int(config.payload.min, config.payload.max), max];
  const straddler = straddlerChoices[rng.int(0, straddlerChoices.length - 1)]!;
  const frame = h + straddler;
  const splitChoices = [1, 2, 3, frame - 1, frame - 2, rng.int(1, frame - 1)];
  const split = Math.min(frame - 1, Math.max(1, splitChoices[rng.int(0, splitChoices.length - 1)]!));
  const lens: number[] = [];
  // Bytes the frames before the straddler must fill: C - split >= C - (h + max) > 8192.
  let rest = capacity - split;
  while (rest > h + max) {
    let p = rng.int(max >> 1, max);
    // Never leave less than a header: no frame is that small.
    if (rest - h - p < h) p = rest - 2 * h;
    lens.push(p);
    rest -= h + p;
  }
  lens.push(rest - h);
  lens.push(straddler);
  return lens;
}

/** `count` cut offsets, each inside some frame of the write (so a piece ends mid-frame), increasing; h: header bytes. */
function splitPoints(h: number, lens: number[], count: number, rng: Prng): number[] {
  let total = 0;
  for (const l of lens) total += h + l;
  const cuts = new Set<number>();
  for (let i = 0; i < count; i++) {
    const f = rng.int(0, lens.length - 1);
    let start = 0;
    for (let j = 0; j < f; j++) start += h + lens[j]!;
    cuts.add(start + rng.int(1, h + lens[f]! - 1));
  }
  return [...cuts].filter((c) => c > 0 && c < total).sort((a, b) => a - b);
}

export interface StallPlan {
  /** long: sends past the server's send queue limit (an expected cut); brief: a few socket buffers, then reads back. */
  kind: 'long' | 'brief';
  /** Life (ms since connect) at which the connection stops reading. */
  atLifeMs: number;
  durationMs: number;
  /** Frame bytes the connection sends at most while stalled. */
  maxBytes: number;
  /**
   * Payload bytes of every packet the stall sends; null: drawn per packet as chaos traffic draws them.
   * A long stall sends the largest packets: the server's queue then passes sendQueueLimit within a
   * few dozen packets, where the server's per-packet kick (the chaos scenario's serverKick) would
   * otherwise cut most long stalls before their queue ever filled.
   */
  payload: number | null;
}

/**
 * A long stall sends past any sendQueueLimit plus the kernel buffers on both sides, so the
 * server's queue fills; and it bounds what the client keeps in flight (~21 bytes per packet).
 */
export const STALL_LONG_BYTES = 8 << 20;
/** A brief stall: about a loopback receive buffer (tcp_rmem 128 KiB by default), below the chaos scenario's queue limit on top. */
export const STALL_BRIEF_BYTES = { min: 96 << 10, max: 200 << 10 };

/** When (ms since connect) a long and a brief stall begin. */
export const STALL_LONG_START_MS = { min: 150, max: 1000 };
export const STALL_BRIEF_START_MS = { min: 300, max: 2500 };

/** Whether (and when, for how long) connection `serial` stops reading; null for most. */
export function planStall(config: FleetConfig, serial: number): StallPlan | null {
  if (config.traffic !== 'chaos') return null;
  const rng = new Prng(draw(config.seed, serial, 0, STALL_SALT));
  if (rng.next() >= STALL_FRACTION) return null;
  if (rng.next() < 0.5) {
    // Early: under the chaos scenario's per-packet server kick a busy connection lives about a
    // second, and a long stall that never begins never tests sendQueueLimit.
    return { kind: 'long', atLifeMs: rng.int(STALL_LONG_START_MS.min, STALL_LONG_START_MS.max), durationMs: rng.int(1000, 3000), maxBytes: STALL_LONG_BYTES, payload: config.serverMaxPayload };
  }
  return { kind: 'brief', atLifeMs: rng.int(STALL_BRIEF_START_MS.min, STALL_BRIEF_START_MS.max), durationMs: rng.int(200, 800), maxBytes: rng.int(STALL_BRIEF_BYTES.min, STALL_BRIEF_BYTES.max), payload: null };
}
