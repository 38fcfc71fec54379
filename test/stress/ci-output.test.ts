import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { toJUnit, toMarkdown, writeCiOutputs, xmlEscape } from '../../stress/ci-output';
import { evaluateThresholds } from '../../stress/thresholds/evaluate';
import { makeReport } from './compare-fixture';
import { tempDir } from '../support/temp';

/** Tags open and close in order, attributes are quoted, no raw & or <: enough to catch broken escaping. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>|([^<]+)/g;
  let at = 0;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    assert.equal(m.index, at, `unparsable XML near: ${body.slice(at, at + 80)}`);
    at = re.lastIndex;
    if (m[5] !== undefined) {
      assert.doesNotMatch(m[5], /&(?!(amp|lt|gt|quot|apos);)/, 'raw & in text');
      continue;
    }
    if (m[1] === '/') assert.equal(stack.pop(), m[2], `closing </${m[2]}>`);
    else if (m[4] !== '/') stack.push(m[2] ?? '');
  }
  assert.equal(at, body.length, 'XML parsed to the end');
  assert.deepEqual(stack, [], 'every element closed');
}

test('xmlEscape escapes markup and drops characters XML cannot carry', () => {
  assert.equal(xmlEscape(`a<b>&"c'\u0001`), 'a&lt;b&gt;&amp;&quot;c&apos;');
});

test('JUnit: one test case per gate and threshold, failures carry the measured value, unknown gates skipped', () => {
  const report = makeReport({ seed: 4, connectErrors: 2 });
  const p99 = report.results.latency.corrected.p99;
  report.gates.push(...evaluateThresholds(report, ['p99<100s', 'connectErrors==0', 'p50<1us']));
  report.gates.push({ name: 'odd "gate" <&>', kind: 'scenario', pass: true, actual: 1, expected: '== 1', unknown: false });
  report.gates.push({ name: 'server.sessions == 0', kind: 'server', pass: false, actual: null, expected: '== 0', unknown: true });
  const xml = toJUnit(report);
  assertWellFormed(xml);
  assert.equal((xml.match(/<testcase /g) ?? []).length, report.gates.length);
  assert.match(xml, /<testsuites name="lanstress" tests="7" failures="2" errors="0" skipped="1"/);
  assert.match(xml, /<testcase classname="lanstress\.echo\.threshold" name="connectErrors==0" time="0">\s*<failure message="measured 2, expected == 0" type="threshold">/);
  assert.match(xml, /name="p50&lt;1us" time="0">\s*<failure message="measured [\d.]+ ms, expected &lt; 0\.001 ms"/, 'measured in the unit of the bound');
  assert.match(xml, /name="odd &quot;gate&quot; &lt;&amp;&gt;" time="0"><\/testcase>/);
  assert.match(xml, /<testcase [^>]*name="p99&lt;100s" time="0"><\/testcase>/);
  assert.match(xml, /name="server\.sessions == 0" time="0">\s*<skipped message="unknown: measured unknown, expected == 0"\/>/);
  assert.match(xml, new RegExp(`name="latency.corrected.p99.ms" value="${p99}"`));
});

test('Markdown: verdict, build, key numbers, every gate, failures named', () => {
  const report = makeReport({ seed: 4, dirty: true });
  report.gates.push(...evaluateThresholds(report, ['p99<1us']));
  report.verdict = 'fail';
  const md = toMarkdown(report);
  assert.match(md, /^## lanstress `echo`: ❌ FAIL/);
  assert.match(md, /Build `0123456789-dirty`/);
  assert.match(md, /Test CPU &lt;script&gt;/);
  assert.match(md, /\*\*Failed:\*\* `p99<1us`/, 'code spans carry the text as written, not HTML-escaped');
  assert.equal((md.match(/^\| `(integrity|server|p99)/gm) ?? []).length, report.gates.length);
  assert.match(md, /\| `p99<1us` \| threshold \| [\d.]+ ms \|/);
});

test('writeCiOutputs writes the files asked for and nothing else', () => {
  const dir = tempDir('ci');
  try {
    const report = makeReport({ seed: 2 });
    const junit = path.join(dir, 'sub', 'out.xml');
    const written = writeCiOutputs(report, { junit });
    assert.deepEqual(written, [junit]);
    assert.equal(readFileSync(junit, 'utf8'), toJUnit(report));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
