/**
 * What part I of an N-part fleet owns. The parts split the clients exactly as the fleet splits
 * them over its workers (splitClients), so part I owns the slots one process running the whole
 * fleet would give its I-th share, and with them the same serial numbers: checks, offenders and
 * chaos draws (functions of seed and serial) are those of the single process.
 */
import { splitClients } from '../../dummy-client/fleet';
import type { Shard } from './shard';

/** The clients part `shard` of a fleet of `clients` owns: [firstSlot, firstSlot + clients). */
export interface ShardShare {
  firstSlot: number;
  clients: number;
  /** Its share of a fleet-wide rate (--connect-rate): clients / fleet clients. */
  fraction: number;
}

/** Part `shard`'s clients of a fleet of `clients`: the split one process makes over its workers. */
export function shareOf(shard: Shard, clients: number): ShardShare {
  const [from, to] = splitClients(clients, shard.count)[shard.index]!;
  return { firstSlot: from, clients: to - from, fraction: (to - from) / clients };
}

/** Resolves at `epochMs` (at once when it has passed), or early when `signal` aborts. */
export function waitUntil(epochMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const ms = epochMs - Date.now();
    if (ms <= 0 || signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
