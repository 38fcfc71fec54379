/**
 * Scenario gates can fail: each scenario run against a deliberately broken server exits 1 with
 * the gate that caught it in the failed-gates table.
 *  - bad-input vs a Node echo server that never disconnects an oversize or garbage header;
 *  - max-sessions vs a server that has no session cap (nothing is refused);
 *  - slow-reader vs a server that drops what a slow reader cannot take instead of cutting it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startEchoServer } from '../dummy-client/servers';
import { failed, runScenarioCli } from './run-helpers';

/** Echoes bytes as they come, but drops them (never disconnects) once 1 MiB waits for a slow reader. */
async function droppingEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (chunk: Buffer) => {
      if (s.writableLength < 1 << 20) s.write(chunk);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function assertCaught(run: Awaited<ReturnType<typeof runScenarioCli>>, gateName: string): void {
  assert.equal(run.cli.code, 1, `exit ${run.cli.code}\n${run.cli.stderr}`);
  assert.ok(failed(run.report).some((g) => g.startsWith(gateName)), `failed: ${failed(run.report).join(', ')}`);
  assert.equal(run.report.verdict, 'fail');
}

test('bad-input fails (exit 1) against a server that lets oversize headers stand', async () => {
  const srv = await startEchoServer();
  try {
    const run = await runScenarioCli(['bad-input', '--target', `127.0.0.1:${srv.port}`, '--clients', '40', '--duration', '3', '--gate']);
    assertCaught(run, 'clientErrors.badInput.ignored == 0');
    // Only the offenders were affected: the echo clients beside them are intact.
    assert.equal(run.report.results.integrity.lost + run.report.results.integrity.corrupted, 0);
  } finally {
    await srv.close();
  }
});

test('max-sessions fails (exit 1) against a server with no session cap', async () => {
  const srv = await startEchoServer();
  try {
    const run = await runScenarioCli(['max-sessions', '--target', `127.0.0.1:${srv.port}`, '--clients', '40', '--duration', '2', '--gate']);
    assertCaught(run, 'clientErrors.refused > 0');
  } finally {
    await srv.close();
  }
});

test('slow-reader fails (exit 1) against a server that never cuts a reader that does not read', async () => {
  const srv = await droppingEchoServer();
  try {
    const run = await runScenarioCli(['slow-reader', '--target', `127.0.0.1:${srv.port}`, '--clients', '20', '--duration', '2', '--gate']);
    assertCaught(run, 'clientErrors.slowReader.cutByServer > 0');
  } finally {
    await srv.close();
  }
});
