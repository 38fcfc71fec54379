/**
 * A deliberately broken lan-framing echo server for the merge tests: it drops exactly `drops`
 * echoes from each source address (the first `drops` packets it receives from it after `after`
 * of them), echoing every other packet. Shards that connect from different 127.x addresses so
 * each lose exactly `drops` echoes: a fault spread thin, which only the merged fleet shows whole.
 */
import * as net from 'node:net';
import { FrameDecoder, encodeFrame } from '../../dummy-client/framing';

export interface DroppingEchoServer {
  readonly port: number;
  /** Echoes dropped, by source address. */
  readonly dropped: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export async function startDroppingEchoServer(drops: number, after: number): Promise<DroppingEchoServer> {
  const received = new Map<string, number>();
  const dropped = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    const peer = socket.remoteAddress ?? '?';
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      const out: Buffer[] = [];
      decoder.push(chunk, (buf, start, len) => {
        const n = (received.get(peer) ?? 0) + 1;
        received.set(peer, n);
        if (n > after && n <= after + drops) dropped.set(peer, (dropped.get(peer) ?? 0) + 1);
        else out.push(encodeFrame(buf.subarray(start, start + len)));
      });
      if (out.length > 0) socket.write(Buffer.concat(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
