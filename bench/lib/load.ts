/**
 * The passes the benches drive with the C load client, each returning typed figures:
 * an open-loop rate window, a pipelined flood, and idle connections held while the server's
 * memory is read.
 */
import { processMemory, type MemoryKb } from './procfs';
import { runClient, sleep } from './processes';
import type { SyscallCounter } from './syscalls';

/** The C client's final line (bench/c/load-client.c, print_result). */
export interface ClientResult {
  mode: 'rate' | 'flood';
  connections: number;
  connected: number;
  windowSec: number;
  sent: number;
  echoes: number;
  skipped: number;
  errors: number;
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; count: number };
  clientCpuSec: number;
  /** CPU of the watched server over the same window (all threads), null when none was watched */
  watchCpuSec: number | null;
}

function num(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`load-client result has no number '${key}': ${JSON.stringify(obj).slice(0, 300)}`);
  return v;
}

export function parseClientResult(json: Record<string, unknown>): ClientResult {
  if (json.event !== 'result' || (json.mode !== 'rate' && json.mode !== 'flood')) {
    throw new Error(`load-client ended without a result line (last: ${JSON.stringify(json).slice(0, 300)})`);
  }
  const lat = json.latencyUs as Record<string, unknown> | undefined;
  if (lat === undefined || typeof lat !== 'object') throw new Error('load-client result has no latencyUs');
  return {
    mode: json.mode,
    connections: num(json, 'connections'),
    connected: num(json, 'connected'),
    windowSec: num(json, 'windowSec'),
    sent: num(json, 'sent'),
    echoes: num(json, 'echoes'),
    skipped: num(json, 'skipped'),
    errors: num(json, 'errors'),
    latencyUs: { p50: num(lat, 'p50'), p90: num(lat, 'p90'), p99: num(lat, 'p99'), p999: num(lat, 'p999'), max: num(lat, 'max'), count: num(lat, 'count') },
    clientCpuSec: num(json, 'clientCpuSec'),
    watchCpuSec: json.watchCpuSec === null ? null : num(json, 'watchCpuSec'),
  };
}

export interface LoadTarget {
  port: number;
  /** the process whose CPU the client reads at its window's edges (0: none) */
  watchPid: number;
}

export interface RateLoad {
  connections: number;
  ratePerConn: number;
  size: number;
  warmupSec: number;
  durationSec: number;
}

/**
 * Open loop at a fixed offered rate. A syscall counter, if given, is enabled at the client's
 * window-start line and read at its window-end line, so it covers the window the echoes are
 * counted in (less the few ms each line takes to arrive, at both ends alike).
 */
export async function rateWindow(
  client: string,
  target: LoadTarget,
  load: RateLoad,
  syscalls?: SyscallCounter,
): Promise<{ result: ClientResult; syscalls: number | null }> {
  const args = [
    'rate', '--port', String(target.port), '--connections', String(load.connections), '--rate', String(load.ratePerConn),
    '--size', String(load.size), '--warmup', String(load.warmupSec), '--duration', String(load.durationSec),
    '--watch-pid', String(target.watchPid),
  ];
  let begun: Promise<void> | null = null;
  let counted: Promise<number> | null = null;
  const run = runClient(client, args, (event) => {
    if (syscalls === undefined) return;
    if (event.event === 'window-start') begun = syscalls.begin();
    if (event.event === 'window-end' && begun !== null) counted = begun.then(() => syscalls.end());
  });
  try {
    const result = parseClientResult(await run.result);
    const count = counted === null ? null : await (counted as Promise<number>);
    return { result, syscalls: count };
  } catch (err) {
    syscalls?.abandon();
    throw err;
  }
}

export interface FloodLoad {
  connections: number;
  size: number;
  pipeline: number;
  warmupSec: number;
  durationSec: number;
}

/** As fast as it goes, `pipeline` messages in flight per connection. */
export async function flood(client: string, target: LoadTarget, load: FloodLoad): Promise<ClientResult> {
  const args = [
    'flood', '--port', String(target.port), '--connections', String(load.connections), '--size', String(load.size),
    '--pipeline', String(load.pipeline), '--warmup', String(load.warmupSec), '--duration', String(load.durationSec),
    '--watch-pid', String(target.watchPid),
  ];
  return parseClientResult(await runClient(client, args).result);
}

/**
 * Opens `connections` idle connections, waits `settleMs` for the server to accept and set them
 * up, reads the server's memory, and lets them go.
 */
export async function idleMemory(client: string, port: number, serverPid: number, connections: number, settleMs: number): Promise<{ connected: number; memory: MemoryKb }> {
  const run = runClient(client, ['idle', '--port', String(port), '--connections', String(connections)]);
  try {
    const hello = await run.connected;
    const connected = typeof hello.connected === 'number' ? hello.connected : 0;
    await sleep(settleMs);
    const memory = processMemory(serverPid);
    return { connected, memory };
  } finally {
    run.release();
    await run.result.catch(() => undefined);
  }
}
