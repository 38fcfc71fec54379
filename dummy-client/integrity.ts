/**
 * Per-connection echo checker (the integrity classes of docs/protocol.md). Pure: the caller passes the clock.
 *
 * Every echo gets exactly one class:
 *   ok         the bytes sent at that sequence, arriving after every earlier one already arrived
 *   reordered  intact, but a later sequence had already arrived (the late one is counted, so a
 *              swapped pair counts once; an early arrival whose predecessor never comes is ok and
 *              the predecessor is lost)
 *   corrupted  bytes differ from what was sent (attributed to the closest in-flight packet)
 *   duplicated an intact copy of a sequence that already arrived
 *   unexpected an echo nobody sent: unknown serial, a sequence never sent, or bytes unlike any
 *              packet in flight
 * and every packet sent gets at most one of ok/reordered/corrupted, or at the end one of:
 *   lost       never echoed, on a connection nobody meant to cut
 *   abandoned  in flight when the scenario cut the connection on purpose (expected)
 *
 * Echo timeout: a packet not echoed within echoTimeout becomes *overdue*: it leaves the pipeline
 * (so the connection keeps sending) but is not yet classified. If it then arrives intact it is ok
 * (or reordered, by the same rule as above) and tallied `late` beside its class: a slow server
 * costs no false `lost`. It is declared lost once an echo of a later packet arrives without it
 * (TCP keeps order, so a correct server can no longer send it in order; should it come after all,
 * it moves from lost to reordered: one class, and the error count does not change), or at the
 * end. So the error total only grows, and a second's error count is final when reported.
 *
 * Small payloads (< 16 bytes, chaos traffic) carry no header: TCP keeps order, so a small echo
 * must be the oldest packet still awaited (an overdue one first, else the oldest in flight) with
 * that length and its filler bytes. Anything else is corrupted, attributed to that oldest packet.
 *
 * Frame tags (framings with extra header bytes, framing.ts): the fleet puts the low bits of the
 * sequence in them and the server echoes them unchanged. The caller sets frameTag from each echo's
 * header before onEcho; an echo whose payload is intact but whose tag is not its sequence's is
 * corrupted.
 *
 * Raw streams (framing raw) have no frames: raw-stream.ts checks the returned bytes by position
 * and settles each message in order through settleInOrder.
 *
 * Probes (codec.ts, serial PROBE_SERIAL) are not echoes: a valid one is Verdict.Probe (counted by
 * the caller, no class), an invalid one is corrupted, attributed to no packet.
 *
 * Memory: per in-flight packet only (length, intended and actual send time) in a ring indexed by
 * sequence; bytes are recomputed from (serial, seq, seed). The ring grows to the most packets ever
 * in flight at once, never with the number sent.
 */
import type { IntegrityCounts } from './types';
import {
  ECHO_HEADER_BYTES,
  broadcastPayloadValid,
  echoPayloadDiff,
  PROBE_SERIAL,
  echoRestMatches,
  fillerMatches,
  probePayloadValid,
  readSeq,
  readSerial,
  smallEchoPayloadMatches,
} from './codec';
import { LAN_FRAMING, frameTagModulus, wireBytes, type Framing } from './framing';

export function emptyCounts(): IntegrityCounts {
  return { ok: 0, corrupted: 0, reordered: 0, duplicated: 0, unexpected: 0, lost: 0, abandoned: 0 };
}

export function addCounts(into: IntegrityCounts, from: IntegrityCounts): IntegrityCounts {
  into.ok += from.ok;
  into.corrupted += from.corrupted;
  into.reordered += from.reordered;
  into.duplicated += from.duplicated;
  into.unexpected += from.unexpected;
  into.lost += from.lost;
  into.abandoned += from.abandoned;
  return into;
}

/** Classes that are errors (abandoned and ok are not). */
export function integrityErrors(c: IntegrityCounts): number {
  return c.corrupted + c.reordered + c.duplicated + c.unexpected + c.lost;
}

