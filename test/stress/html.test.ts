import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from '../../stress/html/render';
import { esc, jsonForScript } from '../../stress/html/escape';
import type { RunReport } from '../../stress/report/types';
import { makeReport } from './compare-fixture';
import { Browser, findChromium } from './html-browser';
import { addonMissing } from '../support/cli';
import { CLI } from '../support/paths';
import { readReport } from '../support/reports';
import { tempDir } from '../support/temp';

const chromium = findChromium();
const noBrowser = chromium === null ? 'chromium is not installed (apt-get install -y chromium); the browser checks need it' : false;

test('escaping: text, attributes and JSON inside a script element', () => {
  assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const json = jsonForScript({ s: '</script><script>alert(1)</script>\u2028' });
  assert.doesNotMatch(json, /<|\u2028/);
  assert.deepEqual(JSON.parse(json), { s: '</script><script>alert(1)</script>\u2028' });
});

test('the HTML is one file: library inlined, no external resource, report text escaped', () => {
  const report = makeReport({ seed: 5 });
  report.scenario.description = '<img src=x onerror=alert(1)>';
  const html = renderHtml(report);
  assert.match(html, /uPlot/);
  assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=/i);
  assert.doesNotMatch(html, /<img src=x/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.doesNotMatch(html, /<script>alert\(1\)<\/script>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

function valueAt(report: RunReport, key: string): unknown {
  if (key === 'errors') return report.results.series.reduce((a, t) => a + t.errors, 0);
  // A name may hold dots itself (client error codes such as stall.started): take the longest that is a key.
  const parts = key.split('.');
  let at: unknown = report;
  for (let i = 0; i < parts.length; ) {
    const obj = at as Record<string, unknown>;
    let j = parts.length;
    while (j > i && !(parts.slice(i, j).join('.') in obj)) j--;
    if (j === i) return undefined;
    at = obj[parts.slice(i, j).join('.')];
    i = j;
  }
  return at;
}

/** The number a cell shows, read as a person would: "1.23 ms" -> 1.23, "12.3k" -> 12300, "1,024" -> 1024. */
function shown(text: string): number {
  const m = /^(-?[\d,]*\.?\d+)\s*([kKMG]i?)?/.exec(text.trim());
  assert.ok(m, `"${text}" does not start with a number`);
  const scale = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? ''] ?? 1;
  return Number((m[1] ?? '').replace(/,/g, '')) * scale;
}

async function checkInBrowser(report: RunReport, widths: number[], expectCharts = 4): Promise<void> {
  const dir = tempDir('html');
  const browser = Browser.launch(chromium as string);
  try {
    const file = path.join(dir, 'run.html');
    writeFileSync(file, renderHtml(report, { source: 'reports/run.json' }));
    const url = pathToFileURL(file).href;
    for (const width of widths) {
      const page = await browser.newPage(width, 800);
      await page.goto(url);
      const drawn = await page.evaluate<string | null>(`document.documentElement.getAttribute('data-charts-drawn')`);
      const placed = await page.evaluate<number>(`document.querySelectorAll('.chart').length`);
      assert.equal(drawn, String(placed), 'every chart placed in the page was created');
      assert.ok(placed >= expectCharts, `${placed} charts, expected at least ${expectCharts}`);
      const charts = await page.evaluate<Array<{ id: string; painted: number }>>(`Array.from(document.querySelectorAll('.chart')).map(function (el) {
        var painted = 0;
        el.querySelectorAll('canvas').forEach(function (c) {
          var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (var i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
        });
        return { id: el.id, painted: painted };
      })`);
      for (const c of charts) assert.ok(c.painted > 500, `${c.id} drew ${c.painted} pixels`);

      const numbers = await page.evaluate<Array<{ k: string; v: string; text: string }>>(
        `Array.from(document.querySelectorAll('[data-v]')).map(function (e) { return { k: e.getAttribute('data-k'), v: e.getAttribute('data-v'), text: e.textContent }; })`,
      );
      assert.ok(numbers.length > 50, `only ${numbers.length} numbers in the page`);
      for (const n of numbers) {
        const expected = valueAt(report, n.k);
        if (expected === null) {
          assert.equal(n.text, 'n/a', n.k);
          continue;
        }
        assert.equal(typeof expected, 'number', `${n.k} is a number in the JSON`);
        assert.equal(Number(n.v), expected, `${n.k}: data-v ${n.v} vs JSON ${String(expected)}`);
        const seen = shown(n.text);
        const e = expected as number;
        assert.ok(Math.abs(seen - e) <= Math.max(0.01 * Math.abs(e), 0.0005), `${n.k}: page shows "${n.text}", JSON has ${e}`);
      }
      const layout = await page.evaluate<{ scroll: number; inner: number; scripts: number; title: string; cpu: boolean }>(`({
        scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        scripts: document.scripts.length, title: document.title,
        cpu: document.body.textContent.indexOf('Test CPU <script>alert(1)</script>') >= 0 })`);
      assert.ok(layout.scroll <= layout.inner, `page is ${layout.scroll}px wide in a ${layout.inner}px window`);
      assert.equal(layout.scripts, 3, 'report text added no script element');
      assert.ok(layout.cpu, 'the CPU model with markup is shown as text');
      assert.ok(layout.title.startsWith(`lanstress ${report.scenario.name}: `), layout.title);
      assert.match(layout.title, /: (pass|FAIL)/);

      assert.deepEqual(page.errors(), [], 'no console error');
      assert.deepEqual(page.requests().filter((u) => u !== url), [], 'no network request but the file itself');
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the report opens in headless Chromium: no errors, no network, every chart drawn, numbers match the JSON, no sideways scroll', { skip: noBrowser, timeout: 90_000 }, async () => {
  const report = makeReport({ seed: 7, stallUs: 20_000, connectErrors: 3, integrity: { lost: 2, abandoned: 5 } });
  report.gates.push({ name: 'p99<1ms', kind: 'threshold', pass: false, actual: report.results.latency.corrected.p99, expected: '< 1 ms', unknown: false });
  report.gates.push({ name: 'server.leaked == 0', kind: 'server', pass: false, actual: null, expected: '== 0', unknown: true });
  await checkInBrowser(report, [1280, 1024]);
});

test('an external-target report with no server stats renders too', { skip: noBrowser, timeout: 60_000 }, async () => {
  await checkInBrowser(makeReport({ seed: 8, external: true }), [1280]);
});

test('a real run\'s report (chaos, the shipped server) renders in Chromium with its numbers, and its HTML sits beside the JSON', { skip: noBrowser || addonMissing(), timeout: 120_000 }, async () => {
  const out = tempDir('html-run');
  try {
    const ran = spawnSync(process.execPath, [CLI, 'chaos', '--backend', 'auto', '--clients', '100', '--duration', '2', '--out', out, '--json'], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(ran.status, 0, ran.stderr.slice(-2000));
    const json = readdirSync(out).filter((f) => f.endsWith('.json'));
    assert.equal(json.length, 1);
    const jsonPath = path.join(out, json[0] ?? '');
    assert.ok(existsSync(jsonPath.replace(/\.json$/, '.html')), 'the HTML report is written next to the JSON');
    const report = readReport(jsonPath);
    assert.ok(report.results.integrity.ok > 0);
    // The same hostile text the fixtures carry, so escaping is proven on a real report too.
    report.meta.cpu.model = 'Test CPU <script>alert(1)</script>';
    await checkInBrowser(report, [1280]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the page reads top down: verdict, failed gates by name and the client warning before the tiles; chaos only with chaos; build details last', () => {
  const report = makeReport({ seed: 9 });
  report.gates.push({ name: 'p99<1ms', kind: 'threshold', pass: false, actual: 13.799, expected: '< 1 ms', unknown: false });
  report.verdict = 'fail';
  const html = renderHtml(report);
  const at = (needle: string): number => {
    const i = html.indexOf(needle);
    assert.ok(i >= 0, `page lacks ${needle}`);
    return i;
  };
  assert.match(html, /<div class="failures" data-k="gatesSummary"><p>2 of 3 gates passed, 1 failed\.<\/p><ul><li class="failed"><code>p99&lt;1ms<\/code>: measured 13\.8 ms, expected &lt; 1 ms<\/li>/);
  assert.ok(at('data-k="verdict"') < at('class="failures"'));
  assert.ok(at('class="failures"') < at('class="cards"'));
  assert.ok(at('class="cards"') < at('id="chart-spectrum"'));
  assert.ok(html.lastIndexOf('<section') === at('<section class="build">'), 'build details are the last section');
  assert.match(html, /closed loop, pipeline 1/);
  // The fixture cut connections: the chaos section and its chart are there; a calm run has neither.
  assert.match(html, /<h2>Chaos<\/h2>/);
  const calm = makeReport({ seed: 10 });
  calm.results.chaos.counts = { rstMidBurst: 0, finInFlight: 0, closeAfterConnect: 0, closeMidPacket: 0, silence: 0 };
  const calmPage = renderHtml(calm);
  // The page's markup only: the chart script names every chart it can draw.
  const calmHtml = calmPage.slice(0, calmPage.indexOf('<script'));
  assert.doesNotMatch(calmHtml, /<h2>Chaos<\/h2>|chart-cuts/);
  assert.doesNotMatch(calmHtml, /chart-errors/, 'no chart of flat zero lines');
});

test('a run without round trips says so instead of showing zeros, and renders in Chromium at 900 px; count axes start at 0', { skip: noBrowser, timeout: 60_000 }, async () => {
  const report = makeReport({ seed: 11 });
  report.results.latency.corrected = { ...report.results.latency.corrected, count: 0 };
  report.options.mode = 'broadcast';
  const page = renderHtml(report);
  const html = page.slice(0, page.indexOf('<script'));
  assert.match(html, /No latency measured in this run: mode broadcast checks delivery, not round trips\./);
  assert.doesNotMatch(html, /chart-spectrum|chart-latency|data-k="results\.latency\.corrected\.p99"/);
  await checkInBrowser(report, [900], 1);
  const chaotic = makeReport({ seed: 12, errorsPerSecond: 3 });
  await checkInBrowser(chaotic, [900, 1400], 6);
  const dir = tempDir('html-axes');
  const browser = Browser.launch(chromium as string);
  try {
    const file = path.join(dir, 'run.html');
    writeFileSync(file, renderHtml(chaotic));
    const page = await browser.newPage(900, 800);
    await page.goto(pathToFileURL(file).href);
    const mins = await page.evaluate<Record<string, string | null>>(`(function () { var o = {}; document.querySelectorAll('.chart').forEach(function (el) { o[el.id] = el.getAttribute('data-y-min'); }); return o; })()`);
    for (const id of ['chart-throughput', 'chart-histogram', 'chart-cuts', 'chart-errors', 'chart-latency']) {
      assert.ok(mins[id] !== undefined && mins[id] !== null, `${id} is drawn`);
      assert.ok((JSON.parse(mins[id] as string) as number[]).every((m) => m === 0), `${id} y axes start at 0: ${mins[id]}`);
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stress compare --html: the runs overlaid in one self-contained page that opens in Chromium, with the delta table', { skip: noBrowser, timeout: 90_000 }, async () => {
  const dir = tempDir('compare-html');
  const browser = Browser.launch(chromium as string);
  try {
    const base = path.join(dir, 'base');
    const slow = path.join(dir, 'slow');
    mkdirSync(base);
    mkdirSync(slow);
    [400, 420, 410, 390, 405].forEach((m, i) => writeFileSync(path.join(base, `${i}.json`), JSON.stringify(makeReport({ seed: i + 1, medianUs: m }))));
    [1600, 1650, 1580, 1620, 1610].forEach((m, i) => writeFileSync(path.join(slow, `${i}.json`), JSON.stringify(makeReport({ seed: i + 11, medianUs: m }))));
    const file = path.join(dir, 'compare.html');
    const ran = spawnSync(process.execPath, [CLI, 'compare', base, slow, '--html', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stdout, new RegExp(`HTML: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const html = readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=/i, 'self-contained');
    assert.match(html, /<span class="badge fail" data-k="verdict">\d+ regressions?<\/span>/);
    assert.match(html, /<td>latency p99<\/td>.*REGRESSION/);
    assert.match(html, /Runs per side: 5 vs 5/);
    const page = await browser.newPage(1024, 800);
    const url = pathToFileURL(file).href;
    await page.goto(url);
    assert.equal(await page.evaluate<string | null>(`document.documentElement.getAttribute('data-charts-drawn')`), '3');
    const series = await page.evaluate<number>(`document.querySelectorAll('#chart-spectra .u-legend .u-series').length`);
    assert.equal(series, 3, 'the percentile axis and one line per side');
    assert.deepEqual(page.errors(), [], 'no console error');
    assert.deepEqual(page.requests().filter((u) => u !== url), [], 'no network request but the file itself');
    const bad = spawnSync(process.execPath, [CLI, 'compare', base, slow, '--html', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--html ".*": is a directory/);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
