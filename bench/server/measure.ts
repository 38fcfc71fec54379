/**
 * One server through every pass of `npm run bench:server`, on one fresh process:
 * memory at start and with idle connections, latency at the low rate, CPU per echo at the high
 * rate, syscalls per echo over a short window, and the flood's memory peak last (it is the
 * only pass that leaves the server bigger than it found it).
 */
import { processMemory } from '../lib/procfs';
import { startServer, sleep, type RunningServer } from '../lib/processes';
import { flood, idleMemory, rateWindow, type LoadTarget } from '../lib/load';
import { syscallCounter, type SyscallTool } from '../lib/syscalls';
import type { ServerDef, ServerName } from './servers';

export interface ServerPlan {
  clients: number;
  durationSec: number;
  warmupSec: number;
  /** per-connection rate of the latency pass */
  latencyRate: number;
  /** per-connection rate of the CPU pass */
  cpuRate: number;
  size: number;
  syscallSec: number;
  floodSec: number;
  floodSize: number;
  floodPipeline: number;
  idleSettleMs: number;
  syscallTool: SyscallTool | null;
}

export interface ServerMeasurement {
  server: ServerName;
  repeat: number;
  /** the pass that failed and why; the figures measured before it are kept */
  error: string | null;
  /** lanserver's own word on the backend it runs (null for the references) */
  backend: string | null;
  rssStartKb: number | null;
  idle: { connections: number; connected: number; rssKb: number; kbPerConnection: number } | null;
  /** serverCpuSec / cpuSecPerMEchoes: the same window's server CPU (null where /proc could not be read) */
  latency: { offeredPerSec: number; echoesPerSec: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number; skipped: number; errors: number; serverCpuSec: number | null; cpuSecPerMEchoes: number | null } | null;
  cpu: { offeredPerSec: number; echoesPerSec: number; echoes: number; serverCpuSec: number; cpuSecPerMEchoes: number; clientCpuSec: number; skipped: number } | null;
  syscalls: { tool: SyscallTool; calls: number; echoes: number; perEcho: number } | null;
  flood: { connections: number; size: number; pipeline: number; echoesPerSec: number; peakRssKb: number } | null;
}

function emptyMeasurement(server: ServerName, repeat: number): ServerMeasurement {
  return { server, repeat, error: null, backend: null, rssStartKb: null, idle: null, latency: null, cpu: null, syscalls: null, flood: null };
}

function ensureAlive(server: RunningServer, after: string): void {
  if (!server.alive()) throw new Error(`the server exited during the ${after} pass`);
}

async function measureStart(server: RunningServer, m: ServerMeasurement): Promise<void> {
  await sleep(300); // past its start-up allocations
  m.rssStartKb = processMemory(server.pid).rssKb;
  m.backend = typeof server.hello.backend === 'string' ? server.hello.backend : null;
}

async function measureIdle(client: string, server: RunningServer, plan: ServerPlan, m: ServerMeasurement): Promise<void> {
  const { connected, memory } = await idleMemory(client, server.port, server.pid, plan.clients, plan.idleSettleMs);
  const grown = m.rssStartKb === null ? 0 : memory.rssKb - m.rssStartKb;
  m.idle = { connections: plan.clients, connected, rssKb: memory.rssKb, kbPerConnection: connected > 0 ? grown / connected : 0 };
  ensureAlive(server, 'idle');
}

async function measureLatency(client: string, server: RunningServer, plan: ServerPlan, m: ServerMeasurement): Promise<void> {
  const target: LoadTarget = { port: server.port, watchPid: server.pid };
  const { result: r } = await rateWindow(client, target, { connections: plan.clients, ratePerConn: plan.latencyRate, size: plan.size, warmupSec: plan.warmupSec, durationSec: plan.durationSec });
  m.latency = {
    offeredPerSec: plan.clients * plan.latencyRate,
    echoesPerSec: r.echoes / r.windowSec,
    p50Ms: r.latencyUs.p50 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    p999Ms: r.latencyUs.p999 / 1000,
    maxMs: r.latencyUs.max / 1000,
    skipped: r.skipped,
    errors: r.errors,
    // A server mostly idle between echoes pays for its wake-ups: a cost the saturated CPU pass
    // does not show, so it is reported beside it.
    serverCpuSec: r.watchCpuSec,
    cpuSecPerMEchoes: r.watchCpuSec === null || r.echoes === 0 ? null : (r.watchCpuSec / r.echoes) * 1e6,
  };
  ensureAlive(server, 'latency');
}

