/**
 * A plain Node `net` echo server speaking the lan framing (docs/protocol.md): the
 * baseline the native LanServer is measured against, and an external target
 * for tests. Packets are reassembled across reads and echoed whole, several
 * per write when a read held several; a payload over maxPayload closes that
 * connection, as the native server does.
 *
 * Run standalone: node dist/bench/node-echo-server.js [port] — prints {"port":N}.
 */
import * as net from 'node:net';

const HEADER = 2;

export interface NodeEchoServer {
  port: number;
  close(): Promise<void>;
}

function handle(socket: net.Socket, maxPayload: number): void {
  socket.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= HEADER) {
      const len = pending.readUInt16LE(at);
      if (len > maxPayload) {
        socket.destroy();
        return;
      }
      if (pending.length - at < HEADER + len) break;
      at += HEADER + len;
    }
    // Copied: a view into the read chunk was seen echoing changed bytes under load
    // (the read buffer's memory was reused before the write went out).
    if (at > 0) socket.write(Buffer.from(pending.subarray(0, at)));
    pending = at === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(at));
  });
  socket.on('error', () => socket.destroy());
}

export function startNodeEchoServer(port = 0, host = '127.0.0.1', maxPayload = 8192): Promise<NodeEchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    handle(s, maxPayload);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

if (require.main === module) {
  const port = Number(process.argv[2] ?? 0);
  void startNodeEchoServer(port).then((s) => {
    process.stdout.write(`${JSON.stringify({ port: s.port, pid: process.pid })}\n`);
    const stop = (): void => void s.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