export const enum Verdict {
  Ok = 0,
  Reordered = 1,
  Corrupted = 2,
  Duplicated = 3,
  Unexpected = 4,
  /** A valid server probe: no integrity class. */
  Probe = 5,
}

const FREE = 0;
const IN_FLIGHT = 1;
const DONE = 2;

/**
 * Overdue packets remembered per connection. When it is full, the oldest packet already declared
 * lost is forgotten (should it still arrive, its intact bytes count as duplicated: it can no longer
 * be told from a copy). Packets still awaited are never forgotten: past this many, further packets
 * stay in flight instead of going overdue, so they hold the pipeline and the connection waits for
 * the server rather than sending on (a slow but correct server must not earn a false class).
 */
const OVERDUE_MEMORY = 256;

/** What a late echo is checked and timed against. */
interface Overdue {
  len: number;
  intendedNs: number;
  sentNs: number;
  /** Already declared lost (a later packet was echoed first). */
  lost: boolean;
}

export class EchoChecker {
  /** Next sequence to send. */
  nextSeq = 0;
  /** Packets sent and not yet echoed or classified. */
  inFlight = 0;
  /** Latency of the last ok/reordered echo, ns: from the intended and from the actual send time. */
  lastCorrectedNs = 0;
  lastUncorrectedNs = 0;
  /** The last ok/reordered echo came after echoTimeout (it had been overdue). */
  lastLate = false;
  /** Overdue packets not yet declared lost: still awaited (a drain waits for them). */
  overdueAwaited = 0;
  /** The tag in the extra header bytes of the echo about to be checked (set by the caller). */
  frameTag = 0;

  private base = 0;
  private highestReceived = -1;
  private mask: number;
  private state: Uint8Array;
  private lens: Uint32Array;
  private intended: Float64Array;
  private sent: Float64Array;
  /** Overdue packets by sequence; insertion order is sequence order (expire() goes oldest first). */
  private readonly overdue = new Map<number, Overdue>();
  /** Tags are the sequence modulo this; 0 = the framing has no extra header bytes. */
  private readonly tagModulus: number;

  constructor(
    readonly serial: number,
    readonly seed: number,
    /** Shared tally (usually one per worker), incremented in place. */
    readonly counts: IntegrityCounts,
    initialCapacity = 8,
    private readonly framing: Framing = LAN_FRAMING,
  ) {
    this.tagModulus = framing.kind === 'raw' || framing.extraBytes === 0 ? 0 : frameTagModulus(framing);
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.mask = cap - 1;
    this.state = new Uint8Array(cap);
    this.lens = new Uint32Array(cap);
    this.intended = new Float64Array(cap);
    this.sent = new Float64Array(cap);
  }

  /** Oldest sequence still in flight, or -1. */
  get oldestInFlight(): number {
    return this.base < this.nextSeq ? this.base : -1;
  }

  /** Send time of the oldest in-flight packet, ns, or -1. */
  get oldestSentNs(): number {
    return this.base < this.nextSeq ? this.sent[this.base & this.mask]! : -1;
  }

  /** Registers the next packet; returns its sequence. The caller writes it with sentNs as its time. */
  noteSent(len: number, intendedNs: number, sentNs: number): number {
    if (this.nextSeq - this.base > this.mask) this.grow();
    const seq = this.nextSeq++;
    const i = seq & this.mask;
    this.state[i] = IN_FLIGHT;
    this.lens[i] = len;
    this.intended[i] = intendedNs;
    this.sent[i] = sentNs;
    this.inFlight++;
    return seq;
  }

