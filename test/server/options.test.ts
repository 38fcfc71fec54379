import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServerOptions, OPTION_FLAGS, parseCidr, resolveServerOptions, SERVER_FLAGS } from '../../server/options';
import { isLoopbackHost } from '../../server/loopback';
import type { ServerOptions } from '../../server/types';

const DEFAULTS: ServerOptions = { ...defaultServerOptions(), workers: 2, seed: 1 };

test('defaults match docs/server.md', () => {
  const d = defaultServerOptions();
  assert.equal(d.host, '127.0.0.1');
  assert.equal(d.port, 0);
  assert.ok(d.workers >= 1);
  assert.equal(d.maxSessions, 10000);
  assert.equal(d.maxPayload, 8192);
  assert.equal(d.sendQueueLimit, 1024 * 1024);
  assert.equal(d.backlog, 4096);
  assert.deepEqual([d.backend, d.mode, d.framing], ['auto', 'echo', 'lan']);
  assert.deepEqual([d.allow, d.deny, d.room, d.kick, d.echoDelayUs], [[], [], 0, 0, 0]);
  assert.deepEqual([d.sendBuffer, d.probes], [0, false]);
  assert.ok(Number.isInteger(d.seed) && d.seed >= 0);
});

test('empty input resolves to the defaults', () => {
  const r = resolveServerOptions({}, DEFAULTS);
  assert.equal(r.ok, true);
  assert.deepEqual(r.ok && r.options, DEFAULTS);
});

test('command-line text is parsed into numbers', () => {
  const r = resolveServerOptions({ port: '9000', workers: '4', kick: '0.25', maxPayload: '65535', allow: '127.0.0.1' }, DEFAULTS);
  assert.ok(r.ok, JSON.stringify(r.problems));
  assert.equal(r.options.port, 9000);
  assert.equal(r.options.workers, 4);
  assert.equal(r.options.kick, 0.25);
  assert.equal(r.options.maxPayload, 65535);
  assert.deepEqual(r.options.allow, ['127.0.0.1/32']);
});

test('--send-buffer and --probes as a command line gives them', () => {
  const r = resolveServerOptions({ sendBuffer: '4096', probes: 'true' }, DEFAULTS);
  assert.ok(r.ok, JSON.stringify(r.problems));
  assert.deepEqual([r.options.sendBuffer, r.options.probes], [4096, true]);
  assert.deepEqual(resolveServerOptions({ probes: 'maybe' }, DEFAULTS).problems, ['--probes must be true or false, got maybe']);
});

test('--uring-buffers is 0 (plain recv) or a power of two from 8 to 32768', () => {
  for (const ok of [0, 8, 16, 1024, 32768]) assert.deepEqual(resolveServerOptions({ uringBuffers: ok }, DEFAULTS).problems, [], String(ok));
  assert.equal(DEFAULTS.uringBuffers, 1024);
  assert.deepEqual(resolveServerOptions({ uringBuffers: '12' }, DEFAULTS).problems, [
    '--uring-buffers must be 0 (plain recv) or a power of two from 8 to 32768, got 12',
  ]);
  assert.deepEqual(resolveServerOptions({ uringBuffers: 4 }, DEFAULTS).problems.length, 1);
  assert.deepEqual(resolveServerOptions({ uringBuffers: 65536 }, DEFAULTS).problems, ['--uring-buffers must be an integer from 0 to 32768, got 65536']);
});

test('the message names the flag, the range and the value given', () => {
  const r = resolveServerOptions({ maxPayload: 70000 }, DEFAULTS);
  assert.deepEqual(r.problems, ['--max-payload must be an integer from 0 to 65535, got 70000']);
});

test('every problem is reported at once', () => {
  const r = resolveServerOptions(
    {
      host: '10.1.2.3',
      port: 'abc',
      workers: 0,
      maxSessions: 1.5,
      maxPayload: -1,
      sendQueueLimit: 'lots',
      backlog: 0,
      backend: 'kqueue',
      mode: 'loud',
      framing: 'json',
      allow: ['127.0.0.0/33'],
      deny: ['nonsense'],
      room: -2,
      kick: 2,
      echoDelayUs: 'slow',
      seed: -1,
      sendBuffer: 16 * 1024 * 1024 + 1,
      probes: 'sometimes',
    },
    DEFAULTS,
  );
  assert.equal(r.ok, false);
  const flags = [
    '--host', '--port', '--workers', '--max-sessions', '--max-payload', '--send-queue-limit', '--backlog', '--backend',
    '--mode', '--framing', '--allow', '--deny', '--room', '--kick', '--echo-delay-us', '--seed', '--send-buffer', '--probes',
  ];
  for (const flag of flags) {
    assert.ok(r.problems.some((p) => p.startsWith(flag + ' ')), `a problem names ${flag}: ${r.problems.join(' | ')}`);
  }
  assert.equal(r.problems.length, flags.length);
  assert.ok(r.problems.includes('--port must be an integer from 0 to 65535, got abc'));
});

