/** stress run --server-cmd: a launcher and a standalone lanserver, checked before any load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitCommand } from '../../stress/sanitize/server-bin';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

test('--server-cmd is split into words; quotes hold spaces', () => {
  assert.deepEqual(splitCommand('wine addon/out/windows-release/lanserver.exe'), ['wine', 'addon/out/windows-release/lanserver.exe']);
  assert.deepEqual(splitCommand(`  env A=1  "/opt/my dir/lanserver"  'x y' `), ['env', 'A=1', '/opt/my dir/lanserver', 'x y']);
  assert.deepEqual(splitCommand('   '), []);
});

test('--server-cmd that does not answer --build-info through its launcher is bad input naming the flag (exit 2)', { timeout: 30_000 }, async () => {
  const out = tempDir();
  const missing = await runCli(['--server-cmd', 'no-such-launcher lanserver.exe', '--clients', '1', '--duration', '1', '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--server-cmd "no-such-launcher lanserver.exe": is not a lanserver .*ENOENT/);
  const other = await runCli(['--server-cmd', 'env /bin/true', '--clients', '1', '--duration', '1', '--out', out]);
  assert.equal(other.code, 2, 'a command that is not a lanserver is bad input, not a server crash');
  assert.match(other.stderr, /--server-cmd "env \/bin\/true": is not a lanserver/);
  const empty = await runCli(['--server-cmd', ' ', '--clients', '1', '--duration', '1', '--out', out]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--server-cmd " ": (is empty|must be a command line)/);
});

test('--server-cmd excludes --server-bin and js mode (exit 2, every problem at once)', { timeout: 30_000 }, async () => {
  const r = await runCli(['--server-cmd', 'env /bin/true', '--server-bin', '/bin/true', '--mode', 'js', '--clients', '1', '--duration', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--server-cmd "env \/bin\/true": the standalone lanserver has no js mode/);
  assert.match(r.stderr, /--server-cmd "env \/bin\/true": names the server as --server-bin does/);
});
