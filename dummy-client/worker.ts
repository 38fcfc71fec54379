/**
 * worker_threads entry: one ConnectionPool on this thread's own event loop.
 * Protocol with fleet.ts (main -> worker: start, tick, stop; worker -> main: ready, interval, final).
 * Only counters and encoded histograms cross the thread boundary, never samples.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initWasm } from './latency';
import { ConnectionPool, type FinalReport, type IntervalReport, type PoolInit } from './pool';

export type MainToWorker = { type: 'start'; epochMs: number } | { type: 'tick'; t: number } | { type: 'stop' };
export type WorkerToMain =
  | { type: 'ready'; wasm: boolean }
  | { type: 'interval'; t: number; report: IntervalReport }
  | { type: 'final'; report: FinalReport };

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('dummy-client/worker.ts must run as a worker thread');
  const wasm = initWasm();
  const pool = new ConnectionPool(workerData as PoolInit);
  let stopped = false;
  port.on('message', (msg: MainToWorker) => {
    switch (msg.type) {
      case 'start':
        pool.start(msg.epochMs);
        return;
      case 'tick':
        if (!stopped) port.postMessage({ type: 'interval', t: msg.t, report: pool.interval(msg.t) } satisfies WorkerToMain);
        return;
      case 'stop':
        if (stopped) return;
        stopped = true;
        void pool.stop().then((report) => {
          port.postMessage({ type: 'final', report } satisfies WorkerToMain);
          port.close();
        });
        return;
    }
  });
  port.postMessage({ type: 'ready', wasm } satisfies WorkerToMain);
}

main();