async function measureCpu(client: string, server: RunningServer, plan: ServerPlan, m: ServerMeasurement): Promise<void> {
  const target: LoadTarget = { port: server.port, watchPid: server.pid };
  const { result: r } = await rateWindow(client, target, { connections: plan.clients, ratePerConn: plan.cpuRate, size: plan.size, warmupSec: plan.warmupSec, durationSec: plan.durationSec });
  if (r.watchCpuSec === null) throw new Error('the client could not read the server CPU from /proc');
  if (r.echoes === 0) throw new Error('no echo came back in the CPU window');
  m.cpu = {
    offeredPerSec: plan.clients * plan.cpuRate,
    echoesPerSec: r.echoes / r.windowSec,
    echoes: r.echoes,
    serverCpuSec: r.watchCpuSec,
    cpuSecPerMEchoes: (r.watchCpuSec / r.echoes) * 1e6,
    clientCpuSec: r.clientCpuSec,
    skipped: r.skipped,
  };
  ensureAlive(server, 'cpu');
}

async function measureSyscalls(client: string, server: RunningServer, plan: ServerPlan, m: ServerMeasurement): Promise<void> {
  if (plan.syscallTool === null) return;
  const counter = syscallCounter(plan.syscallTool, server.pid);
  const target: LoadTarget = { port: server.port, watchPid: server.pid };
  const { result: r, syscalls } = await rateWindow(
    client,
    target,
    { connections: plan.clients, ratePerConn: plan.cpuRate, size: plan.size, warmupSec: plan.warmupSec, durationSec: plan.syscallSec },
    counter,
  );
  if (syscalls !== null && r.echoes > 0) m.syscalls = { tool: plan.syscallTool, calls: syscalls, echoes: r.echoes, perEcho: syscalls / r.echoes };
  ensureAlive(server, 'syscalls');
}

async function measureFlood(client: string, server: RunningServer, plan: ServerPlan, m: ServerMeasurement): Promise<void> {
  const target: LoadTarget = { port: server.port, watchPid: server.pid };
  const r = await flood(client, target, { connections: plan.clients, size: plan.floodSize, pipeline: plan.floodPipeline, warmupSec: 1, durationSec: plan.floodSec });
  ensureAlive(server, 'flood');
  m.flood = { connections: plan.clients, size: plan.floodSize, pipeline: plan.floodPipeline, echoesPerSec: r.echoes / r.windowSec, peakRssKb: processMemory(server.pid).hwmKb };
}

/** Every pass on one fresh server process; a failed pass ends the server's turn with the reason recorded. */
export async function measureServer(def: ServerDef, client: string, plan: ServerPlan, repeat: number): Promise<ServerMeasurement> {
  const m = emptyMeasurement(def.name, repeat);
  let server: RunningServer;
  try {
    server = await startServer(def.command, def.args);
  } catch (err) {
    m.error = `start: ${(err as Error).message}`;
    return m;
  }
  const passes: Array<[string, () => Promise<void>]> = [
    ['start', () => measureStart(server, m)],
    ['idle', () => measureIdle(client, server, plan, m)],
    ['latency', () => measureLatency(client, server, plan, m)],
    ['cpu', () => measureCpu(client, server, plan, m)],
    ['syscalls', () => measureSyscalls(client, server, plan, m)],
    ['flood', () => measureFlood(client, server, plan, m)],
  ];
  try {
    for (const [name, pass] of passes) {
      try {
        await pass();
      } catch (err) {
        m.error = `${name}: ${(err as Error).message}`;
        break;
      }
    }
  } finally {
    await server.stop();
  }
  return m;
}
