/**
 * Every output and the server binary are checked before the load: a bad --out, --junit,
 * --markdown, --html or --server-bin is exit 2 naming the flag, with nothing written and no
 * server started; a report whose histograms do not decode is exit 2 naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { outputDirProblem, outputFileProblem } from '../../stress/run/output-paths';
import { serverBinProblem } from '../../stress/sanitize/server-bin';
import { makeReport } from './compare-fixture';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';
import { buildLanserver, toolchainMissing } from '../support/toolchain';

test('output directories: a file, /proc, /sys and an unwritable parent are refused; a new directory under a writable one is fine', () => {
  const dir = tempDir('outputs');
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  assert.equal(outputDirProblem(path.join(dir, 'new', 'deeper')), null);
  assert.equal(outputDirProblem(dir), null);
  assert.match(outputDirProblem(file) ?? '', /names a file, not a directory/);
  assert.match(outputDirProblem(path.join(file, 'under')) ?? '', /cannot be created: .*a-file is a file/);
  assert.match(outputDirProblem('/proc/lanstress-reports') ?? '', /proc file system/);
  assert.match(outputDirProblem('/sys/kernel/x') ?? '', /sysfs file system/);
  assert.match(outputDirProblem('  ') ?? '', /needs a directory name/);
  if (process.getuid?.() !== 0) {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    assert.match(outputDirProblem(path.join(locked, 'x')) ?? '', /not writable/);
  }
});

test('output files: a directory, a special file system and a file under a file are refused; /dev/null is fine', () => {
  const dir = tempDir('outputs');
  writeFileSync(path.join(dir, 'a-file'), 'x');
  assert.equal(outputFileProblem(path.join(dir, 'sub', 'junit.xml')), null);
  assert.equal(outputFileProblem('/dev/null'), null);
  assert.match(outputFileProblem(dir) ?? '', /is a directory: give a file name/);
  assert.match(outputFileProblem(path.join(dir, 'a-file', 'x.xml')) ?? '', /its directory names a file, not a directory/);
  assert.match(outputFileProblem('/proc/self/x.md') ?? '', /proc file system/);
  assert.match(outputFileProblem('') ?? '', /needs a file name/);
});

test('--server-bin: only a runnable lanserver that answers --build-info', { skip: toolchainMissing() }, async () => {
  const dir = tempDir('outputs');
  const script = path.join(dir, 'not-lanserver.sh');
  writeFileSync(script, '#!/bin/sh\necho hello\n');
  chmodSync(script, 0o755);
  assert.match(serverBinProblem(path.join(dir, 'missing')) ?? '', /no such file/);
  assert.match(serverBinProblem(dir) ?? '', /is not a file/);
  assert.match(serverBinProblem(script) ?? '', /is not a lanserver .*printing "hello\\n"/);
  assert.equal(serverBinProblem(await buildLanserver('release', null)), null);
});

test('stress run: every bad output flag is named at once, exit 2, before any load, nothing written', async () => {
  const dir = tempDir('outputs');
  writeFileSync(path.join(dir, 'a-file'), 'x');
  const out = path.join(dir, 'reports');
  const r = await runCli(
    ['--clients', '10', '--duration', '30', '--out', '/proc/lanstress', '--junit', dir, '--markdown', path.join(dir, 'a-file', 'm.md'), '--server-bin', '/etc/hostname'],
    20_000,
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--out "\/proc\/lanstress": is on the proc file system/);
  assert.match(r.stderr, /--junit ".*": is a directory: give a file name/);
  assert.match(r.stderr, /--markdown ".*m\.md": its directory names a file/);
  assert.match(r.stderr, /--server-bin "\/etc\/hostname": is not a lanserver|--server-bin "\/etc\/hostname": is not executable/);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).sort(), ['a-file']);
});

test('a report whose histogram does not decode: report and compare exit 2 naming the file; report --html into a directory leaves no temp file', async () => {
  const dir = tempDir('outputs');
  const good = path.join(dir, 'good.json');
  const bad = path.join(dir, 'corrupt.json');
  const report = makeReport({ seed: 1 });
  writeFileSync(good, JSON.stringify(report));
  writeFileSync(bad, JSON.stringify({ ...report, results: { ...report.results, latency: { ...report.results.latency, histograms: { ...report.results.latency.histograms, corrected: 'HISTAAAAQXic' } } } }));
  for (const args of [['report', bad], ['compare', good, bad]]) {
    const r = await runCli(args, 20_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /corrupt\.json: results\.latency\.histograms\.corrected is not an HDR histogram/);
  }
  const html = await runCli(['report', good, '--html', dir], 20_000);
  assert.equal(html.code, 2);
  assert.match(html.stderr, /--html ".*": is a directory/);
  assert.deepEqual(readdirSync(dir).sort(), ['corrupt.json', 'good.json']);
  assert.equal(readFileSync(good, 'utf8'), JSON.stringify(report));
});
