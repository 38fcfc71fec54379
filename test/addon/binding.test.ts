/** The N-API surface itself (server/types.ts NativeAddon), without the TypeScript wrapper. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { addonPath, loadAddon } from '../../server/addon';
import type { DisconnectReason } from '../../server/types';
import { noAnomalies } from '../stress/fixtures';

const opts = { skip: fs.existsSync(addonPath()) ? undefined : 'addon not built (npm run build:native)', timeout: 30_000 };
const HOST = '127.0.0.1';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: HOST }, () => resolve(s));
    s.once('error', reject);
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('module exports LanServer, availableBackends, buildInfo', opts, () => {
  const addon = loadAddon();
  assert.equal(typeof addon.LanServer, 'function');
  const backends = addon.availableBackends();
  assert.ok(backends.includes('epoll'));
  for (const b of backends) assert.ok(['epoll', 'io_uring'].includes(b));
  const info = addon.buildInfo();
  assert.equal(info.buildType, 'Release');
  assert.match(info.flags, /c\+\+17/);
});

test('argument errors are TypeErrors naming the argument; native errors carry a code', opts, () => {
  const { LanServer } = loadAddon();
  const s = new LanServer();
  assert.throws(() => s.start(null as never), { name: 'TypeError', message: /options/ });
  assert.throws(() => s.start({ workers: 'two' } as never), { name: 'TypeError', message: /options\.workers/ });
  assert.throws(() => s.start({ allow: ['10.0.0.0/8', 5] } as never), { message: /options\.allow\[1\]/ });
  assert.throws(() => s.start({ maxPayload: 70000 } as never), { code: 'ERR_INVALID_ARG_VALUE', message: /maxPayload/ });
  assert.throws(() => s.sendPacket(1 as never, Buffer.alloc(0)), { name: 'TypeError', message: /id/ });
  assert.throws(() => s.sendPacket(1n, [1, 2] as never), { name: 'TypeError', message: /payload/ });
  assert.throws(() => s.disconnect(undefined as never), { name: 'TypeError', message: /id/ });
  assert.throws(() => new LanServer({ onRelease: 'x' } as never), { name: 'TypeError', message: /onRelease/ });
  const info = s.start({ port: 0, workers: 1 } as never);
  assert.throws(() => s.start({ port: 0 } as never), { code: 'EALREADY' });
  const other = new LanServer();
  assert.throws(() => other.start({ port: info.port } as never), { code: 'EADDRINUSE' });
  s.stop();
  assert.throws(() => s.start({ port: 0 } as never), { code: 'ESHUTDOWN' });
});

test('ids are bigints; every onAccept gets one onRelease, all delivered before stop() returns', opts, async () => {
  const { LanServer } = loadAddon();
  const accepted: bigint[] = [];
  const released = new Map<bigint, DisconnectReason[]>();
  const s = new LanServer({
    onAccept: (id) => accepted.push(id),
    onRelease: (id, reason) => released.set(id, [...(released.get(id) ?? []), reason]),
  });
  const { port } = s.start({ host: HOST, port: 0, workers: 2 } as never);
  const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(port)));
  await until(() => accepted.length === 5, '5 accepts');
  assert.ok(accepted.every((id) => typeof id === 'bigint' && id > 0n));
  assert.equal(s.sessionCount, 5);
  assert.equal(s.disconnect(accepted[0]), true);
  assert.equal(s.disconnect(accepted[0]), false, 'a second disconnect of a marked session');
  await until(() => released.size === 1, 'the kicked release');
  assert.equal(s.sendPacket(accepted[0], Buffer.from('late')), false);
  s.stop();
  s.stop();
  assert.equal(released.size, 5);
  assert.deepEqual([...released.values()].map((r) => r.length), [1, 1, 1, 1, 1]);
  assert.deepEqual(released.get(accepted[0]), ['kicked']);
  assert.equal([...released.values()].flat().filter((r) => r === 'stopping').length, 4);
  const st = s.stats();
  assert.equal(st.accepted - st.released - st.sessions, 0);
  // The late sendPacket is stale; the second disconnect is stale too when the release already happened.
  assert.ok(st.staleIdCalls === 1 || st.staleIdCalls === 2, `staleIdCalls ${st.staleIdCalls}`);
  assert.deepEqual(st.anomalies, noAnomalies());
  for (const sock of sockets) sock.destroy();
});

test('js mode: onRecv gets payloads in order; the handler answers with sendPacket', opts, async () => {
  const { LanServer } = loadAddon();
  const got: string[] = [];
  const s = new LanServer({
    onRecv: (id, payload) => {
      got.push(payload.toString());
      s.sendPacket(id, Buffer.concat([Buffer.from('re:'), payload]));
    },
  });
  const { port } = s.start({ host: HOST, port: 0, mode: 'js' } as never);
  const sock = await connect(port);
  let echoed = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => (echoed = Buffer.concat([echoed, d])));
  const frames = ['a', '', 'bcd'].map((p) => {
    const b = Buffer.alloc(2 + p.length);
    b.writeUInt16LE(p.length);
    b.write(p, 2);
    return b;
  });
  sock.write(Buffer.concat(frames));
  await until(() => echoed.length === 3 * 5 + 4, 'three answers');
  assert.deepEqual(got, ['a', '', 'bcd']);
  assert.equal(echoed.toString('latin1').replace(/[\x00-\x09]/g, ''), 're:are:re:bcd');
  s.stop();
  sock.destroy();
});
