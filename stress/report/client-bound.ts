/**
 * Whether the fleet's own load shaped the latency it reports (docs/report.md, "Client-bound
 * latency"). An echo that arrives while its worker's event loop is busy waits in the socket until
 * the loop comes back to it, and that wait is counted as the server's latency; so is a send that
 * leaves late because the loop was busy. Pure: numbers in, verdict out.
 */
import type { ClientBound, ClientLag, Percentiles } from './types';

/**
 * The client's lag is a large part of what it measured once its p99 reaches this share of the echo
 * p99 from the actual send (uncorrected): the wait a busy loop adds to every echo it reads. Not the
 * corrected p99: a client that falls behind its schedule inflates that one without bound, which
 * would hide its own lag behind the delay it caused.
 */
export const CLIENT_LAG_SHARE = 0.25;
/** ...and is at least this long: less is timer jitter on a busy machine, not a loop falling behind. */
export const CLIENT_LAG_FLOOR_MS = 5;
/** The client saturated (the older `bottleneck` rule): its loop lagged this long once, or every worker was this busy. */
export const SATURATED_LAG_MS = 250;
export const SATURATED_CPU_SHARE = 0.85;

export interface ClientLoad {
  /** The workers' event-loop lag distribution (ms), or null when the fleet did not record it. */
  lag: ClientLag | null;
  /** The echo latency from the actual send (uncorrected). */
  latency: Percentiles;
  maxLagMs: number;
  meanCpuPercent: number;
  workers: number;
  /** Cores the workers could use (they cannot be busier than this many cores). */
  cores: number;
}

/** The older rule, kept as results.client.bottleneck: the client ran out of CPU or stalled. */
export function clientSaturated(load: ClientLoad): boolean {
  const cpuCap = Math.min(load.workers, load.cores) * 100;
  return load.maxLagMs >= SATURATED_LAG_MS || load.meanCpuPercent >= SATURATED_CPU_SHARE * cpuCap;
}

/** The verdict shown next to the percentiles: which rules fired, and what to do about it. */
export function clientBound(load: ClientLoad): ClientBound {
  const reasons: ClientBound['reasons'] = [];
  const lag = load.lag;
  const p99 = load.latency.p99;
  if (lag !== null && lag.p99 >= CLIENT_LAG_FLOOR_MS && lag.p99 >= CLIENT_LAG_SHARE * p99) {
    const share = p99 > 0 ? `${Math.round((100 * lag.p99) / p99)}% of` : 'above';
    reasons.push({ rule: 'lag', detail: `client event-loop lag p99 ${lag.p99} ms is ${share} the echo p99 ${p99} ms (uncorrected)` });
  }
  if (clientSaturated(load)) {
    reasons.push({
      rule: 'saturated',
      detail: `the client saturated: worst event-loop lag ${load.maxLagMs} ms, CPU ${Math.round(load.meanCpuPercent)}% over ${load.workers} worker${load.workers === 1 ? '' : 's'}`,
    });
  }
  if (reasons.length === 0) return { bound: false, reasons, remedy: null };
  return { bound: true, reasons, remedy: remedyFor(load) };
}

/** Said next to the percentiles (summary, HTML): why they include the client's own delay, and what to do. */
export function clientBoundText(b: ClientBound): string {
  return `Client-bound: ${b.reasons.map((x) => x.detail).join('; ')}. These percentiles include the client's own delay, not only the server's. Remedy: ${b.remedy ?? '-'}.`;
}

function remedyFor(load: ClientLoad): string {
  const more = load.workers < load.cores ? `more client workers (--client-workers, ${load.workers} now, up to ${load.cores} cores here)` : `more cores for the fleet (all ${load.cores} already have a worker)`;
  return `${more}, fewer clients per worker (--clients), or a bigger or quieter machine (the fleet shares this one with the server)`;
}