  /** Classifies one echoed payload buf[start..start+len). */
  onEcho(buf: Buffer, start: number, len: number, nowNs: number): Verdict {
    this.lastLate = false;
    if (len < ECHO_HEADER_BYTES) return this.onSmallEcho(buf, start, len, nowNs);
    // The header is read once: len >= 16 here, so a probe is just its serial (isProbe).
    const serial = readSerial(buf, start);
    if (serial === PROBE_SERIAL) return probePayloadValid(buf, start, len) ? Verdict.Probe : this.count(Verdict.Corrupted);
    const mine = serial === this.serial;
    const seq = mine ? readSeq(buf, start) : -1;
    if (mine && seq < this.nextSeq) {
      if (seq >= this.base && this.state[seq & this.mask] === IN_FLIGHT) {
        const i = seq & this.mask;
        if (this.lens[i] === len && echoRestMatches(buf, start, len, this.serial, seq, this.sent[i]!, this.seed)) {
          return this.tagMatches(seq) ? this.accept(seq, nowNs) : this.corruptedAt(seq);
        }
      } else {
        const o = this.overdue.get(seq);
        if (o !== undefined) {
          if (o.len === len && echoRestMatches(buf, start, len, this.serial, seq, o.sentNs, this.seed)) return this.acceptLate(seq, o, nowNs);
          const limit = 2 + (len >> 2);
          if (o.len === len && echoPayloadDiff(buf, start, len, this.serial, seq, o.sentNs, this.seed, limit) <= limit) {
            this.forgetOverdue(seq, o);
            return this.count(Verdict.Corrupted);
          }
        } else if (len >= ECHO_HEADER_BYTES && fillerMatches(buf, start + ECHO_HEADER_BYTES, len - ECHO_HEADER_BYTES, this.serial, seq, this.seed)) {
          return this.count(Verdict.Duplicated);
        }
      }
    }
    const target = this.closestInFlight(buf, start, len, mine ? seq : -1);
    if (target < 0) return this.count(Verdict.Unexpected);
    this.settle(target);
    return this.count(Verdict.Corrupted);
  }

  /** A headerless echo: by TCP order it is the oldest packet still awaited, or it is corrupted. */
  private onSmallEcho(buf: Buffer, start: number, len: number, nowNs: number): Verdict {
    let oldest: [number, Overdue] | null = null;
    for (const entry of this.overdue) {
      if (!entry[1].lost) {
        oldest = entry;
        break;
      }
    }
    if (oldest !== null) {
      const [seq, o] = oldest;
      if (o.len === len && smallEchoPayloadMatches(buf, start, len, this.serial, seq, this.seed)) return this.acceptLate(seq, o, nowNs);
    }
    const base = this.base;
    if (base < this.nextSeq) {
      const i = base & this.mask;
      if (this.lens[i] === len && smallEchoPayloadMatches(buf, start, len, this.serial, base, this.seed) && this.tagMatches(base)) return this.accept(base, nowNs);
      this.settle(base);
      return this.count(Verdict.Corrupted);
    }
    if (oldest !== null) {
      this.forgetOverdue(oldest[0], oldest[1]);
      return this.count(Verdict.Corrupted);
    }
    return this.count(Verdict.Unexpected);
  }

  /**
   * Makes overdue every packet sent before nowNs - timeoutNs and still in flight, while the overdue
   * memory has room for it; returns how many.
   */
  expire(nowNs: number, timeoutNs: number): number {
    const limit = nowNs - timeoutNs;
    let n = 0;
    for (let seq = this.base; seq < this.nextSeq; seq++) {
      const i = seq & this.mask;
      if (this.state[i] !== IN_FLIGHT) continue;
      if (this.sent[i]! > limit) break;
      if (this.overdue.size >= OVERDUE_MEMORY && !this.forgetOldestCondemned()) break;
      this.overdue.set(seq, { len: this.lens[i]!, intendedNs: this.intended[i]!, sentNs: this.sent[i]!, lost: false });
      this.overdueAwaited++;
      this.settle(seq, false);
      n++;
    }
    return n;
  }

  /** Wire bytes (frame header + payload) of the packets in flight: what a cut right now abandons. */
  get bytesInFlight(): number {
    let n = 0;
    for (let seq = this.base; seq < this.nextSeq; seq++) {
      const i = seq & this.mask;
      if (this.state[i] === IN_FLIGHT) n += wireBytes(this.framing, this.lens[i]!);
    }
    return n;
  }

  /** Payload length of a packet in flight (raw streams regenerate its bytes). */
  lengthOf(seq: number): number {
    return this.lens[seq & this.mask]!;
  }

