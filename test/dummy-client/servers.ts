/**
 * Plain Node `net` echo servers speaking the lan framing, for fleet tests: one honest, and
 * deliberately broken ones that prove each integrity check can fail. A fault fires once, at the
 * `at`-th packet the server receives (counted over all connections, from 0).
 */
import * as net from 'node:net';
import { FrameDecoder, encodeFrame } from '../../dummy-client/framing';
import type { IntegrityCounts } from '../../dummy-client/types';

export type Fault =
  | { kind: 'none' }
  | { kind: 'corrupt'; at: number }
  | { kind: 'swap'; at: number }
  | { kind: 'drop'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'inject'; at: number }
  | { kind: 'stall'; at: number; ms: number }
  /**
   * Holds one echo for `ms`. inOrder: later echoes on that connection wait behind it (a slow but
   * correct server); otherwise they go out at once, so the held one arrives after them.
   */
  | { kind: 'delay'; at: number; ms: number; inOrder: boolean }
  /** The echo's header announces 65535 bytes (then a few bytes follow): junk the fleet cannot have sent. */
  | { kind: 'junkHeader'; at: number }
  /** 64 bytes of garbage instead of the echo (a length >= 32768 in its first two bytes). */
  | { kind: 'garbage'; at: number }
  /** The echo less its last byte: the client's stream is misaligned from there on. */
  | { kind: 'truncate'; at: number }
  /**
   * Every time, not once: frames are parsed per received chunk with no reassembly, so a frame split
   * across reads is dropped (what a server that assumes whole frames per read does).
   */
  | { kind: 'chunkLocal' }
  /** Every time: a frame of exactly maxPayload bytes is taken as a protocol violation (connection closed). */
  | { kind: 'rejectMax'; maxPayload: number }
  /** Every time: a 0-length frame is never echoed. */
  | { kind: 'dropEmpty' };

export interface EchoServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepts: number;
  /** Most connections open at once. */
  readonly peak: number;
  /** Packets received. */
  readonly packets: number;
  /** True once the fault has fired. */
  readonly faulted: boolean;
  /** Peer addresses seen. */
  readonly peers: ReadonlySet<string>;
  close(): Promise<void>;
}

const FRAME_HEADER = 2;

/** The whole frames of one chunk, as they came; a trailing partial frame is dropped. */
function wholeFramesOf(chunk: Buffer): Buffer {
  let off = 0;
  while (off + FRAME_HEADER <= chunk.length && off + FRAME_HEADER + chunk.readUInt16LE(off) <= chunk.length) off += FRAME_HEADER + chunk.readUInt16LE(off);
  return chunk.subarray(0, off);
}

export async function startEchoServer(fault: Fault = { kind: 'none' }): Promise<EchoServer> {
  let accepts = 0;
  let open = 0;
  let peak = 0;
  let packets = 0;
  let faulted = false;
  // While set, every echo waits in stalledWrites, in order, until the stall ends.
  let stalling = false;
  const stalledWrites: Array<[net.Socket, Buffer]> = [];
  const sockets = new Set<net.Socket>();
  const peers = new Set<string>();

  const flushStalled = (): void => {
    stalling = false;
    for (const [s, b] of stalledWrites.splice(0)) if (!s.destroyed) s.write(b);
  };

  const server = net.createServer((socket) => {
    accepts++;
    open++;
    if (open > peak) peak = open;
    sockets.add(socket);
    if (socket.remoteAddress !== undefined) peers.add(socket.remoteAddress);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    let held: Buffer | null = null;
    // 'delay': the held echo, then (inOrder) whatever this connection echoes until it is released.
    let delayed: Buffer[] | null = null;
    socket.on('data', (chunk: Buffer) => {
      if (fault.kind === 'chunkLocal') {
        faulted = true;
        socket.write(wholeFramesOf(chunk));
        return;
      }
      const out: Buffer[] = [];
      decoder.push(chunk, (buf, start, len) => {
        const frame = encodeFrame(buf.subarray(start, start + len));
        const index = packets++;
        if (fault.kind === 'rejectMax' && len === fault.maxPayload) {
          faulted = true;
          socket.destroy();
          return;
        }
        if (fault.kind === 'dropEmpty' && len === 0) {
          faulted = true;
          return;
        }
        if (held !== null) {
          out.push(frame, held);
          held = null;
          return;
        }
        if (!('at' in fault) || index !== fault.at) {
          out.push(frame);
          return;
        }
        faulted = true;
        switch (fault.kind) {
          case 'corrupt': {
            // One byte of the filler, or of the header for a header-only payload.
            const at = 2 + Math.min(len - 1, 20);
            frame[at] = frame[at]! ^ 0x40;
            out.push(frame);
            return;
          }
          case 'swap':
            held = frame;
            return;
          case 'drop':
            return;
          case 'duplicate':
            out.push(frame, frame);
            return;
          case 'inject': {
            const junk = Buffer.alloc(40);
            junk.writeUInt32LE(0xfffffffe, 0);
            for (let i = 4; i < junk.length; i++) junk[i] = (i * 37 + 11) & 0xff;
            out.push(encodeFrame(junk), frame);
            return;
          }
          case 'stall':
            stalling = true;
            setTimeout(flushStalled, fault.ms);
            out.push(frame);
            return;
          case 'junkHeader': {
            const junk = Buffer.alloc(FRAME_HEADER + 8, 0x11);
            junk.writeUInt16LE(0xffff, 0);
            out.push(junk);
            return;
          }
          case 'garbage': {
            const junk = Buffer.alloc(64);
            for (let i = 0; i < junk.length; i++) junk[i] = (i * 73 + 29) & 0xff;
            junk[1] = junk[1]! | 0x80;
            out.push(junk);
            return;
          }
          case 'truncate':
            out.push(frame.subarray(0, frame.length - 1));
            return;
          case 'delay': {
            const queue = [frame];
            delayed = fault.inOrder ? queue : null;
            setTimeout(() => {
              delayed = null;
              if (!socket.destroyed) socket.write(Buffer.concat(queue));
            }, fault.ms);
            return;
          }
        }
      });
      if (delayed !== null && out.length > 0) {
        delayed.push(...out);
        return;
      }
      if (out.length === 0) return;
      const data = out.length === 1 ? out[0]! : Buffer.concat(out);
      if (stalling) stalledWrites.push([socket, data]);
      else socket.write(data);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open--;
      sockets.delete(socket);
    });
  });
  server.maxConnections = 20000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    get accepts() {
      return accepts;
    },
    get peak() {
      return peak;
    },
    get packets() {
      return packets;
    },
    get faulted() {
      return faulted;
    },
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Each one-shot fault and the one integrity class that must catch it (exactly once), whatever the fleet's sockets. */
export const FAULT_CLASSES: ReadonlyArray<readonly [Fault, keyof IntegrityCounts]> = [
  [{ kind: 'corrupt', at: 300 }, 'corrupted'],
  [{ kind: 'swap', at: 300 }, 'reordered'],
  [{ kind: 'drop', at: 300 }, 'lost'],
  [{ kind: 'duplicate', at: 300 }, 'duplicated'],
  [{ kind: 'inject', at: 300 }, 'unexpected'],
];

/** The error classes of a result: everything but ok and abandoned. */
export function errorsOnly(i: IntegrityCounts): Omit<IntegrityCounts, 'ok' | 'abandoned'> {
  const { ok: _ok, abandoned: _abandoned, ...rest } = i;
  return rest;
}
