/**
 * Manual load runner (not a test): the fleet against the plain Node echo server of servers.ts,
 * which runs on this process's main thread (the fleet's main thread touches no sockets).
 *   node dist/test/dummy-client/load.js [clients] [durationSec] [workers] [pipeline] [port]
 * With a port, the fleet targets a server already listening on 127.0.0.1:port instead.
 * Prints one line a second and a JSON summary with echoes/s.
 */
import { runFleet } from '../../dummy-client/fleet';
import { decodeHistogram, percentiles } from '../../dummy-client/latency';
import { testConfig } from './config';
import { startEchoServer } from './servers';

async function main(): Promise<void> {
  const [clients = 1000, durationSec = 10, workers = 2, pipeline = 1, port = 0] = process.argv.slice(2).map(Number);
  const srv = port > 0 ? null : await startEchoServer();
  const t0 = Date.now();
  const r = await runFleet(
    testConfig(srv?.port ?? port, { clients, durationSec, workers, connectRate: 5000, sendModel: { kind: 'closed', pipeline }, payload: { min: 16, max: 128 }, echoTimeoutMs: 10_000, drainTimeoutMs: 5000 }),
    { onTick: (t) => console.log(`t=${t.t} conns=${t.connections} echoed/s=${t.echoed} p50=${t.p50}ms p99=${t.p99}ms lag=${t.lagMs.toFixed(1)}ms cpu=${t.cpuPercent}% errors=${t.errors}`) },
  );
  await srv?.close();
  const steady = r.ticks.slice(1);
  const lat = percentiles(decodeHistogram(r.histograms.corrected));
  console.log(JSON.stringify({
    clients,
    workers,
    pipeline,
    wallMs: Date.now() - t0,
    echoesPerSec: Math.round(steady.reduce((a, t) => a + t.echoed, 0) / Math.max(1, steady.length)),
    p50ms: lat.p50 / 1000,
    p99ms: lat.p99 / 1000,
    serverAccepts: srv?.accepts,
    connections: r.connections,
    integrity: r.integrity,
    client: r.client,
  }));
}

void main();
