/**
 * What `npm run sanitize` runs: every sanitizer flavor of the standalone
 * lanserver against the scenarios that make sessions die mid-I/O. Pure: the
 * driver (main.ts) builds, runs and judges.
 */

export const FLAVORS = ['asan', 'tsan'] as const;
export type Flavor = (typeof FLAVORS)[number];

export interface SanitizeRun {
  flavor: Flavor;
  backend: string;
  /** The scenario name, as `stress run` knows it. */
  scenario: string;
  /** Everything after `stress run` on the command line. */
  args: string[];
}

export interface PlanOptions {
  flavors: readonly Flavor[];
  /** Completion-port backends to run each scenario on (each has its own lock-free paths). */
  backends: readonly string[];
  clients: number;
  durationSec: number;
  out: string;
  /** Scenario names `stress run` knows (the registry); a missing one runs as its flag equivalent. */
  known: readonly string[];
  /** Path of the standalone binary of a flavor. */
  binary: (flavor: Flavor) => string;
  seed: number | null;
}

/**
 * The scenarios and, for one not registered (yet), the same load as flags. Broadcast leaves out
 * rstMidBurst: it writes echo-format packets that a room's receivers would count as corrupted.
 */
const SCENARIOS: ReadonlyArray<{ name: string; fallback: string[] }> = [
  { name: 'chaos', fallback: ['--chaos', '0.3', '--kick', '0.0005', '--payload', '16-512', '--pipeline', '4'] },
  {
    name: 'broadcast',
    fallback: ['--mode', 'broadcast', '--room', '8', '--rate', '20', '--payload', '16-128', '--chaos', '0.1',
      '--chaos-actions', 'finInFlight,closeAfterConnect,closeMidPacket,silence'],
  },
  { name: 'churn', fallback: ['--lifetime', '50', '--connect-rate', '1000000'] },
];

export function sanitizePlan(o: PlanOptions): SanitizeRun[] {
  const runs: SanitizeRun[] = [];
  for (const flavor of o.flavors) {
    for (const backend of o.backends) {
      for (const s of SCENARIOS) {
        const registered = o.known.includes(s.name);
        runs.push({
          flavor,
          backend,
          scenario: s.name,
          args: [
            ...(registered ? [s.name] : ['echo-flood', ...s.fallback]),
            '--server-bin', o.binary(flavor),
            '--backend', backend,
            '--clients', String(o.clients),
            '--duration', String(o.durationSec),
            '--out', o.out,
            '--gate',
            '--json',
            ...(o.seed === null ? [] : ['--seed', String(o.seed)]),
          ],
        });
      }
    }
  }
  return runs;
}
