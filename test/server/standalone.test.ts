/** The standalone executable and the `lanserver` bin that wraps it, as processes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { packageRoot, standalonePath } from '../../server/addon';
import { ANOMALIES } from '../../server/types';
import { LineReader, TestClient, isFinal, isListening, isStats, skipReason, standaloneArgs, waitUntil } from './helpers';

const opts = { skip: skipReason('standalone'), timeout: 60_000 };
const BIN = path.join(packageRoot(), 'dist', 'server', 'lanserver-bin.js');

function runStandalone(args: string[]): LineReader {
  return new LineReader(spawn(standalonePath(), args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('standalone lanserver', () => {
  test('prints listening, stats lines with every stats field, and final on SIGTERM', opts, async (t) => {
    const server = runStandalone(standaloneArgs({ workers: 1 }, 100));
    t.after(() => server.child.kill('SIGKILL'));
    const listening = await server.next(isListening, 'listening');
    assert.equal(server.lines[0], listening);
    assert.equal(listening.pid, server.child.pid);
    assert.equal(listening.workers, 1);
    const stats = await server.next(isStats, 'stats');
    for (const key of [
      'accepted', 'rejected', 'released', 'sessions', 'peakSessions', 'recvPackets', 'recvBytes', 'sendPackets', 'sendBytes',
      'disconnects', 'staleIdCalls', 'probeCalls', 'anomalies', 'pendingIoSessions', 'disconnectingSessions', 'strandedSessions',
      'freeSlots',
    ]) {
      assert.ok(key in stats, `stats has ${key}`);
    }
    assert.deepEqual(Object.keys(stats.disconnects).sort(), ['ioError', 'kicked', 'peerClosed', 'peerReset', 'protocol', 'sendQueueFull', 'stopping']);
    assert.deepEqual(Object.keys(stats.anomalies).sort(), [...ANOMALIES].sort());
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.waitExit(), { code: 0, signal: null }, server.stderr);
    assert.ok(isFinal(server.lines[server.lines.length - 1]));
  });

  test('SIGTERM twice still stops cleanly with one final line', opts, async (t) => {
    const server = runStandalone(standaloneArgs({ workers: 2 }, 100));
    t.after(() => server.child.kill('SIGKILL'));
    const listening = await server.next(isListening, 'listening');
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(listening.port)));
    await waitUntil(() => server.lines.filter(isStats).at(-1)?.sessions ?? 0, (n) => n === 20, '20 sessions');
    server.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.waitExit(), { code: 0, signal: null }, server.stderr);
    const finals = server.lines.filter(isFinal);
    assert.equal(finals.length, 1);
    assert.equal(finals[0].released, 20);
    assert.equal(finals[0].sessions, 0);
    await Promise.all(clients.map((c) => c.waitClosed()));
  });

  test('a taken port: non-zero exit and EADDRINUSE on stderr', opts, async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const server = runStandalone(standaloneArgs({ port }, 100));
    const exit = await server.waitExit();
    assert.notEqual(exit.code, 0);
    assert.match(server.stderr, /EADDRINUSE/);
  });

  test('a host outside 127.0.0.0/8 exits 2 naming --host (loopback only)', opts, async () => {
    for (const host of ['0.0.0.0', '10.1.2.3']) {
      const server = runStandalone(['--host', host, '--port', '0']);
      const exit = await server.waitExit();
      assert.equal(exit.code, 2, server.stderr);
      assert.match(server.stderr, new RegExp(`--host must be a loopback address \\(127\\.0\\.0\\.0/8 or ::1\\): '${host.replace(/\./g, '\\.')}'`));
      assert.equal(server.lines.length, 0, 'nothing listened');
    }
  });

  test('every bad flag at once, exit 2: a flag given twice, an unknown flag, bad values', opts, async () => {
    const server = runStandalone(['--port', '0', '--workers', '2', '--port', '1', '--bogus', 'x', '--max-payload', '70000', '--mode', 'nope']);
    const exit = await server.waitExit();
    assert.equal(exit.code, 2, server.stderr);
    assert.match(server.stderr, /--port is given more than once/);
    assert.match(server.stderr, /unknown option --bogus/);
    assert.match(server.stderr, /--max-payload must be an integer in 0\.\.65535 \(got 70000\)/);
    assert.match(server.stderr, /--mode must be echo, broadcast or js \(got 'nope'\)/);
    assert.equal(server.lines.length, 0, 'nothing listened');
  });

  test("a send queue that cannot hold one whole packet of the framing exits 2 naming --send-queue-limit", opts, async () => {
    // servercore's header is 4 bytes: 200 + 2 would have passed when the minimum assumed lan's 2.
    const server = runStandalone(['--port', '0', '--framing', 'servercore', '--max-payload', '200', '--send-queue-limit', '202']);
    const exit = await server.waitExit();
    assert.equal(exit.code, 2, server.stderr);
    assert.match(server.stderr, /--send-queue-limit must hold one whole packet: at least the largest payload \(200\) \+ the framing's 4-byte header = 204 \(got 202\)/);
    assert.equal(server.lines.length, 0, 'nothing listened');
  });

  test('the lanserver bin runs it, forwards SIGINT, and exits with its code', opts, async (t) => {
    const wrapped = new LineReader(
      spawn(process.execPath, [BIN, ...standaloneArgs({ workers: 1 }, 100)], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    t.after(() => wrapped.child.kill('SIGKILL'));
    const listening = await wrapped.next(isListening, 'listening');
    assert.notEqual(listening.pid, wrapped.child.pid, 'the native process serves, not node');
    const client = await TestClient.connect(listening.port);
    client.send(Buffer.from('wrapped'));
    assert.equal((await client.waitPackets(1))[0].toString(), 'wrapped');
    wrapped.child.kill('SIGINT');
    assert.deepEqual(await wrapped.waitExit(), { code: 0, signal: null }, wrapped.stderr);
    const final = wrapped.lines.find(isFinal);
    assert.ok(final, 'the child printed its final line through the inherited stdout');
    assert.equal(final.released, 1);
  });

  test('the lanserver bin passes a bad-usage exit code through', opts, async () => {
    const wrapped = new LineReader(spawn(process.execPath, [BIN, '--max-payload', '70000'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const exit = await wrapped.waitExit();
    assert.equal(exit.code, 2, wrapped.stderr);
    assert.match(wrapped.stderr, /max-payload/);
  });
});
