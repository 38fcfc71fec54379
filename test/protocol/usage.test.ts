/**
 * --protocol's bad input: a module that is missing, does not load or lacks a hook, and flags that
 * cannot go with it. Each is exit 2 naming the flag, the file and the hook, before any load runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { CHAT_PROTOCOL } from '../support/chat-example';
import { tempDir } from '../support/temp';

/** Nothing listens there: a module refused before the target is even probed never gets that far. */
const TARGET = ['--target', '127.0.0.1:1'];

test('a module missing a hook, with a hook of the wrong type, unloadable or absent: exit 2 naming file and hook', { timeout: 30_000 }, async () => {
  const dir = tempDir('protocol-usage');
  const modules: Array<[string, string, RegExp]> = [
    ['no-check.mjs', 'export function frame() { return 0; }\nexport function request() { return null; }\n', /no-check\.mjs: hook check\(\) is missing/],
    ['bad-open.mjs', 'export const frame = () => 0, request = () => null, check = () => ({ kind: "unexpected" }), open = 3;\n', /bad-open\.mjs: hook open\(\) is a number, not a function/],
    ['syntax.mjs', 'export function frame( {\n', /syntax\.mjs: cannot be loaded/],
  ];
  try {
    for (const [name, text, expected] of modules) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const res = await runCli(['--protocol', file, ...TARGET, '--clients', '1', '--duration', '1'], 10_000);
      assert.equal(res.code, 2, `${name}: ${res.stderr}`);
      assert.match(res.stderr, /--protocol /);
      assert.match(res.stderr, expected);
    }
    const missing = path.join(dir, 'nowhere.mjs');
    const res = await runCli(['--protocol', missing, ...TARGET, '--clients', '1', '--duration', '1'], 10_000);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /nowhere\.mjs: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a default-exported hooks object loads like named exports', { timeout: 15_000 }, async () => {
  const dir = tempDir('protocol-usage');
  try {
    const file = path.join(dir, 'default.mjs');
    writeFileSync(file, 'export default { frame: () => 0, request: () => null, check: () => ({ kind: "unexpected" }) };\n');
    // It loads, so the run goes on to the target, which refuses: the error names --target, not --protocol.
    const res = await runCli(['--protocol', file, ...TARGET, '--clients', '1', '--duration', '1'], 10_000);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /--target 127\.0\.0\.1:1: connection refused/);
    assert.doesNotMatch(res.stderr, /--protocol/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--protocol needs --target and excludes the lan-traffic flags and scenarios', { timeout: 15_000 }, async () => {
  const embedded = await runCli(['--protocol', CHAT_PROTOCOL, '--clients', '1', '--duration', '1'], 10_000);
  assert.equal(embedded.code, 2);
  assert.match(embedded.stderr, /--protocol .*needs --target HOST:PORT/);
  const traffic = await runCli(['--protocol', CHAT_PROTOCOL, ...TARGET, '--traffic', 'chaos', '--payload', '32'], 10_000);
  assert.equal(traffic.code, 2);
  assert.match(traffic.stderr, /--traffic .*which --protocol replaces/);
  assert.match(traffic.stderr, /--payload .*which --protocol replaces/);
  const scenario = await runCli(['chaos', '--protocol', CHAT_PROTOCOL, ...TARGET], 10_000);
  assert.equal(scenario.code, 2);
  assert.match(scenario.stderr, /--protocol .*the scenario sends its own traffic \(chaos\)/);
});
