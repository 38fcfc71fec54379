/**
 * Client-bound latency (stress/report/client-bound.ts): the rule on made-up numbers, the printers
 * on a built report, and two real runs: one worker overloaded by its own connections (its lag is
 * most of what it measures) and a server slower than the client (the latency is the server's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_LAG_FLOOR_MS, clientBound, type ClientLoad } from '../../stress/report/client-bound';
import { renderHtml } from '../../stress/html/render';
import { toMarkdown } from '../../stress/ci-output/markdown';
import { validateReport } from '../../stress/report/schema';
import { formatSummary, summaryData } from '../../stress/report/summary';
import type { ClientBound, Percentiles, RunReport } from '../../stress/report/types';
import { addonMissing, runCli } from '../support/cli';
import { readReport } from '../support/reports';
import { tempDir } from '../support/temp';
import { encoded, fleetResult, sampleReport } from './fixtures';

function latency(p99: number): Percentiles {
  return { min: 0.1, mean: p99 / 4, p50: p99 / 5, p90: p99 / 2, p99, p999: p99, max: p99, count: 1000 };
}

function load(over: Partial<ClientLoad>): ClientLoad {
  return { lag: { p50: 1, p99: 2, max: 3, count: 100 }, latency: latency(10), maxLagMs: 3, meanCpuPercent: 40, workers: 1, cores: 2, ...over };
}

test('lag rule: bound once the lag p99 is at least 5 ms and a quarter of the echo p99', () => {
  const b = clientBound(load({ lag: { p50: 10, p99: 30, max: 40, count: 100 }, latency: latency(60) }));
  assert.equal(b.bound, true);
  assert.deepEqual(b.reasons.map((r) => r.rule), ['lag']);
  assert.match(b.reasons[0]!.detail, /lag p99 30 ms is 50% of the echo p99 60 ms/);
  assert.match(b.remedy ?? '', /--client-workers/);
  assert.match(b.remedy ?? '', /fewer clients per worker/);
  assert.match(b.remedy ?? '', /machine/);
});

test('lag rule: a lag small beside the latency, or under the floor, is not client-bound', () => {
  assert.equal(clientBound(load({ lag: { p50: 5, p99: 20, max: 25, count: 100 }, latency: latency(100) })).bound, false, '20 of 100 ms');
  const jitter = CLIENT_LAG_FLOOR_MS - 1;
  assert.equal(clientBound(load({ lag: { p50: 1, p99: jitter, max: jitter, count: 100 }, latency: latency(2) })).bound, false, 'under the floor');
  assert.deepEqual(clientBound(load({ lag: null })), { bound: false, reasons: [], remedy: null });
});

test('saturated rule: a worker busy the whole run is client-bound whatever the lag, and the remedy names more cores once every core has a worker', () => {
  const b = clientBound(load({ meanCpuPercent: 190, workers: 2, cores: 2 }));
  assert.deepEqual(b.reasons.map((r) => r.rule), ['saturated']);
  assert.match(b.remedy ?? '', /more cores for the fleet/);
  assert.equal(clientBound(load({ maxLagMs: 300 })).bound, true, 'one long stall');
});

/** A report whose fleet lagged 40 ms at p99 against an uncorrected echo p99 of 50 ms. */
function boundReport(): RunReport {
  return sampleReport(fleetResult({ histograms: { corrected: encoded([1000, 50_000]), uncorrected: encoded([1000, 50_000]), connect: encoded([50]), lag: encoded([300, 40_000]) } }));
}

function boundOf(r: RunReport): ClientBound {
  const b = r.results.latency.clientBound;
  assert.ok(b !== undefined, 'the report carries clientBound');
  return b;
}

