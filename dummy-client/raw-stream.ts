/**
 * The check of a raw stream (framing raw): no frames come back, only bytes, in the order sent. The
 * fleet knows every byte it sent on a connection (each message is an echo payload, codec.ts,
 * regenerated from (serial, sequence, send time, seed), never stored), so it checks the returned
 * stream by position: the bytes at a message's place must be that message's bytes.
 *
 * Per message, once its last byte is back: ok when every byte matched (latency from when its first
 * byte came back), else corrupted. Bytes past everything sent are unexpected (one count per read
 * that carries them). Messages not back when the connection ends are lost (or abandoned when cut
 * on purpose), by the checker's finish(). A stream has no boundaries to resynchronise on: after a
 * dropped or reordered message, the messages behind it are compared against the wrong bytes and
 * are corrupted too.
 */
import { writeEchoPayload, writeSmallEchoPayload, ECHO_HEADER_BYTES } from './codec';
import type { EchoChecker, Verdict } from './integrity';

/** The expected bytes of the message being compared: one per thread, grown on demand. */
let expected = Buffer.allocUnsafe(16384);

export class RawStreamVerifier {
  /** Bytes of the oldest message in flight already back. */
  private pos = 0;
  /** Every byte of it so far matched. */
  private intact = true;
  /** When its first byte came back, ns. */
  private firstByteNs = 0;

  constructor(
    private readonly checker: EchoChecker,
    private readonly serial: number,
    private readonly seed: number,
    /** Hears the class of each message once its last byte is back. */
    private readonly onMessage: (v: Verdict) => void,
  ) {}

  /** Checks buf[start..end), the next bytes of the stream, received at nowNs. */
  push(buf: Buffer, start: number, end: number, nowNs: number): void {
    const k = this.checker;
    let off = start;
    while (off < end) {
      const seq = k.oldestInFlight;
      if (seq < 0) {
        this.onMessage(k.countUnexpected());
        return;
      }
      const len = k.lengthOf(seq);
      if (this.pos === 0) {
        this.firstByteNs = nowNs;
        this.intact = true;
      }
      const take = Math.min(len - this.pos, end - off);
      if (this.intact && !this.matches(buf, off, seq, len, take)) this.intact = false;
      this.pos += take;
      off += take;
      if (this.pos === len) {
        this.pos = 0;
        this.onMessage(k.settleInOrder(seq, this.intact, this.firstByteNs));
      }
    }
  }

  /** Whether buf[off..off+take) is bytes [pos, pos+take) of message seq. */
  private matches(buf: Buffer, off: number, seq: number, len: number, take: number): boolean {
    if (expected.length < len) expected = Buffer.allocUnsafe(Math.max(len, expected.length * 2));
    if (len >= ECHO_HEADER_BYTES) writeEchoPayload(expected, 0, len, this.serial, seq, this.checker.sentNsOf(seq), this.seed);
    else writeSmallEchoPayload(expected, 0, len, this.serial, seq, this.seed);
    return buf.compare(expected, this.pos, this.pos + take, off, off + take) === 0;
  }
}
