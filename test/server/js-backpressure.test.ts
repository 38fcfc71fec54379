/**
 * js mode under a flood: a JavaScript handler slower than the network must not grow the server's
 * event queue without bound. The server runs in a child process (test/support/js-server-child.ts);
 * the test floods it, samples its RSS from /proc, and reads handlerWaits from its final stats.
 * Without the binding's backpressure the same flood (up to FLOOD_CAP bytes) would all be read and
 * queued for the slow handler: RSS would grow by about FLOOD_CAP, far past RSS_GROWTH_MAX.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { readRssKiB } from '../../stress/run/rss';
import type { ServerStats } from '../../server/types';
import { addonMissing } from '../support/cli';
import { encodePacket, TestClient } from './helpers';

const opts = { skip: addonMissing() || (process.platform !== 'linux' ? 'reads RSS from /proc' : false), timeout: 120_000 };
const CHILD = path.join(__dirname, '..', 'support', 'js-server-child.js');
const FLOOD_SOCKETS = 4;
const FLOOD_MS = 3000;
const FLOOD_CAP = 256 << 20;
const RSS_GROWTH_MAX_KIB = 96 * 1024;

interface Child {
  proc: ChildProcess;
  port: number;
  final(): Promise<ServerStats>;
}

async function startChild(handlerUs: number): Promise<Child> {
  const proc = spawn(process.execPath, [CHILD, String(handlerUs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      out = out.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const line = (event: string, timeoutMs: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} line within ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        const found = lines.find((l) => l.event === event);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  const listening = await line('listening', 15_000);
  return {
    proc,
    port: listening.port as number,
    final: async () => {
      proc.kill('SIGTERM');
      return (await line('final', 60_000)).stats as ServerStats;
    },
  };
}

/** FLOOD_SOCKETS connections writing 1 KiB packets as fast as the kernel takes them, reading nothing back that matters. */
async function flood(port: number, onTick: () => void): Promise<number> {
  const packet = encodePacket(Buffer.alloc(1024, 0x5a));
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => packet));
  let written = 0;
  const deadline = Date.now() + FLOOD_MS;
  const sockets = await Promise.all(
    Array.from({ length: FLOOD_SOCKETS }, () => new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    })),
  );
  const ticker = setInterval(onTick, 50);
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.on('data', () => {});
          s.on('error', () => resolve());
          const pump = (): void => {
            while (Date.now() < deadline && written < FLOOD_CAP) {
              written += chunk.length;
              if (!s.write(chunk)) return void s.once('drain', pump);
            }
            resolve();
          };
          pump();
          // A socket the server stopped reading never drains: the deadline ends its pump too.
          setTimeout(resolve, FLOOD_MS + 100);
        }),
    ),
  );
  clearInterval(ticker);
  for (const s of sockets) s.destroy();
  return written;
}

test('a slow JavaScript handler under a flood: the server stops receiving (handlerWaits > 0) and its memory stays bounded', opts, async (t) => {
  const child = await startChild(2000);
  t.after(() => child.proc.kill('SIGKILL'));
  const base = readRssKiB(child.proc.pid!) ?? 0;
  let peak = base;
  const written = await flood(child.port, () => {
    peak = Math.max(peak, readRssKiB(child.proc.pid!) ?? 0);
  });
  t.diagnostic(`flood offered ${written >> 20} MiB, server RSS +${Math.round((peak - base) / 1024)} MiB at its peak`);
  assert.ok(peak - base < RSS_GROWTH_MAX_KIB, `RSS grew ${Math.round((peak - base) / 1024)} MiB (flood offered ${written >> 20} MiB)`);
  const stats = await child.final();
  t.diagnostic(`server read ${stats.recvPackets} packets, handlerWaits ${stats.handlerWaits}`);
  assert.ok(stats.handlerWaits !== undefined && stats.handlerWaits > 0, `handlerWaits ${stats.handlerWaits}`);
  assert.ok(stats.recvPackets > 0 && stats.recvPackets < written / 1026, 'the server read part of the flood, not all of it');
  assert.equal(stats.sessions, 0);
  assert.deepEqual(Object.entries(stats.anomalies).filter(([, n]) => n > 0), [], 'workers held back by the handler trip no detector');
});

test('a handler that keeps up never makes the server wait (handlerWaits 0)', opts, async (t) => {
  const child = await startChild(0);
  t.after(() => child.proc.kill('SIGKILL'));
  const clients = await Promise.all(Array.from({ length: 8 }, () => TestClient.connect(child.port)));
  for (let round = 1; round <= 200; round++) {
    for (const c of clients) c.send(Buffer.from(`packet ${round}`));
    await Promise.all(clients.map((c) => c.waitPackets(round)));
  }
  for (const c of clients) c.destroy();
  const stats = await child.final();
  assert.equal(stats.recvPackets, 1600);
  assert.equal(stats.handlerWaits, 0);
});
