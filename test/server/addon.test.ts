/** What only the in-process addon exposes: ids, hooks, js mode, argument checking, error codes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { loadAddon } from '../../server/addon';
import { LanServer } from '../../server/lan-server';
import type { JsHandler } from '../../server/lan-server';
import type { DisconnectReason, ServerOptions } from '../../server/types';
import { ipv6LoopbackMissing } from '../support/ipv6';
import { HOST, TestClient, anomalies, echoMismatches, rng, skipReason, sleep, startTarget, waitQuiet, waitUntil } from './helpers';

const opts = { skip: skipReason('addon'), timeout: 60_000 };
const SMALL: Partial<ServerOptions> = { host: HOST, port: 0, workers: 2, maxSessions: 100 };

describe('native LanServer (addon only)', () => {
  test('onAccept names an IPv6 peer as ::1 (the session keeps the address, its text made for the hook)', opts, async (t) => {
    const missing = await ipv6LoopbackMissing();
    if (missing !== null) return t.skip(missing);
    const peers: string[] = [];
    const server = new LanServer({ ...SMALL, host: '::1' }, { hooks: { onAccept: (_id, ip, port) => peers.push(`${ip} ${port}`) } });
    const { port } = server.start();
    t.after(() => server.stop());
    const c = await TestClient.connect(port, '::1');
    await waitUntil(() => peers.length, (n) => n === 1, 'onAccept');
    assert.equal(peers[0], `::1 ${c.socket.localPort}`);
    c.destroy();
  });

  test('hooks: onAccept then onRelease exactly once per session, with the reason', opts, async (t) => {
    const accepted: bigint[] = [];
    const released = new Map<bigint, DisconnectReason[]>();
    const server = new LanServer(SMALL, {
      hooks: {
        onAccept: (id, ip) => {
          assert.equal(ip, HOST);
          accepted.push(id);
        },
        onRelease: (id, reason) => released.set(id, [...(released.get(id) ?? []), reason]),
      },
    });
    const { port } = server.start();
    t.after(() => server.stop());
    const a = await TestClient.connect(port);
    const b = await TestClient.connect(port);
    await waitUntil(() => accepted.length, (n) => n === 2, '2 onAccept');
    assert.equal(typeof accepted[0], 'bigint');
    assert.notEqual(accepted[0], accepted[1]);
    a.socket.end();
    b.socket.resetAndDestroy();
    await waitUntil(() => released.size, (n) => n === 2, '2 onRelease');
    assert.deepEqual([...released.keys()].sort(), [...accepted].sort());
    assert.deepEqual([...released.values()].map((r) => r.length), [1, 1]);
    assert.deepEqual(new Set([...released.values()].flat()), new Set(['peerClosed', 'peerReset']));
  });

  test('sendPacket and disconnect on a stale id return false and count staleIdCalls', opts, async (t) => {
    const ids: bigint[] = [];
    const server = new LanServer({ ...SMALL, maxSessions: 1 }, { hooks: { onAccept: (id) => ids.push(id) } });
    const { port } = server.start();
    t.after(() => server.stop());
    const client = await TestClient.connect(port);
    await waitUntil(() => ids.length, (n) => n === 1, 'onAccept');
    const first = ids[0];
    assert.equal(server.sendPacket(first, Buffer.from('pushed')), true);
    assert.equal((await client.waitPackets(1))[0].toString(), 'pushed');
    client.destroy();
    await waitUntil(() => server.stats(), (s) => s.released === 1, 'release');
    assert.equal(server.sendPacket(first, Buffer.from('late')), false);
    assert.equal(server.disconnect(first), false);

    // maxSessions 1: the next session takes the same slot, but must get a new id.
    const second = await TestClient.connect(port);
    await waitUntil(() => ids.length, (n) => n === 2, 'second onAccept');
    assert.notEqual(ids[1], first);
    assert.equal(server.sendPacket(first, Buffer.from('still stale')), false);
    assert.equal(second.packets.length, 0);
    assert.equal(server.sendPacket(ids[1], Buffer.from('yours')), true);
    assert.equal((await second.waitPackets(1))[0].toString(), 'yours');
    second.destroy();

    const stats = await waitUntil(() => server.stats(), (s) => s.released === 2 && s.sessions === 0, 'both released');
    assert.equal(stats.staleIdCalls, 3);
    assert.equal(anomalies(stats), 0);
  });

  test('ids are never reused across many connect/close cycles', opts, async (t) => {
    const ids: bigint[] = [];
    const server = new LanServer({ ...SMALL, maxSessions: 4 }, { hooks: { onAccept: (id) => ids.push(id) } });
    const { port } = server.start();
    t.after(() => server.stop());
    for (let i = 0; i < 40; i++) {
      const c = await TestClient.connect(port);
      await waitUntil(() => ids.length, (n) => n === i + 1, `accept ${i + 1}`);
      c.destroy();
      await waitUntil(() => server.stats(), (s) => s.released === i + 1, `release ${i + 1}`);
    }
    assert.equal(new Set(ids).size, 40);
  });

  test('disconnect(id) kicks a live session (kicked) and returns true', opts, async (t) => {
    let id: bigint | undefined;
    const server = new LanServer(SMALL, { hooks: { onAccept: (accepted) => (id = accepted) } });
    const { port } = server.start();
    t.after(() => server.stop());
    const client = await TestClient.connect(port);
    await waitUntil(() => id, (v) => v !== undefined, 'onAccept');
    assert.equal(server.disconnect(id!), true);
    await client.waitClosed();
    const stats = await waitUntil(() => server.stats(), (s) => s.released === 1, 'release');
    assert.equal(stats.disconnects.kicked, 1);
    assert.equal(server.leaked(), 0);
  });

  test('js mode echoes through a TypeScript handler', opts, async (t) => {
    const seen: number[] = [];
    const server = new LanServer(
      { ...SMALL, mode: 'js' },
      {
        handler: (srv, id, payload) => {
          seen.push(payload.length);
          // Reversed, so the test proves this handler (not native echo) answered.
          srv.sendPacket(id, Buffer.from(payload).reverse());
        },
      },
    );
    const { port } = server.start();
    t.after(() => server.stop());
    const client = await TestClient.connect(port);
    client.send(Buffer.from('abc'));
    client.send(Buffer.alloc(0));
    client.send(Buffer.from('lanstress'));
    const got = await client.waitPackets(3);
    assert.deepEqual(got.map((p) => p.toString()), ['cba', '', 'ssertsnal']);
    assert.deepEqual(seen, [3, 0, 9]);
    client.destroy();
    const stats = await waitUntil(() => server.stats(), (s) => s.sessions === 0, 'release');
    assert.equal(stats.recvPackets, 3);
    assert.equal(stats.sendPackets, 3);
  });

  test('js mode without a handler echoes', opts, async (t) => {
    const target = await startTarget('addon', { mode: 'js' });
    t.after(() => target.dispose());
    const client = await TestClient.connect(target.info.port);
    client.send(Buffer.from('plain'));
    assert.equal((await client.waitPackets(1))[0].toString(), 'plain');
    client.destroy();
    await waitQuiet(target, 1);
  });

  test('js mode: sendPacket from JS races releases under churn; stale calls counted, no anomaly', opts, async (t) => {
    const live = new Set<bigint>();
    let calls = 0;
    let refused = 0;
    const server = new LanServer(
      { ...SMALL, mode: 'js', maxSessions: 500 },
      {
        hooks: { onAccept: (id) => live.add(id), onRelease: (id) => live.delete(id) },
        // Answers every session the JS side still believes alive: some are already released natively.
        handler: (srv, _id, payload) => {
          for (const other of live) {
            calls++;
            if (!srv.sendPacket(other, payload)) refused++;
          }
        },
      },
    );
    const { port } = server.start();
    t.after(() => server.stop());
    const next = rng(51);
    for (let round = 0; round < 5; round++) {
      const clients = await Promise.all(Array.from({ length: 30 }, () => TestClient.connect(port)));
      for (const c of clients) for (let i = 0; i < 5; i++) c.send(Buffer.alloc(Math.floor(next() * 100), round));
      await sleep(Math.floor(next() * 20));
      clients.forEach((c, i) => (i % 2 === 0 ? c.socket.resetAndDestroy() : c.socket.end()));
    }
    const stats = await waitUntil(() => server.stats(), (s) => s.sessions === 0 && s.released === 150, 'all released');
    assert.equal(stats.accepted, 150);
    assert.equal(anomalies(stats), 0, JSON.stringify(stats.anomalies));
    assert.ok(calls > 0);
    assert.ok(stats.staleIdCalls <= refused, 'every stale call was refused');
    assert.equal(server.sendPacket([...live][0] ?? 1n, Buffer.alloc(1)), false);
  });

  test('disconnect() from JS racing peer FIN/RST releases each session once', opts, async (t) => {
    const ids: bigint[] = [];
    const releases = new Map<bigint, number>();
    const server = new LanServer(
      { ...SMALL, maxSessions: 500 },
      { hooks: { onAccept: (id) => ids.push(id), onRelease: (id) => releases.set(id, (releases.get(id) ?? 0) + 1) } },
    );
    const { port } = server.start();
    t.after(() => server.stop());
    const clients = await Promise.all(Array.from({ length: 200 }, () => TestClient.connect(port)));
    await waitUntil(() => ids.length, (n) => n === 200, '200 accepts');
    for (const c of clients) c.send(Buffer.alloc(500, 9));
    clients.forEach((c, i) => {
      if (i % 3 === 0) c.socket.resetAndDestroy();
      else if (i % 3 === 1) c.socket.end();
    });
    for (const id of ids) server.disconnect(id);
    const stats = await waitUntil(() => server.stats(), (s) => s.released === 200 && s.sessions === 0, 'all released');
    await waitUntil(() => releases.size, (n) => n === 200, '200 onRelease');
    assert.ok([...releases.values()].every((n) => n === 1), 'onRelease exactly once each');
    assert.equal(anomalies(stats), 0);
    assert.ok(stats.disconnects.kicked > 0);
  });

  test('stop() during js-mode traffic returns and releases everything', opts, async () => {
    const server = new LanServer({ ...SMALL, mode: 'js' });
    const { port } = server.start();
    const clients = await Promise.all(Array.from({ length: 30 }, () => TestClient.connect(port)));
    for (const c of clients) for (let i = 0; i < 50; i++) c.send(Buffer.alloc(200, i));
    await waitUntil(() => server.stats(), (s) => s.recvPackets > 0, 'traffic');
    const final = server.stop();
    assert.equal(final.sessions, 0);
    assert.equal(final.released, 30);
    assert.equal(anomalies(final), 0);
    await Promise.all(clients.map((c) => c.waitClosed()));
  });

  test('payloads up to maxPayload 65535 echo intact; echoDelayUs still echoes', opts, async (t) => {
    const server = new LanServer({ ...SMALL, maxPayload: 65535, echoDelayUs: 200 });
    const { port } = server.start();
    t.after(() => server.stop());
    const client = await TestClient.connect(port);
    const big = [Buffer.alloc(65535, 1), Buffer.alloc(65534, 2), Buffer.alloc(1, 3)];
    for (const b of big) client.send(b);
    const got = await client.waitPackets(3);
    got.forEach((p, i) => assert.ok(p.equals(big[i]), `packet ${i}`));
  });

  test('the echo check fails against deliberately broken servers (js handlers that corrupt or drop)', opts, async (t) => {
    const broken: Array<[string, JsHandler]> = [
      ['corrupting', (srv, id, payload) => srv.sendPacket(id, payload.length > 0 ? Buffer.concat([payload.subarray(1), Buffer.of(payload[0] ^ 1)]) : payload)],
      ['dropping', (() => {
        let n = 0;
        return (srv: LanServer, id: bigint, payload: Buffer) => {
          if (++n % 10 !== 0) srv.sendPacket(id, payload);
        };
      })()],
    ];
    for (const [name, handler] of broken) {
      const server = new LanServer({ ...SMALL, mode: 'js' }, { handler });
      const { port } = server.start();
      t.after(() => server.stop());
      const client = await TestClient.connect(port);
      const sent = Array.from({ length: 30 }, (_, i) => Buffer.from(`packet number ${i}`));
      for (const p of sent) client.send(p);
      await waitUntil(() => server.stats(), (s) => s.recvPackets === 30, `${name}: 30 received`);
      await waitUntil(() => client.packets.length, (n) => n >= 27, `${name}: echoes`);
      await sleep(50);
      assert.notDeepEqual(echoMismatches(sent, client.packets), [], `${name} server must be caught`);
      client.destroy();
    }
  });

  test('TypeError on bad argument types', opts, () => {
    const { LanServer: Native } = loadAddon();
    const native = new Native();
    const good: ServerOptions = new LanServer(SMALL).options;
    assert.throws(() => native.start({ ...good, port: '80' } as unknown as ServerOptions), TypeError);
    assert.throws(() => native.start(undefined as unknown as ServerOptions), TypeError);
    assert.throws(() => native.sendPacket(1 as unknown as bigint, Buffer.alloc(1)), TypeError);
    assert.throws(() => native.sendPacket(1n, 'text' as unknown as Uint8Array), TypeError);
    assert.throws(() => native.disconnect('1' as unknown as bigint), TypeError);
    assert.throws(() => new Native({ onAccept: 42 } as unknown as never), TypeError);
  });

  test('Error with a string code: EADDRINUSE on a taken port', opts, async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const server = new LanServer({ ...SMALL, port });
    assert.throws(
      () => server.start(),
      (err: unknown) => err instanceof Error && (err as NodeJS.ErrnoException).code === 'EADDRINUSE',
    );
    assert.equal(server.running, false);
    server.stop();
  });

  test('a LanServer starts once; start after stop says so', opts, () => {
    const server = new LanServer(SMALL);
    server.start();
    assert.throws(() => server.start(), { code: 'ERR_SERVER_STATE' });
    server.stop();
    assert.throws(() => server.start(), { code: 'ERR_SERVER_STATE' });
  });

  test('stop() before start() and twice after returns the same stats', opts, () => {
    const never = new LanServer(SMALL);
    assert.equal(never.stop().accepted, 0);
    const server = new LanServer(SMALL);
    server.start();
    const a = server.stop();
    assert.equal(server.stop(), a);
    assert.equal(server.running, false);
  });

  test('bad options throw ServerOptionsError listing each one', () => {
    assert.throws(
      () => new LanServer({ host: '8.8.8.8', maxPayload: 70000, mode: 'loud' }),
      (err: unknown) => {
        const e = err as Error & { code: string; problems: string[] };
        assert.equal(e.code, 'ERR_SERVER_OPTIONS');
        assert.equal(e.problems.length, 3);
        return true;
      },
    );
  });

  test('uringBuffers reaches io_uring: a ring of 8 buffers and plain recv both echo a burst intact', opts, async (t) => {
    if (!loadAddon().availableBackends().includes('io_uring')) return t.skip('io_uring is not available on this kernel');
    // 64 packets of 1000 bytes in one write: more than 8 buffers' worth, so the small ring holds, cancels and runs dry.
    const payloads = Array.from({ length: 64 }, (_, i) => Buffer.alloc(1000, i));
    for (const uringBuffers of [8, 0]) {
      const server = new LanServer({ ...SMALL, backend: 'io_uring', uringBuffers });
      const info = server.start();
      t.after(() => server.stop());
      const client = await TestClient.connect(info.port);
      client.socket.cork();
      for (const p of payloads) client.send(p);
      client.socket.uncork();
      const got = await client.waitPackets(payloads.length);
      assert.deepEqual(got, payloads, `uringBuffers ${uringBuffers}`);
      client.destroy();
    }
  });

  test('backends: availableBackends lists epoll; each listed backend serves', opts, async (t) => {
    const available = loadAddon().availableBackends();
    assert.ok(available.includes('epoll'));
    for (const backend of available) {
      const server = new LanServer({ ...SMALL, backend });
      const info = server.start();
      t.after(() => server.stop());
      assert.equal(info.backend, backend);
      const client = await TestClient.connect(info.port);
      client.send(Buffer.from(backend));
      assert.equal((await client.waitPackets(1))[0].toString(), backend);
      client.destroy();
    }
    const auto = new LanServer(SMALL);
    assert.equal(auto.start().backend, available[0]);
    auto.stop();
  });
});
