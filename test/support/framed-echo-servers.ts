/**
 * Small Node `net` echo servers that look like users' servers, each framing its traffic its own
 * way, written out by hand here (not with the fleet's decoder, so a decoder bug cannot cancel out):
 *  - raw: echoes every chunk as it comes (seed 002's echo server);
 *  - servercore: {u16 LE size of the whole packet including this 4-byte header, u16 id}, then the
 *    payload; the packet goes back as it came, id and all (seed 003's ServerCore);
 *  - len4be: a u32 big-endian payload length, then the payload.
 * Each can be broken on purpose, once, at the `at`-th unit it receives (a frame, or a chunk for
 * raw; counted over all connections): drop it, corrupt one byte of it (for servercore a byte of
 * the id, which only the fleet's tag check can see), or reorder it with the next one. For raw,
 * which has no frames, reorder swaps the first two `block`-byte blocks of the first chunk at or
 * after `at` that holds two (the fleet's messages are `block` bytes with a fixed --payload).
 */
import * as net from 'node:net';

export const FRAMED_SERVER_KINDS = ['raw', 'servercore', 'len4be'] as const;
export type FramedServerKind = (typeof FRAMED_SERVER_KINDS)[number];
export const SERVER_BREAKS = ['none', 'drop', 'corrupt', 'reorder'] as const;
export type ServerBreak = (typeof SERVER_BREAKS)[number];

/** The --framing that speaks to each kind. */
export const FRAMING_OF: Readonly<Record<FramedServerKind, string>> = { raw: 'raw', servercore: 'servercore', len4be: 'len:4:be' };

export interface FramedEchoServer {
  readonly port: number;
  /** Frames (raw: chunks) received. */
  readonly units: number;
  /** True once the break has happened. */
  readonly broken: boolean;
  close(): Promise<void>;
}

export interface FramedServerOptions {
  kind: FramedServerKind;
  break?: ServerBreak;
  /** The unit the break hits (default 50). */
  at?: number;
  /** raw reorder: the size of one message (default 16). */
  block?: number;
}

/** Bytes of the whole frame at the head of `b`, 0 while incomplete, -1 for a length that cannot be (its connection is cut). */
function frameBytes(kind: 'servercore' | 'len4be', b: Buffer): number {
  if (kind === 'servercore') {
    if (b.length < 4) return 0;
    const size = b.readUInt16LE(0);
    if (size < 4) return -1;
    return b.length >= size ? size : 0;
  }
  if (b.length < 4) return 0;
  const size = 4 + b.readUInt32BE(0);
  return b.length >= size ? size : 0;
}

/** The byte a corrupt break flips: the id's low byte for servercore, else a payload byte. */
function corruptAt(kind: FramedServerKind, unit: Buffer): number {
  if (kind === 'servercore') return 2;
  return Math.min(unit.length - 1, kind === 'raw' ? 10 : 4 + 10);
}

export async function startFramedEchoServer(opts: FramedServerOptions): Promise<FramedEchoServer> {
  const { kind } = opts;
  const brk = opts.break ?? 'none';
  const at = opts.at ?? 50;
  const block = opts.block ?? 16;
  let units = 0;
  let broken = false;
  const sockets = new Set<net.Socket>();

  /** What to send for one unit (a frame, or a raw chunk); `held` carries a unit being reordered. */
  const echo = (unit: Buffer, held: { unit: Buffer | null }): Buffer[] => {
    const index = units++;
    if (held.unit !== null) {
      const first = held.unit;
      held.unit = null;
      return [unit, first];
    }
    if (broken || brk === 'none') return [unit];
    if (kind === 'raw' && brk === 'reorder') {
      if (index < at || unit.length < 2 * block) return [unit];
      broken = true;
      const out = Buffer.from(unit);
      unit.copy(out, 0, block, 2 * block);
      unit.copy(out, block, 0, block);
      return [out];
    }
    if (index !== at) return [unit];
    broken = true;
    switch (brk) {
      case 'drop':
        return [];
      case 'corrupt': {
        const out = Buffer.from(unit);
        const i = corruptAt(kind, out);
        out[i] = out[i]! ^ 0x40;
        return [out];
      }
      case 'reorder':
        held.unit = Buffer.from(unit);
        return [];
    }
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const held: { unit: Buffer | null } = { unit: null };
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const out: Buffer[] = [];
      if (kind === 'raw') {
        out.push(...echo(chunk, held));
      } else {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const n = frameBytes(kind, pending);
          if (n < 0) {
            socket.destroy();
            return;
          }
          if (n === 0) break;
          out.push(...echo(pending.subarray(0, n), held));
          pending = pending.subarray(n);
        }
      }
      if (out.length > 0) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = 20000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get units() {
      return units;
    },
    get broken() {
      return broken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
