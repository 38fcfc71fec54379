/**
 * Shards for real: N `stress run --shard I/N` processes from different 127.x source addresses
 * against one shipped server, merged, beside one process running the same whole fleet; and a
 * fault spread thin over the shards that only the merge catches. Compared by exact invariants
 * (connections, serials, every packet classified), never by timing-dependent totals.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { addonMissing, runCli, type CliResult } from '../support/cli';
import { readReport, reportOf } from '../support/reports';
import { tempDir } from '../support/temp';
import { startShippedServer, type ShippedServer } from '../support/shipped-server';
import { startDroppingEchoServer } from '../support/dropping-echo-server';
import type { RunReport } from '../../stress/report/types';

const SHARDS = 4;
const CLIENTS = 40;
const LOAD = ['--clients', String(CLIENTS), '--duration', '2', '--rate', '50', '--seed', '7', '--json'];
/** Chaos cuts from a fixed seed: serials matter (payload checks, chaos draws), and the cuts name them. */
const CHAOS = ['--chaos', '0.2'];
const TIMEOUT_MS = 60_000;

const skip = addonMissing();
let dir = '';
let server: ShippedServer | null = null;
let single: RunReport;
let shardFiles: string[] = [];
let shards: RunReport[] = [];
let merged: RunReport;
let mergeRun: CliResult;

/** The N shard processes at once, each from its own source address, started together by --start-at. */
async function runShards(target: string, extra: readonly string[], out: string): Promise<CliResult[]> {
  const startAt = String(Date.now() + 5000);
  return Promise.all(
    Array.from({ length: SHARDS }, (_, i) =>
      runCli(['--target', target, ...LOAD, ...extra, '--shard', `${i}/${SHARDS}`, '--source-ips', `127.0.0.${20 + i}`, '--start-at', startAt, '--out', path.join(out, `shard${i}`)], TIMEOUT_MS),
    ),
  );
}

before(async () => {
  if (skip) return;
  dir = tempDir('merge');
  server = await startShippedServer();
  const target = `127.0.0.1:${server.port}`;
  single = reportOf(await runCli(['--target', target, ...LOAD, ...CHAOS, '--source-ips', '127.0.0.19', '--out', path.join(dir, 'single')], TIMEOUT_MS));
  const runs = await runShards(target, CHAOS, dir);
  shardFiles = runs.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!).report as string);
  shards = shardFiles.map(readReport);
  mergeRun = await runCli(['merge', ...shardFiles, '-o', path.join(dir, 'merged.json')]);
  merged = readReport(path.join(dir, 'merged.json'));
});

after(async () => {
  await server?.stop();
});

const integrityTotal = (r: RunReport): number => Object.values(r.results.integrity).reduce((a, b) => a + b, 0);

test('each shard owns its share of the clients and the serials one process would use', { skip }, () => {
  assert.deepEqual(shards.map((s) => s.shard?.index), [0, 1, 2, 3]);
  assert.deepEqual(shards.map((s) => s.results.connections.target), [10, 10, 10, 10]);
  shards.forEach((s, i) => {
    // Serial = generation * fleet clients + fleet slot: a shard's cuts are of its own slots only.
    for (const cut of s.results.chaos.cuts) assert.equal(Math.floor((cut.serial % CLIENTS) / 10), i, `shard ${i} cut serial ${cut.serial}`);
  });
  const serials = merged.results.chaos.cuts.map((c) => c.serial);
  assert.equal(new Set(serials).size, serials.length, 'a serial cut twice across shards');
  assert.ok(serials.length > 0, 'chaos cut nothing: the serial check saw no serials');
});

test('the merged report counts as one process running the same fleet', { skip }, () => {
  assert.equal(mergeRun.code, 0, mergeRun.stderr);
  for (const r of [single, merged]) {
    assert.equal(r.results.connections.target, CLIENTS);
    // Every slot opened once, plus each reconnect but one the end cut short (queued, not yet connected).
    const { opened, reconnects } = r.results.connections;
    assert.ok(opened >= CLIENTS && opened <= CLIENTS + reconnects, `opened ${opened}, reconnects ${reconnects}`);
    assert.equal(r.results.connections.connectErrors, 0);
    // Every packet sent ended in exactly one integrity class, none of them an error.
    assert.equal(integrityTotal(r), r.results.throughput.sent);
    for (const k of ['corrupted', 'reordered', 'duplicated', 'unexpected', 'lost'] as const) assert.equal(r.results.integrity[k], 0, k);
    assert.equal(r.options.clients, CLIENTS);
  }
  const sum = (read: (r: RunReport) => number): number => shards.reduce((a, s) => a + read(s), 0);
  assert.equal(merged.results.throughput.sent, sum((s) => s.results.throughput.sent));
  assert.equal(merged.results.connections.reconnects, sum((s) => s.results.connections.reconnects));
  assert.equal(merged.results.latency.corrected.count, merged.results.throughput.echoed);
  assert.equal(merged.merged?.count, SHARDS);
  assert.equal(merged.merged?.sharedServer, true);
  assert.ok((merged.merged?.startSkewSec ?? 99) < 1, `--start-at left the shards ${merged.merged?.startSkewSec} s apart`);
  assert.equal(merged.shard, undefined);
  assert.equal(merged.options.shard, null);
});

