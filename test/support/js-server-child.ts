/**
 * A LanServer in js mode in a process of its own, for the backpressure tests: its JavaScript
 * handler runs on this process's thread, so a slow one cannot slow the test's load clients.
 * argv[2]: microseconds the handler busy-waits per packet before it echoes (0 = a plain echo).
 * Prints {"event":"listening","port"} on start; on SIGTERM stops and prints {"event":"final","stats"}.
 */
import { LanServer } from '../../server/lan-server';

const handlerUs = Number(process.argv[2] ?? '0');

function busyWait(us: number): void {
  const until = process.hrtime.bigint() + BigInt(us) * 1000n;
  while (process.hrtime.bigint() < until) {
    // Deliberately burning the JS thread: a handler slower than the network.
  }
}

const server = new LanServer(
  { host: '127.0.0.1', port: 0, workers: 2, mode: 'js', maxPayload: 8192 },
  {
    handler: (srv, id, payload) => {
      if (handlerUs > 0) busyWait(handlerUs);
      srv.sendPacket(id, payload);
    },
  },
);
const { port } = server.start();
process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
process.once('SIGTERM', () => {
  const stats = server.stop();
  process.stdout.write(`${JSON.stringify({ event: 'final', stats })}\n`);
});
