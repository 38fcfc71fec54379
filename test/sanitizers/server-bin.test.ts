import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

test('--server-bin that is not an executable is bad input naming the flag (exit 2)', { timeout: 30_000 }, async () => {
  const out = tempDir();
  const missing = await runCli(['--server-bin', `${out}/no-such-lanserver`, '--clients', '1', '--duration', '1', '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--server-bin .*no-such-lanserver"?: no such file/);
  const dir = await runCli(['--server-bin', out, '--clients', '1', '--duration', '1', '--out', out]);
  assert.equal(dir.code, 2);
  assert.match(dir.stderr, /--server-bin .*"?: is not a file/);
  const other = await runCli(['--server-bin', '/bin/true', '--clients', '1', '--duration', '1', '--out', out]);
  assert.equal(other.code, 2, 'a program that is not a lanserver is bad input, not a server crash');
  assert.match(other.stderr, /--server-bin "\/bin\/true": is not a lanserver/);
});

test('--server-bin cannot serve js mode, nor configure an external target (exit 2, every problem at once)', { timeout: 30_000 }, async () => {
  const js = await runCli(['--server-bin', '/bin/true', '--mode', 'js', '--clients', '1', '--duration', '1']);
  assert.equal(js.code, 2);
  assert.match(js.stderr, /--server-bin "\/bin\/true": the standalone lanserver has no js mode/);
  const ext = await runCli(['--server-bin', '/bin/true', '--target', '127.0.0.1:9', '--clients', '1', '--duration', '1']);
  assert.equal(ext.code, 2);
  assert.match(ext.stderr, /--server-bin "\/bin\/true": configures the embedded server/);
});
