/**
 * The Node reference for `npm run bench:server`: `socket.pipe(socket)`, the shortest echo
 * server Node has. Raw echo (no framing), so it does the same work as the C reference and
 * `lanserver --framing raw`. (bench/node-echo-server.ts is the lan-framed one: it parses
 * packets, which would charge Node for work the raw servers skip.)
 *
 *   node dist/bench/node-pipe-server.js [port]    prints {"port":N,"pid":P} once listening
 */
import * as net from 'node:net';

function main(): void {
  const port = Number(process.argv[2] ?? 0);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address() as net.AddressInfo;
    process.stdout.write(`${JSON.stringify({ port: address.port, pid: process.pid })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

main();
