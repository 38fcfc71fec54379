/** `stress server` as a user runs it: a child process, its stdout lines, its exit code. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { CLI } from '../support/paths';
import { LineReader, TestClient, isFinal, isListening, isStats, skipReason, waitUntil } from './helpers';

const opts = { skip: skipReason('addon'), timeout: 60_000 };

function runCli(args: string[]): LineReader {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new LineReader(child);
}

describe('stress server', () => {
  test('prints the bound port, echoes, and prints final stats on SIGINT (exit 0)', opts, async (t) => {
    const cli = runCli(['--port', '0', '--workers', '2']);
    t.after(() => cli.child.kill('SIGKILL'));
    const { stdoutText } = await waitUntil(() => cli, (c) => /listening on/.test(c.stdoutText) || c.exit !== undefined, 'startup line');
    const m = /lanserver listening on 127\.0\.0\.1:(\d+) backend=(\w+) mode=echo workers=2/.exec(stdoutText);
    assert.ok(m, `startup line: ${stdoutText} ${cli.stderr}`);
    const port = Number(m[1]);
    assert.ok(port > 0);
    const client = await TestClient.connect(port);
    client.send(Buffer.from('via cli'));
    assert.equal((await client.waitPackets(1))[0].toString(), 'via cli');
    cli.child.kill('SIGINT');
    const exit = await cli.waitExit();
    assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr);
    assert.match(cli.stdoutText, /stopped by SIGINT/);
    assert.match(cli.stdoutText, /accepted=1 released=1 live=0 peak=1 leaked=0/);
    assert.match(cli.stdoutText, /recv +packets=1 bytes=9/);
    await client.waitClosed();
  });

  test('--stats-json: listening first, a stats line each second, final on SIGTERM (exit 0)', opts, async (t) => {
    const cli = runCli(['--stats-json', '--workers', '1']);
    t.after(() => cli.child.kill('SIGKILL'));
    const listening = await cli.next(isListening, 'listening');
    assert.equal(cli.lines[0], listening, 'listening is the first line');
    assert.equal(listening.pid, cli.child.pid);
    assert.equal(listening.host, '127.0.0.1');
    assert.equal(listening.mode, 'echo');
    assert.equal(listening.workers, 1);
    assert.ok(['epoll', 'io_uring'].includes(listening.backend));
    const client = await TestClient.connect(listening.port);
    client.send(Buffer.from('json'));
    await client.waitPackets(1);
    const stats = await cli.next(isStats, 'a stats line');
    assert.equal(typeof stats.t, 'number');
    assert.equal(typeof stats.disconnects.peerReset, 'number');
    await waitUntil(() => cli.lines.filter(isStats).length, (n) => n >= 2, 'two stats lines');
    client.destroy();
    cli.child.kill('SIGTERM');
    const exit = await cli.waitExit();
    assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr);
    const last = cli.lines[cli.lines.length - 1];
    assert.ok(isFinal(last), 'final is the last line');
    assert.equal(last.accepted, 1);
    assert.equal(last.released, 1);
    assert.equal(last.sessions, 0);
    const nonJson = cli.stdoutText.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    assert.deepEqual(nonJson, [], 'stdout holds only JSON lines');
  });

  test('a stdout reader that goes away does not crash the server: it serves on until SIGTERM', opts, async (t) => {
    const cli = runCli(['--stats-json', '--workers', '1', '--stats-interval-ms', '20']);
    t.after(() => cli.child.kill('SIGKILL'));
    const listening = await cli.next(isListening, 'listening');
    cli.child.stdout?.destroy();
    // Several stats lines now go to a closed pipe (EPIPE) while a client is served.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const client = await TestClient.connect(listening.port);
    client.send(Buffer.from('still here'));
    assert.equal((await client.waitPackets(1))[0].toString(), 'still here');
    client.destroy();
    cli.child.kill('SIGTERM');
    const exit = await cli.waitExit();
    assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr);
    assert.doesNotMatch(cli.stderr, /EPIPE/);
  });

  test('--mode js echoes through the TypeScript handler', opts, async (t) => {
    const cli = runCli(['--stats-json', '--mode', 'js', '--workers', '1']);
    t.after(() => cli.child.kill('SIGKILL'));
    const listening = await cli.next(isListening, 'listening');
    assert.equal(listening.mode, 'js');
    const client = await TestClient.connect(listening.port);
    client.send(Buffer.from('handled in js'));
    assert.equal((await client.waitPackets(1))[0].toString(), 'handled in js');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.waitExit()).code, 0);
  });

  test('bad options exit 2 with a message naming each one', { timeout: 30_000 }, async () => {
    const cli = runCli(['--port', 'abc', '--max-payload', '70000', '--host', '8.8.8.8', '--mode', 'loud', '--deny', '1.2.3.4/40']);
    const exit = await cli.waitExit();
    assert.equal(exit.code, 2, cli.stderr);
    for (const text of [
      '--port must be an integer from 0 to 65535, got abc',
      '--max-payload must be an integer from 0 to 65535, got 70000',
      '--host must be a loopback address',
      '--mode must be one of echo, broadcast, js, got loud',
      '--deny must be a CIDR',
    ]) {
      assert.ok(cli.stderr.includes(text), `stderr names it: ${text}\n${cli.stderr}`);
    }
    assert.equal(cli.stdoutText, '');
  });

  test('an unknown flag exits 2', { timeout: 30_000 }, async () => {
    const cli = runCli(['--max-sesions', '10']);
    const exit = await cli.waitExit();
    assert.equal(exit.code, 2);
    assert.match(cli.stderr, /max-sesions/);
  });

  test('a taken port exits 2 naming --port and EADDRINUSE', opts, async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const cli = runCli(['--port', String(port)]);
    const exit = await cli.waitExit();
    assert.equal(exit.code, 2);
    assert.match(cli.stderr, new RegExp(`--port ${port}: EADDRINUSE`));
  });
});
