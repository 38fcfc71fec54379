/**
 * The run's live numbers as Prometheus metrics (prom-client), for `--metrics-port`. Every metric
 * is a metric of the registry (stress/run/metrics.ts): its Prometheus name and help are derived
 * from the registry's name, unit and description, so a dashboard and a threshold say the same
 * thing by the same name. Fed one FleetTick a second (the tick that goes into the report's
 * series) and the embedded server's latest stats; counters grow by each second's counts, so a
 * scrape equals the report's series summed up to `lanstress_fleet_second`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { FleetTick } from '../../dummy-client/types';
import { ANOMALIES, DISCONNECT_REASONS, REJECT_REASONS, SERVER_COUNTERS, type ServerStats } from '../../server/types';
import { findMetric, type MetricDef } from '../run/metrics';

/** What a registry metric is live: a count that only grows (a Prometheus counter) or a level (a gauge). */
type LiveKind = 'counter' | 'gauge';

interface LiveSource<T> {
  metric: string;
  kind: LiveKind;
  read(from: T): number | null;
}

/** The fleet's live metrics: each tick's counts and levels, by registry name. */
const FLEET_SOURCES: ReadonlyArray<LiveSource<FleetTick>> = [
  { metric: 'sent', kind: 'counter', read: (t) => t.sent },
  { metric: 'echoed', kind: 'counter', read: (t) => t.echoed },
  { metric: 'errors', kind: 'counter', read: (t) => t.errors },
  { metric: 'behindSchedule', kind: 'counter', read: (t) => t.behindSchedule },
  { metric: 'connections.open', kind: 'gauge', read: (t) => t.connections },
  { metric: 'p50', kind: 'gauge', read: (t) => t.p50 },
  { metric: 'p99', kind: 'gauge', read: (t) => t.p99 },
  { metric: 'client.cpuPercent', kind: 'gauge', read: (t) => t.cpuPercent },
];

/** Server stats that are levels, not running totals. */
const SERVER_LEVELS: ReadonlySet<string> = new Set(['sessions', 'peakSessions', 'pendingIoSessions', 'disconnectingSessions', 'freeSlots']);

/** The embedded server's live metrics: every stats counter the registry names (its running totals as counters). */
const SERVER_SOURCES: ReadonlyArray<LiveSource<ServerStats>> = ([
  ...SERVER_COUNTERS.map((k): LiveSource<ServerStats> => ({ metric: `server.${k}`, kind: SERVER_LEVELS.has(k) ? 'gauge' : 'counter', read: (s) => s[k] })),
  { metric: 'server.probeCalls', kind: 'counter', read: (s: ServerStats) => s.probeCalls ?? null },
  ...REJECT_REASONS.map((k): LiveSource<ServerStats> => ({ metric: `server.rejected.${k}`, kind: 'counter', read: (s) => s.rejected[k] })),
  ...DISCONNECT_REASONS.map((k): LiveSource<ServerStats> => ({ metric: `server.disconnects.${k}`, kind: 'counter', read: (s) => s.disconnects[k] })),
  ...ANOMALIES.map((k): LiveSource<ServerStats> => ({ metric: `server.anomalies.${k}`, kind: 'counter', read: (s) => s.anomalies[k] ?? null })),
] satisfies Array<LiveSource<ServerStats>>).filter((s) => findMetric(s.metric) !== undefined);

const UNIT_SUFFIX: Record<MetricDef['unit'], string> = { ms: '_ms', '/s': '_per_second', 'B/s': '_bytes_per_second', MiB: '_mebibytes', '%': '_percent', '': '' };

/** lanstress_<registry name, dots as underscores><unit>[_total]: Prometheus' conventions over the registry's names. */
export function prometheusName(def: MetricDef, kind: LiveKind): string {
  const stem = `lanstress_${def.name.replace(/[^A-Za-z0-9]+/g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}`;
  // client.cpuPercent already says its unit.
  const base = stem.endsWith(UNIT_SUFFIX[def.unit]) ? stem : `${stem}${UNIT_SUFFIX[def.unit]}`;
  return kind === 'counter' ? `${base}_total` : base;
}

interface Bound<T> {
  source: LiveSource<T>;
  counter: Counter | null;
  gauge: Gauge | null;
  /** The running total already counted (a counter grows by the difference). */
  last: number;
}

function bind<T>(registry: Registry, source: LiveSource<T>): Bound<T> {
  const def = findMetric(source.metric);
  // The sources are written against the registry: a name missing from it is a bug here, found by the tests at once.
  if (def === undefined) throw new Error(`live metric ${source.metric} is not in the metric registry`);
  const config = { name: prometheusName(def, source.kind), help: def.description, registers: [registry] };
  return source.kind === 'counter' ? { source, counter: new Counter(config), gauge: null, last: 0 } : { source, counter: null, gauge: new Gauge(config), last: 0 };
}

export class LiveMetrics {
  readonly registry = new Registry();
  private readonly fleet: Array<Bound<FleetTick>>;
  private readonly server: Array<Bound<ServerStats>>;
  private readonly second: Gauge;

  constructor() {
    this.fleet = FLEET_SOURCES.map((s) => bind(this.registry, s));
    this.server = SERVER_SOURCES.map((s) => bind(this.registry, s));
    this.second = new Gauge({ name: 'lanstress_fleet_second', help: 'the last second of the run the fleet reported (the counters cover seconds 1..this)', registers: [this.registry] });
  }

  /** One second of the fleet: its counts added, its levels set. */
  observeTick(tick: FleetTick): void {
    for (const b of this.fleet) {
      const v = b.source.read(tick);
      if (v === null) continue;
      if (b.counter !== null) b.counter.inc(v);
      else b.gauge?.set(v);
    }
    this.second.set(tick.t);
  }

  /** The embedded server's latest stats: its running totals become counters (grown by the difference), its levels gauges. */
  observeServer(stats: ServerStats): void {
    for (const b of this.server) {
      const v = b.source.read(stats);
      if (v === null) continue;
      if (b.gauge !== null) b.gauge.set(v);
      else if (v > b.last) {
        b.counter?.inc(v - b.last);
        b.last = v;
      }
    }
  }
}