test('the report says it in JSON (schema-valid), in the summary under the latency table, in --json and in the HTML beside the percentiles', () => {
  const r = boundReport();
  assert.deepEqual(validateReport(r), []);
  assert.equal(boundOf(r).bound, true);
  assert.equal(Math.round(r.results.latency.clientLag?.p99 ?? 0), 40, 'HDR keeps 3 digits');

  const text = formatSummary(r, { colors: false, reportPath: null });
  assert.doesNotMatch(text, /\u001b\[/, 'no colour when not asked for');
  const lines = text.split('\n');
  const note = lines.findIndex((l) => l.startsWith('Client-bound:'));
  assert.ok(note > 0, text);
  assert.match(lines[note - 1]!, /^└/, 'right under the latency table');
  assert.ok(lines.slice(0, note).some((l) => /client event-loop lag .*40\.0/.test(l)), 'the lag row in the latency table');
  assert.match(lines[note]!, /Remedy: more (client workers|cores for the fleet)/);
  assert.match(formatSummary(r, { colors: true, reportPath: null }), /\u001b\[/, 'colour when asked for');

  const data = summaryData(r);
  assert.equal(data.clientBound?.bound, true);
  const lag = r.results.latency.clientLag!;
  assert.deepEqual(data.clientLagMs, { p50: lag.p50, p99: lag.p99, max: lag.max });

  assert.match(toMarkdown(r), /\|\n\n> ⚠️ Client-bound: /, 'the Markdown summary, under its percentiles');

  const html = renderHtml(r);
  const latencySection = html.slice(html.indexOf('<h2>Latency</h2>'), html.indexOf('<h2>Throughput'));
  assert.match(latencySection, /data-k="results\.latency\.clientLag\.p99"/);
  assert.match(latencySection, /<p class="client-bound" data-k="clientBound">Client-bound: client event-loop lag p99 40\.\d* ms/);
  const top = html.slice(0, html.indexOf('<div class="cards">'));
  assert.match(top, /class="client-bound"/, 'at the top of the page too, above the key numbers');
});

test('a report without client lag (older, or the fleet recorded none) prints no note', () => {
  const r = sampleReport();
  const older: RunReport = { ...r, results: { ...r.results, latency: { ...r.results.latency } } };
  delete older.results.latency.clientLag;
  delete older.results.latency.clientBound;
  assert.deepEqual(validateReport(older), []);
  assert.doesNotMatch(formatSummary(older, { colors: false, reportPath: null }), /Client-bound|client event-loop lag/);
  assert.doesNotMatch(renderHtml(older), /class="client-bound"/);
  assert.equal(summaryData(older).clientBound, null);
});

interface JsonOut {
  report: string;
  summary: { clientBound: ClientBound | null };
}

async function run(args: string[]): Promise<{ r: RunReport; json: JsonOut }> {
  const out = tempDir();
  const res = await runCli([...args, '--json', '--out', out], 60_000);
  assert.equal(res.timedOut, false);
  assert.equal(res.code, 0, res.stderr);
  const json = JSON.parse(res.stdout) as JsonOut;
  return { r: readReport(json.report), json };
}

test('one worker overloaded by its own connections: its lag is most of the latency, and the report says so', { skip: addonMissing(), timeout: 90_000 }, async () => {
  const { r, json } = await run(['--client-workers', '1', '--clients', '3000', '--rate', '50', '--duration', '4']);
  assert.deepEqual(validateReport(r), []);
  const b = boundOf(r);
  assert.equal(b.bound, true, JSON.stringify({ lag: r.results.latency.clientLag, uncorrected: r.results.latency.uncorrected.p99, client: r.results.client }));
  assert.ok(b.reasons.some((x) => x.rule === 'lag'), JSON.stringify(b));
  assert.deepEqual(json.summary.clientBound, b);
});

test('a server slower than the client: the latency is the server\'s, not client-bound', { skip: addonMissing(), timeout: 90_000 }, async () => {
  const { r } = await run(['--client-workers', '1', '--clients', '20', '--rate', '4', '--echo-delay-us', '200000', '--duration', '3']);
  assert.ok(r.results.latency.uncorrected.p99 >= 200, 'the server\'s delay is in the latency');
  assert.equal(boundOf(r).bound, false, JSON.stringify({ lag: r.results.latency.clientLag, b: r.results.latency.clientBound }));
});
