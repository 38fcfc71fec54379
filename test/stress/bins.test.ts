/**
 * The commands package.json names are executable after a build, so `npx stress` works even
 * through a link npm made in an earlier run (CI once failed with "stress: Permission denied").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { binTargets, markExecutable } from '../../stress/bins/mark-executable';
import { tempDir } from '../support/temp';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

test('every bin in package.json exists after the build, starts with a node shebang and runs directly', () => {
  const targets = binTargets(repoRoot);
  assert.deepEqual(targets.map((t) => path.relative(repoRoot, t)).sort(), ['dist/server/lanserver-bin.js', 'dist/stress/cli.js']);
  for (const target of targets) {
    assert.match(readFileSync(target, 'utf8'), /^#!\/usr\/bin\/env node\n/, `${target} shebang`);
    assert.equal(statSync(target).mode & 0o111, 0o111, `${target} is executable by everyone who can read it`);
  }
  // Run through the kernel's exec, as npx's shell does, not through `node FILE`.
  const help = execFileSync(path.join(repoRoot, 'dist/stress/cli.js'), ['--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.match(help, /stress \[scenario\]/);
});

test('markExecutable adds x where r is, for each bin form package.json allows, and leaves other files alone', (t) => {
  const dir = tempDir('bins');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'bin'));
  const write = (name: string, mode: number): string => {
    const file = path.join(dir, 'bin', name);
    writeFileSync(file, '#!/usr/bin/env node\n');
    chmodSync(file, mode); // not writeFileSync's mode, which the umask narrows
    return file;
  };
  const a = write('a.js', 0o644);
  const b = write('b.js', 0o600);
  const other = write('other.js', 0o644);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ bin: { a: 'bin/a.js', b: 'bin/b.js' } }));
  assert.deepEqual(markExecutable(dir), [a, b]);
  assert.equal(statSync(a).mode & 0o777, 0o755);
  assert.equal(statSync(b).mode & 0o777, 0o700);
  assert.equal(statSync(other).mode & 0o777, 0o644);

  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ bin: 'bin/other.js' }));
  assert.deepEqual(markExecutable(dir), [other]);
  assert.equal(statSync(other).mode & 0o777, 0o755);

  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'no-bins' }));
  assert.deepEqual(markExecutable(dir), []);
});