  /** Send time (ns) written into a packet in flight. */
  sentNsOf(seq: number): number {
    return this.sent[seq & this.mask]!;
  }

  /**
   * Raw streams: the oldest packet in flight has come back whole, its first byte at firstByteNs:
   * ok (timed from that first byte) when every byte matched, else corrupted.
   */
  settleInOrder(seq: number, intact: boolean, firstByteNs: number): Verdict {
    if (!intact) return this.corruptedAt(seq);
    return this.accept(seq, firstByteNs);
  }

  /** Raw streams: bytes past everything sent on this connection. */
  countUnexpected(): Verdict {
    return this.count(Verdict.Unexpected);
  }

  /** Classifies everything still in flight (lost, or abandoned when cut on purpose); returns how many. */
  finish(cutOnPurpose: boolean): number {
    const n = this.inFlight + this.overdueAwaited;
    if (cutOnPurpose) this.counts.abandoned += n;
    else this.counts.lost += n;
    for (let seq = this.base; seq < this.nextSeq; seq++) this.state[seq & this.mask] = FREE;
    this.base = this.nextSeq;
    this.inFlight = 0;
    this.overdue.clear();
    this.overdueAwaited = 0;
    return n;
  }

  private tagMatches(seq: number): boolean {
    return this.tagModulus === 0 || this.frameTag === seq % this.tagModulus;
  }

  /** A packet in flight echoed with wrong bytes (or a wrong tag): corrupted, and no longer awaited. */
  private corruptedAt(seq: number): Verdict {
    this.settle(seq);
    return this.count(Verdict.Corrupted);
  }

  private accept(seq: number, nowNs: number): Verdict {
    const i = seq & this.mask;
    this.lastCorrectedNs = nowNs - this.intended[i]!;
    this.lastUncorrectedNs = nowNs - this.sent[i]!;
    const late = seq < this.highestReceived;
    this.settle(seq);
    if (this.overdueAwaited > 0) this.condemnOverdueBefore(seq);
    return this.count(late ? Verdict.Reordered : Verdict.Ok);
  }

  /** An overdue packet arrived intact: classified as if on time, and tallied late (corrupted if its tag is wrong). */
  private acceptLate(seq: number, o: Overdue, nowNs: number): Verdict {
    if (!this.tagMatches(seq)) {
      this.forgetOverdue(seq, o);
      return this.count(Verdict.Corrupted);
    }
    this.lastCorrectedNs = nowNs - o.intendedNs;
    this.lastUncorrectedNs = nowNs - o.sentNs;
    this.lastLate = true;
    this.forgetOverdue(seq, o);
    const reordered = seq < this.highestReceived;
    if (seq > this.highestReceived) this.highestReceived = seq;
    if (this.overdueAwaited > 0) this.condemnOverdueBefore(seq);
    return this.count(reordered ? Verdict.Reordered : Verdict.Ok);
  }

  /** Takes an overdue packet out of the books before it gets its class (a loss declared for it is withdrawn). */
  private forgetOverdue(seq: number, o: Overdue): void {
    this.overdue.delete(seq);
    if (o.lost) this.counts.lost--;
    else this.overdueAwaited--;
  }

  /** A later packet was echoed: overdue packets before it can no longer arrive in order, so they are lost. */
  private condemnOverdueBefore(seq: number): void {
    for (const [s, o] of this.overdue) {
      if (s >= seq) break;
      if (o.lost) continue;
      o.lost = true;
      this.overdueAwaited--;
      this.counts.lost++;
    }
  }

  /** Frees one place in the overdue memory if a packet there is already lost; false when all are awaited. */
  private forgetOldestCondemned(): boolean {
    for (const [seq, o] of this.overdue) {
      if (!o.lost) continue;
      this.overdue.delete(seq);
      return true;
    }
    return false;
  }

  /** Marks seq classified; `arrived` is false for a loss, which must not make later arrivals look late. */
  private settle(seq: number, arrived = true): void {
    this.state[seq & this.mask] = DONE;
    this.inFlight--;
    if (arrived && seq > this.highestReceived) this.highestReceived = seq;
    while (this.base < this.nextSeq && this.state[this.base & this.mask] !== IN_FLIGHT) {
      this.state[this.base & this.mask] = FREE;
      this.base++;
    }
  }

