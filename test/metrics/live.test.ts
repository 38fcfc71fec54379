/** --metrics-port's metrics: registry metrics under Prometheus names, and the dashboard that reads them. No load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LiveMetrics, prometheusName } from '../../stress/metrics/live';
import { findMetric } from '../../stress/run/metrics';
import { ROOT } from '../support/paths';
import { tick } from '../stress/fixtures';
import { samples } from '../support/prometheus';


test('live metrics are registry metrics under Prometheus names: counters grow by each second, levels are set', async () => {
  const live = new LiveMetrics();
  live.observeTick(tick(1));
  live.observeTick({ ...tick(2), sent: 7, p99: 2.5 });
  const m = samples(await live.registry.metrics());
  assert.equal(prometheusName(findMetric('sent')!, 'counter'), 'lanstress_sent_total');
  assert.equal(prometheusName(findMetric('server.recvPackets')!, 'counter'), 'lanstress_server_recv_packets_total');
  assert.equal(m.get('lanstress_sent_total'), 107);
  assert.equal(m.get('lanstress_p99_ms'), 2.5);
  assert.equal(m.get('lanstress_fleet_second'), 2);
  assert.match(await live.registry.metrics(), /# HELP lanstress_sent_total packets sent/);
});

test('the example Grafana dashboard queries only metrics the endpoint serves', () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const served = new Set(new LiveMetrics().registry.getMetricsAsArray().map((m) => m.name));
  const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/lanstress_[a-z0-9_]+/g) ?? []));
  assert.ok(used.length > 5);
  for (const name of used) assert.ok(served.has(name), `${name} is not served`);
});
