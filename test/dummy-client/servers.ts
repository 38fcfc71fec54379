/**
 * Plain Node `net` echo servers speaking the lan framing, for fleet tests: one honest, and
 * deliberately broken ones that prove each integrity check can fail. A fault fires once, at the
 * `at`-th packet the server receives (counted over all connections, from 0).
 */
import * as net from 'node:net';
import { FrameDecoder, encodeFrame } from '../../dummy-client/codec';

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
  | { kind: 'delay'; at: number; ms: number; inOrder: boolean };

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
      const out: Buffer[] = [];
      decoder.push(chunk, (buf, start, len) => {
        const frame = encodeFrame(buf.subarray(start, start + len));
        const index = packets++;
        if (held !== null) {
          out.push(frame, held);
          held = null;
          return;
        }
        if (fault.kind === 'none' || index !== fault.at) {
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