  /**
   * A frame that is not an intact packet: corrupted if it is close to a packet in flight of the
   * same length (the one its header names, or the oldest), otherwise unexpected. "Close" = at most
   * a quarter of its bytes differ; a foreign packet differs in nearly all of them.
   */
  private closestInFlight(buf: Buffer, start: number, len: number, claimed: number): number {
    const limit = 2 + (len >> 2);
    let best = -1;
    let bestDiff = limit + 1;
    const consider = (seq: number): void => {
      if (seq < this.base || seq >= this.nextSeq) return;
      const i = seq & this.mask;
      if (this.state[i] !== IN_FLIGHT || this.lens[i] !== len) return;
      const d = echoPayloadDiff(buf, start, len, this.serial, seq, this.sent[i]!, this.seed, limit);
      if (d < bestDiff) {
        bestDiff = d;
        best = seq;
      }
    };
    if (claimed >= 0) consider(claimed);
    consider(this.base);
    // A corrupted sequence field names the wrong packet; the packet after the oldest covers one swap.
    consider(this.base + 1);
    return best;
  }

  private count(v: Verdict): Verdict {
    const c = this.counts;
    switch (v) {
      case Verdict.Ok: c.ok++; break;
      case Verdict.Reordered: c.reordered++; break;
      case Verdict.Corrupted: c.corrupted++; break;
      case Verdict.Duplicated: c.duplicated++; break;
      case Verdict.Unexpected: c.unexpected++; break;
    }
    return v;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const mask = cap - 1;
    const state = new Uint8Array(cap);
    const lens = new Uint32Array(cap);
    const intended = new Float64Array(cap);
    const sent = new Float64Array(cap);
    for (let seq = this.base; seq < this.nextSeq; seq++) {
      const o = seq & this.mask;
      const n = seq & mask;
      state[n] = this.state[o]!;
      lens[n] = this.lens[o]!;
      intended[n] = this.intended[o]!;
      sent[n] = this.sent[o]!;
    }
    this.mask = mask;
    this.state = state;
    this.lens = lens;
    this.intended = intended;
    this.sent = sent;
  }
}

/** Senders remembered per receiving connection before the table is cleared (reconnects bring new serials). */
const MAX_SENDERS = 4096;

/**
 * Broadcast receiver check: every packet carries its own checksum (codec.ts), and sequences from
 * one sender must rise. A gap is not an error (a receiver may join after, or the server may drop
 * a slow reader), so broadcast has no `lost`.
 */
export class BroadcastChecker {
  private readonly lastSeq = new Map<number, number>();
  /** The tag in the extra header bytes of the packet about to be checked (set by the caller): its sender's sequence, modulo. */
  frameTag = 0;
  private readonly tagModulus: number;

  constructor(
    readonly counts: IntegrityCounts,
    framing: Framing = LAN_FRAMING,
  ) {
    this.tagModulus = framing.kind === 'raw' || framing.extraBytes === 0 ? 0 : frameTagModulus(framing);
  }

  onPacket(buf: Buffer, start: number, len: number): Verdict {
    const seq = len >= 8 ? readSeq(buf, start) : -1;
    if (!broadcastPayloadValid(buf, start, len) || (this.tagModulus !== 0 && this.frameTag !== seq % this.tagModulus)) {
      this.counts.corrupted++;
      return Verdict.Corrupted;
    }
    const sender = readSerial(buf, start);
    const last = this.lastSeq.get(sender);
    if (last !== undefined && seq === last) {
      this.counts.duplicated++;
      return Verdict.Duplicated;
    }
    if (last !== undefined && seq < last) {
      this.counts.reordered++;
      return Verdict.Reordered;
    }
    if (last === undefined && this.lastSeq.size >= MAX_SENDERS) this.lastSeq.clear();
    this.lastSeq.set(sender, seq);
    this.counts.ok++;
    return Verdict.Ok;
  }
}
