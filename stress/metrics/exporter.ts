/**
 * `--metrics-port P`: an HTTP endpoint (GET /metrics, Prometheus text format) serving the live
 * metrics for as long as the command runs, on every interface, so a Prometheus beside a pod
 * or a load machine can scrape it. Port 0 takes a free port (said on stderr).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveMetrics } from './live';

export interface MetricsExporter {
  readonly live: LiveMetrics;
  readonly port: number;
  close(): Promise<void>;
}

/** Listening, or rejected with the socket error (EADDRINUSE, EACCES) for the caller to name the flag. */
export async function startMetricsExporter(port: number): Promise<MetricsExporter> {
  const live = new LiveMetrics();
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    live.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': live.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    live,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
