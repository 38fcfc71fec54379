/**
 * Behaviour every way of running the native server must share. Each test starts its own
 * server (addon in-process, or the standalone executable as a child) on a free loopback port.
 */
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { ServerOptions } from '../../server/types';
import {
  TestClient,
  anomalies,
  closeAll,
  disconnectTotal,
  echoMismatches,
  encodePacket,
  randomBytes,
  rng,
  skipReason,
  sleep,
  startTarget,
  waitQuiet,
  waitUntil,
} from './helpers';
import type { ServerTarget, TargetKind } from './helpers';
import { ipv6LoopbackMissing } from '../support/ipv6';

const TEST_TIMEOUT = 60_000;

export function defineServerSuite(kind: TargetKind): void {
  const skip = skipReason(kind);
  const start = async (t: TestContext, options: Partial<ServerOptions> = {}): Promise<ServerTarget> => {
    const target = await startTarget(kind, options);
    t.after(() => target.dispose());
    return target;
  };
  const opts = { skip, timeout: TEST_TIMEOUT };

  describe(`native LanServer (${kind})`, () => {
    test('echoes many packets of random sizes byte for byte, in order', opts, async (t) => {
      const target = await start(t);
      const next = rng(0xec40);
      const clients = await Promise.all(Array.from({ length: 4 }, () => TestClient.connect(target.info.port)));
      const sent = clients.map(() => [] as Buffer[]);
      for (let i = 0; i < 200; i++) {
        clients.forEach((c, k) => {
          const payload = randomBytes(next, Math.floor(next() * 8193));
          sent[k].push(payload);
          c.send(payload);
        });
      }
      for (const [k, c] of clients.entries()) {
        await c.waitPackets(200);
        assert.deepEqual(echoMismatches(sent[k], c.packets), [], `connection ${k}`);
      }
      const totalBytes = sent.flat().reduce((s, p) => s + p.length + 2, 0);
      closeAll(clients);
      const stats = await waitQuiet(target, 4);
      assert.equal(stats.recvPackets, 800);
      assert.equal(stats.sendPackets, 800);
      assert.equal(stats.recvBytes, totalBytes, 'recvBytes counts headers and payloads');
      assert.equal(stats.sendBytes, totalBytes);
      assert.equal(anomalies(stats), 0);
    });

    test('reassembles packets written one byte at a time', opts, async (t) => {
      const target = await start(t);
      const client = await TestClient.connect(target.info.port);
      const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from([0, 1, 2, 255]), randomBytes(rng(7), 300)];
      const wire = Buffer.concat(payloads.map(encodePacket));
      for (const byte of wire) {
        client.socket.write(Buffer.of(byte));
        // A pause between bytes so the server really receives them in separate reads.
        await sleep(1);
      }
      const got = await client.waitPackets(payloads.length);
      got.forEach((p, i) => assert.ok(p.equals(payloads[i]), `packet ${i}`));
      client.destroy();
      assert.equal(anomalies(await waitQuiet(target, 1)), 0);
    });

    test('splits many packets coalesced in one write', opts, async (t) => {
      const target = await start(t);
      const client = await TestClient.connect(target.info.port);
      const next = rng(99);
      const payloads = Array.from({ length: 500 }, () => randomBytes(next, Math.floor(next() * 64)));
      client.socket.write(Buffer.concat(payloads.map(encodePacket)));
      const got = await client.waitPackets(500);
      got.forEach((p, i) => assert.ok(p.equals(payloads[i]), `packet ${i}`));
      client.destroy();
      const stats = await waitQuiet(target, 1);
      assert.equal(stats.recvPackets, 500);
    });

    test('echoes L = 0 packets', opts, async (t) => {
      const target = await start(t);
      const client = await TestClient.connect(target.info.port);
      for (let i = 0; i < 10; i++) client.send(Buffer.alloc(0));
      client.send(Buffer.from('x'));
      const got = await client.waitPackets(11);
      assert.deepEqual(got.map((p) => p.length), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
      assert.deepEqual(client.chunks.reduce((s, c) => s + c.length, 0), 10 * 2 + 3);
      client.destroy();
      await waitQuiet(target, 1);
    });

    test('an oversize header disconnects only that session (reason protocol)', opts, async (t) => {
      const target = await start(t, { maxPayload: 100 });
      const good = await TestClient.connect(target.info.port);
      const bad = await TestClient.connect(target.info.port);
      good.send(Buffer.alloc(100, 1));
      await good.waitPackets(1);

      const header = Buffer.alloc(2);
      header.writeUInt16LE(101);
      bad.socket.write(Buffer.concat([encodePacket(Buffer.from('ok')), header, Buffer.alloc(10)]));
      await bad.waitClosed();
      assert.equal(bad.packets.length, 1, 'the valid packet before the violation was echoed before the close');

      good.send(Buffer.from('still here'));
      const got = await good.waitPackets(2);
      assert.equal(got[1].toString(), 'still here');
      assert.equal(good.closed, false);

      const stats = await waitUntil(() => target.stats(), (s) => s.sessions === 1, 'one live session');
      assert.equal(stats.disconnects.protocol, 1);
      good.destroy();
      const quiet = await waitQuiet(target, 2);
      assert.equal(quiet.disconnects.protocol, 1);
      assert.equal(anomalies(quiet), 0);
    });

    test('raw framing echoes bytes as they arrive, headers and all', opts, async (t) => {
      const target = await start(t, { framing: 'raw', maxPayload: 10 });
      const client = await TestClient.connect(target.info.port);
      const bytes = Buffer.concat([Buffer.from([0xff, 0xff]), randomBytes(rng(3), 5000)]);
      client.socket.write(bytes);
      const got = await client.waitBytes(bytes.length);
      assert.ok(got.equals(bytes));
      client.destroy();
      await waitQuiet(target, 1);
    });

    // Frames written out by hand per framing (not with the fleet's encoder): [length][extra bytes][payload].
    const framed: Array<{ framing: string; frames: Buffer[]; violation: Buffer }> = [
      {
        // {u16 LE size including the 4-byte header, u16 id}: the ids must come back as sent.
        framing: 'servercore',
        frames: [Buffer.from([6, 0, 0x34, 0x12, 0x68, 0x69]), Buffer.from([4, 0, 0xff, 0xee])],
        violation: Buffer.from([3, 0, 0, 0]),
      },
      { framing: 'len:4:be', frames: [Buffer.from([0, 0, 0, 3, 1, 2, 3]), Buffer.from([0, 0, 0, 0])], violation: Buffer.from([0, 0, 0, 11]) },
      { framing: 'len:1:le:incl:hdr3', frames: [Buffer.from([6, 9, 8, 7, 0x61, 0x62]), Buffer.from([4, 1, 2, 3])], violation: Buffer.from([15]) },
    ];
    for (const { framing, frames, violation } of framed) {
      test(`--framing ${framing} echoes each frame byte for byte, extra header bytes included; a bad length is a violation`, opts, async (t) => {
        const target = await start(t, { framing, maxPayload: 10 });
        const client = await TestClient.connect(target.info.port);
        const wire = Buffer.concat([...frames, ...frames]);
        // Byte by byte, then whole: reassembly across reads.
        for (const b of wire.subarray(0, wire.length / 2)) client.socket.write(Buffer.from([b]));
        client.socket.write(wire.subarray(wire.length / 2));
        assert.ok((await client.waitBytes(wire.length)).equals(wire));
        client.socket.write(violation);
        await client.waitClosed();
        const quiet = await waitQuiet(target, 1);
        assert.equal(quiet.disconnects.protocol, 1);
      });
    }

    test('maxSessions + 10 connections: 10 rejected as full', opts, async (t) => {
      const target = await start(t, { maxSessions: 20 });
      const clients: TestClient[] = [];
      for (let i = 0; i < 30; i++) clients.push(await TestClient.attempt(target.info.port));
      const stats = await waitUntil(() => target.stats(), (s) => s.rejected.full >= 10 && s.sessions >= 20, '10 rejected, 20 live');
      assert.equal(stats.rejected.full, 10);
      assert.equal(stats.sessions, 20);
      assert.equal(stats.peakSessions, 20);
      await waitUntil(() => clients.filter((c) => c.closed).length, (n) => n >= 10, 'the 10 rejected sockets to close');
      const open = clients.filter((c) => !c.closed);
      assert.equal(open.length, 20);
      open[0].send(Buffer.from('served'));
      assert.equal((await open[0].waitPackets(1))[0].toString(), 'served');
      closeAll(clients);
      const quiet = await waitQuiet(target, 20);
      assert.equal(quiet.rejected.full, 10);
      assert.equal(quiet.rejected.denied, 0);
      assert.equal(anomalies(quiet), 0);
    });

    test('a --deny CIDR covering 127.0.0.1 rejects (denied)', opts, async (t) => {
      const target = await start(t, { deny: ['127.0.0.0/8'] });
      const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.attempt(target.info.port)));
      await Promise.all(clients.map((c) => c.waitClosed()));
      const stats = await waitUntil(() => target.stats(), (s) => s.rejected.denied >= 5, '5 denied');
      assert.equal(stats.rejected.denied, 5);
      assert.equal(stats.accepted, 0);
      assert.equal(stats.sessions, 0);
    });

    test('an --allow list without 127.0.0.1 rejects it (denied); one with it serves', opts, async (t) => {
      const closedTarget = await start(t, { allow: ['10.0.0.0/8'] });
      const refused = await TestClient.attempt(closedTarget.info.port);
      await refused.waitClosed();
      const stats = await waitUntil(() => closedTarget.stats(), (s) => s.rejected.denied >= 1, '1 denied');
      assert.equal(stats.accepted, 0);

      const openTarget = await start(t, { allow: ['10.0.0.0/8', '127.0.0.1/32'] });
      const served = await TestClient.connect(openTarget.info.port);
      served.send(Buffer.from('in'));
      assert.equal((await served.waitPackets(1))[0].toString(), 'in');
      served.destroy();
      await waitQuiet(openTarget, 1);
    });

    test('IPv6 loopback: listens on ::1, echoes, and the access lists read IPv6 (an IPv4 list never matches ::1)', opts, async (t) => {
      const missing = await ipv6LoopbackMissing();
      if (missing !== null) return t.skip(missing);
      const v6 = await start(t, { host: '::1' });
      assert.equal(v6.info.host, '::1');
      const c = await TestClient.connect(v6.info.port, '::1');
      c.send(Buffer.from('six'));
      assert.equal((await c.waitPackets(1))[0].toString(), 'six');
      c.destroy();
      await waitQuiet(v6, 1);

      const denied = await start(t, { host: '::1', deny: ['::1/128'] });
      await (await TestClient.attempt(denied.info.port, '::1')).waitClosed();
      const deniedStats = await waitUntil(() => denied.stats(), (s) => s.rejected.denied >= 1, '::1 denied');
      assert.equal(deniedStats.accepted, 0);

      const v4Only = await start(t, { host: '::1', allow: ['127.0.0.0/8'] });
      await (await TestClient.attempt(v4Only.info.port, '::1')).waitClosed();
      const v4Stats = await waitUntil(() => v4Only.stats(), (s) => s.rejected.denied >= 1, '::1 outside 127.0.0.0/8');
      assert.equal(v4Stats.accepted, 0);

      const allowed = await start(t, { host: '::1', allow: ['127.0.0.0/8', '::1'] });
      const served = await TestClient.connect(allowed.info.port, '::1');
      served.send(Buffer.from('in'));
      assert.equal((await served.waitPackets(1))[0].toString(), 'in');
      served.destroy();
      await waitQuiet(allowed, 1);
    });

    test('300 connections closed at random moments (FIN or RST, some mid-I/O) are all released once', opts, async (t) => {
      const target = await start(t);
      const next = rng(300);
      const closers: Array<Promise<void>> = [];
      for (let batch = 0; batch < 6; batch++) {
        const clients = await Promise.all(Array.from({ length: 50 }, () => TestClient.connect(target.info.port)));
        for (const [i, c] of clients.entries()) {
          const useRst = i % 2 === 0;
          const packets = Math.floor(next() * 20);
          const delay = Math.floor(next() * 30);
          const partial = next() < 0.2;
          closers.push(
            (async () => {
              for (let p = 0; p < packets; p++) c.send(randomBytes(next, Math.floor(next() * 2000)));
              // Some close with half a packet on the wire, so the server holds a partial frame.
              if (partial) c.socket.write(Buffer.from([0x10, 0x00, 1, 2, 3]));
              if (delay > 0) await sleep(delay);
              if (useRst) c.socket.resetAndDestroy();
              else c.socket.end();
            })(),
          );
        }
      }
      await Promise.all(closers);
      const stats = await waitQuiet(target, 300);
      assert.equal(stats.released, 300);
      assert.equal(stats.sessions, 0);
      assert.equal(disconnectTotal(stats), 300, `one reason per release: ${JSON.stringify(stats.disconnects)}`);
      assert.equal(anomalies(stats), 0, JSON.stringify(stats.anomalies));
      assert.equal(stats.disconnectingSessions, 0);
      assert.equal(stats.pendingIoSessions, 0);
    });

    test('a slow reader past sendQueueLimit is disconnected (sendQueueFull), others unaffected', opts, async (t) => {
      const target = await start(t, { sendQueueLimit: 64 * 1024, maxPayload: 8192 });
      const slow = await TestClient.connect(target.info.port);
      const other = await TestClient.connect(target.info.port);
      slow.socket.pause();
      const chunk = Buffer.concat(Array.from({ length: 64 }, () => encodePacket(Buffer.alloc(8192, 7))));
      // Bounded: at most 64 MiB offered; the server must give up long before.
      for (let i = 0; i < 128 && !slow.closed && slow.errorCode === undefined; i++) {
        if (!slow.socket.write(chunk)) {
          await Promise.race([new Promise((r) => slow.socket.once('drain', r)), sleep(200)]);
        }
        const s = await target.stats();
        if (s.disconnects.sendQueueFull > 0) break;
      }
      const stats = await waitUntil(() => target.stats(), (s) => s.disconnects.sendQueueFull === 1, 'sendQueueFull == 1');
      assert.equal(stats.disconnects.sendQueueFull, 1);
      other.send(Buffer.from('fine'));
      assert.equal((await other.waitPackets(1))[0].toString(), 'fine');
      slow.destroy();
      other.destroy();
      assert.equal(anomalies(await waitQuiet(target, 2)), 0);
    });

    test('kick = 1 makes the server kick every session (kicked)', opts, async (t) => {
      const target = await start(t, { kick: 1, seed: 1 });
      const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.attempt(target.info.port)));
      // The kick may come at accept or at the first packet: send one where the socket is still open.
      for (const c of clients) if (!c.closed) c.socket.write(encodePacket(Buffer.from('kick me')));
      await Promise.all(clients.map((c) => c.waitClosed()));
      const stats = await waitQuiet(target, 5);
      assert.equal(stats.disconnects.kicked, 5, JSON.stringify(stats.disconnects));
      assert.equal(anomalies(stats), 0);
    });

    test('broadcast mode delivers a packet to every session of the room', opts, async (t) => {
      const target = await start(t, { mode: 'broadcast' });
      const clients: TestClient[] = [];
      for (let i = 0; i < 5; i++) clients.push(await TestClient.connect(target.info.port));
      await waitUntil(() => target.stats(), (s) => s.sessions === 5, '5 sessions');
      clients[2].send(Buffer.from('to everyone'));
      for (const c of clients) assert.equal((await c.waitPackets(1))[0].toString(), 'to everyone');
      await sleep(50);
      assert.deepEqual(clients.map((c) => c.packets.length), [1, 1, 1, 1, 1], 'exactly one copy each');
      closeAll(clients);
      const stats = await waitQuiet(target, 5);
      assert.equal(stats.sendPackets, 5);
      assert.equal(anomalies(stats), 0);
    });

    test('broadcast with --room 3 reaches the 3 sessions of the sender\'s room only', opts, async (t) => {
      const target = await start(t, { mode: 'broadcast', room: 3 });
      const clients: TestClient[] = [];
      for (let i = 0; i < 6; i++) {
        clients.push(await TestClient.connect(target.info.port));
        await waitUntil(() => target.stats(), (s) => s.sessions === i + 1, `${i + 1} sessions`);
      }
      clients[0].send(Buffer.from('room'));
      await clients[0].waitPackets(1);
      await waitUntil(() => target.stats(), (s) => s.sendPackets >= 3, '3 packets sent');
      await sleep(100);
      const receivers = clients.filter((c) => c.packets.length === 1).length;
      assert.equal(receivers, 3, `per-client packets: ${clients.map((c) => c.packets.length).join(',')}`);
      closeAll(clients);
      await waitQuiet(target, 6);
    });

    test('broadcast under churn: sends race releases without anomalies', opts, async (t) => {
      const target = await start(t, { mode: 'broadcast' });
      const next = rng(4242);
      const clients = await Promise.all(Array.from({ length: 40 }, () => TestClient.connect(target.info.port)));
      for (let round = 0; round < 10; round++) {
        for (const c of clients) if (!c.closed) c.send(randomBytes(next, 32));
        const victim = clients[round * 4];
        if (round % 2 === 0) victim.socket.resetAndDestroy();
        else victim.socket.end();
      }
      await sleep(50);
      closeAll(clients);
      const stats = await waitQuiet(target, 40);
      assert.equal(anomalies(stats), 0, JSON.stringify(stats.anomalies));
    });

    test('stop() with live sessions releases every one and returns', opts, async (t) => {
      const target = await start(t);
      const clients = await Promise.all(Array.from({ length: 50 }, () => TestClient.connect(target.info.port)));
      await waitUntil(() => target.stats(), (s) => s.sessions === 50, '50 sessions');
      for (const c of clients.slice(0, 25)) for (let i = 0; i < 20; i++) c.send(Buffer.alloc(1000, i));
      const final = await target.stop();
      assert.equal(final.sessions, 0);
      assert.equal(final.accepted, 50);
      assert.equal(final.released, 50);
      assert.equal(final.disconnects.stopping + final.disconnects.peerClosed + final.disconnects.peerReset + final.disconnects.ioError, 50);
      assert.ok(final.disconnects.stopping > 0, 'stop() disconnected sessions itself');
      assert.equal(anomalies(final), 0);
      await Promise.all(clients.map((c) => c.waitClosed()));
      await assert.rejects(
        new Promise((resolve, reject) => {
          const s = net.connect({ host: target.info.host, port: target.info.port });
          s.once('connect', () => {
            s.destroy();
            resolve(undefined);
          });
          s.once('error', reject);
        }),
        { code: 'ECONNREFUSED' },
      );
    });

    test('stop() twice is fine', opts, async (t) => {
      const target = await start(t);
      const client = await TestClient.connect(target.info.port);
      await waitUntil(() => target.stats(), (s) => s.sessions === 1, '1 session');
      const [a, b] = await Promise.all([target.stop(), target.stop()]);
      const c = await target.stop();
      assert.deepEqual(a, b);
      assert.deepEqual(a, c);
      assert.equal(a.released, 1);
      await client.waitClosed();
    });
  });
}
