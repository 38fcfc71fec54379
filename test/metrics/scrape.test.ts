/**
 * --metrics-port on a real run, scraped while it goes, agrees with its own report. The check
 * cannot flake on timing: every scrape says which second it covers (lanstress_fleet_second), and
 * its counters must equal the report's series summed over exactly those seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addonMissing, startCli } from '../support/cli';
import { reportOf } from '../support/reports';
import { tempDir } from '../support/temp';
import { samples } from '../support/prometheus';


test('a run scraped while it goes: each scrape equals its report summed over the seconds it covers', { skip: addonMissing() }, async () => {
  const run = startCli(['--clients', '20', '--duration', '4', '--rate', '100', '--seed', '3', '--metrics-port', '0', '--json', '--out', tempDir('metrics')], 60_000);
  const port = Number((await run.waitStderr(/metrics on http:\/\/0\.0\.0\.0:(\d+)\/metrics/))[1]);
  const scrapes: Array<Map<string, number>> = [];
  let done = false;
  void run.result.then(() => (done = true));
  while (!done) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      scrapes.push(samples(await res.text()));
    } catch {
      // The run has ended and closed the endpoint.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const report = reportOf(await run.result);
  const upTo = (k: number, key: 'sent' | 'echoed'): number => report.results.series.slice(0, k).reduce((a, t) => a + t[key], 0);
  const covered = scrapes.filter((s) => (s.get('lanstress_fleet_second') ?? 0) >= 1);
  assert.ok(covered.length >= 2, `only ${covered.length} scrapes saw a second of load`);
  for (const s of covered) {
    const k = s.get('lanstress_fleet_second')!;
    assert.equal(report.results.series[k - 1]?.t, k);
    assert.equal(s.get('lanstress_sent_total'), upTo(k, 'sent'), `sent after second ${k}`);
    assert.equal(s.get('lanstress_echoed_total'), upTo(k, 'echoed'), `echoed after second ${k}`);
    // The server's totals come from its own stats a moment apart: never past what it finally counted.
    assert.ok((s.get('lanstress_server_recv_packets_total') ?? 0) <= (report.server.stats?.recvPackets ?? 0));
  }
  assert.ok(covered.some((s) => (s.get('lanstress_server_recv_packets_total') ?? 0) > 0), 'no scrape saw the server count a packet');
});