test('only loopback hosts are served', () => {
  for (const ok of ['127.0.0.1', '127.1.2.3']) {
    assert.equal(resolveServerOptions({ host: ok }, DEFAULTS).ok, true, ok);
  }
  for (const bad of ['0.0.0.0', '192.168.1.1', '::', '::2', '::ffff:8.8.8.8', '1::1', 'localhost', '', 'example.com']) {
    const r = resolveServerOptions({ host: bad }, DEFAULTS);
    assert.equal(r.ok, false, bad);
    assert.match(r.problems[0], /^--host must be a loopback/);
  }
  assert.match(resolveServerOptions({ host: '8.8.8.8' }, DEFAULTS).problems[0], /this tool only serves loopback/);
});

test('::1 in any spelling is served: the native server binds IPv6 loopback too', () => {
  for (const v6 of ['::1', '0:0:0:0:0:0:0:1', '0000::0001']) {
    assert.equal(resolveServerOptions({ host: v6 }, DEFAULTS).ok, true, v6);
  }
});

test('stress server --help offers what the check accepts: 127.0.0.0/8 and ::1', () => {
  const host = SERVER_FLAGS.find((f) => f.name === 'host');
  assert.ok(host !== undefined);
  assert.match(host.describe, /127\.0\.0\.0\/8 or ::1/);
});

test('the flag table names every option, with the ranges the checks use', () => {
  assert.deepEqual(Object.keys(OPTION_FLAGS).sort(), Object.keys(DEFAULTS).sort());
  assert.deepEqual(resolveServerOptions({ workers: 257 }, DEFAULTS).problems, ['--workers must be an integer from 1 to 256, got 257']);
});

test('isLoopbackHost reads IPv6 in every spelling', () => {
  assert.equal(isLoopbackHost('::0:1'), true);
  assert.equal(isLoopbackHost('::ffff:127.0.0.1'), false, 'an IPv4-mapped address is not ::1');
  assert.equal(isLoopbackHost('::1:0'), false);
});

test('CIDR syntax', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { cidr: '10.0.0.0/8' });
  assert.deepEqual(parseCidr('127.0.0.1'), { cidr: '127.0.0.1/32' });
  assert.deepEqual(parseCidr('::1'), { cidr: '::1/128' });
  assert.deepEqual(parseCidr('fe80::/10'), { cidr: 'fe80::/10' });
  for (const bad of ['10.0.0.0/33', '10.0.0/8', '::1/129', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/8/8', 'host/8', '']) {
    assert.ok('error' in parseCidr(bad), bad);
  }
});

test('a send queue too small for one packet, its framing header included, is refused', () => {
  const r = resolveServerOptions({ sendQueueLimit: 100, maxPayload: 200 }, DEFAULTS);
  assert.deepEqual(r.problems, ['--send-queue-limit must be at least --max-payload + 2 (202, the --framing lan header included), got 100']);
  // servercore's header is 4 bytes, len:4:be:hdr3's 7: a queue that holds a lan packet holds neither.
  const servercore = resolveServerOptions({ sendQueueLimit: 202, maxPayload: 200, framing: 'servercore' }, DEFAULTS);
  assert.deepEqual(servercore.problems, ['--send-queue-limit must be at least --max-payload + 4 (204, the --framing servercore header included), got 202']);
  assert.deepEqual(resolveServerOptions({ sendQueueLimit: 206, maxPayload: 200, framing: 'len:4:be:hdr3' }, DEFAULTS).problems.length, 1);
  assert.deepEqual(resolveServerOptions({ sendQueueLimit: 207, maxPayload: 200, framing: 'len:4:be:hdr3' }, DEFAULTS).problems, []);
  // A raw stream has no header: the payload alone must fit.
  assert.deepEqual(resolveServerOptions({ sendQueueLimit: 200, maxPayload: 200, framing: 'raw' }, DEFAULTS).problems, []);
});

test('unknown keys and wrong types are reported', () => {
  const r = resolveServerOptions({ mode: 3, allow: [1], ...({ colour: 'red' } as object) }, DEFAULTS);
  assert.equal(r.problems.length, 3, r.problems.join(' | '));
  assert.ok(r.problems.some((p) => p.includes("unknown server option 'colour'")));
});

test('--zero-send-buffer (the seeds\' SO_SNDBUF = 0) is a switch, and refused beside a --send-buffer size', () => {
  const on = resolveServerOptions({ zeroSendBuffer: 'true' }, DEFAULTS);
  assert.ok(on.ok && on.options.zeroSendBuffer === true);
  const both = resolveServerOptions({ zeroSendBuffer: true, sendBuffer: 4096 }, DEFAULTS);
  assert.ok(!both.ok);
  assert.match(both.problems.join('\n'), /--zero-send-buffer .*--send-buffer/);
});