test('the merged histogram is the sum of the shard histograms, bin for bin', { skip }, () => {
  for (const set of ['corrected', 'uncorrected', 'connect'] as const) {
    const decode = (text: string): hdr.JsHistogram => {
      const h = hdr.decodeFromCompressedBase64(text, 32, false);
      assert.ok(h instanceof hdr.JsHistogram);
      return h;
    };
    const m = decode(merged.results.latency.histograms[set]);
    const parts = shards.map((s) => decode(s.results.latency.histograms[set]));
    let bins = 0;
    for (let i = 0; i < m.countsArrayLength; i++) {
      const want = parts.reduce((a, p) => a + (i < p.countsArrayLength ? p.getCountAtIndex(i) : 0), 0);
      assert.equal(m.getCountAtIndex(i), want, `${set} bin ${i}`);
      if (want > 0) bins++;
    }
    assert.equal(m.totalCount, parts.reduce((a, p) => a + p.totalCount, 0));
    assert.ok(bins > 1, `${set}: too few bins to tell a sum from a copy`);
  }
});

test('report, compare and the HTML read the merged report', { skip }, async () => {
  const mergedFile = path.join(dir, 'merged.json');
  const report = await runCli(['report', mergedFile, '--html', path.join(dir, 'merged.html'), '--threshold', 'lost==0']);
  assert.equal(report.code, 0, report.stderr);
  assert.match(readFileSync(path.join(dir, 'merged.html'), 'utf8'), /<html/i);
  const singleFile = readdirJson(path.join(dir, 'single'));
  const compare = await runCli(['compare', singleFile, mergedFile]);
  assert.equal(compare.code, 0, compare.stderr);
});

function readdirJson(d: string): string {
  return path.join(d, readdirSync(d).find((f) => f.endsWith('.json'))!);
}

test('shards of other settings, twice the same index or a missing one are refused, naming the file', { skip }, async () => {
  const other = path.join(dir, 'other.json');
  const changed = readReport(shardFiles[1]!);
  changed.options.payload = '32';
  writeFileSync(other, JSON.stringify(changed));
  const cases: Array<[string[], RegExp]> = [
    [[shardFiles[0]!, other, shardFiles[2]!, shardFiles[3]!], /other\.json: not a part of the same fleet .*--payload "32"/],
    [[shardFiles[0]!, shardFiles[0]!, shardFiles[2]!, shardFiles[3]!], /shard 0 is given twice/],
    [shardFiles.slice(0, 3), /shard 3 of 4 missing/],
    [[readdirJson(path.join(dir, 'single')), ...shardFiles.slice(1)], /not a shard report/],
  ];
  for (const [files, why] of cases) {
    const out = path.join(dir, 'refused.json');
    const r = await runCli(['merge', ...files, '-o', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.throws(() => readFileSync(out), 'a refused merge wrote its output');
  }
});

test('a fault spread thin: each shard passes lost<=3, the merged fleet fails it', { skip }, async () => {
  const broken = await startDroppingEchoServer(2, 50);
  try {
    const out = path.join(dir, 'thin');
    const runs = await runShards(`127.0.0.1:${broken.port}`, ['--echo-timeout', '300ms', '--threshold', 'lost<=3'], out);
    const files = runs.map((r, i) => {
      assert.equal(r.code, 0, `shard ${i} alone should pass lost<=3: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!).report as string;
    });
    assert.deepEqual(files.map((f) => readReport(f).results.integrity.lost), [2, 2, 2, 2]);
    const m = await runCli(['merge', ...files, '-o', path.join(out, 'merged.json')]);
    assert.equal(m.code, 1, m.stderr);
    const gate = readReport(path.join(out, 'merged.json')).gates.find((g) => g.name === 'lost<=3');
    assert.deepEqual([gate?.pass, gate?.actual], [false, 8]);
    assert.equal(readReport(path.join(out, 'merged.json')).verdict, 'fail');
  } finally {
    await broken.close();
  }
});
