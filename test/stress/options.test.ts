import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, optionsRecord, resolveRunOptions, type RawRunArgs, type Resolved } from '../../stress/run/options';
import { serverArgs } from '../../stress/run/orchestrate';

const env = { cores: 2, randomSeed: 42 };

function errorsOf(r: Resolved): string[] {
  assert.equal(r.ok, false, 'expected the options to be refused');
  return r.ok ? [] : r.errors;
}

function ok(raw: RawRunArgs, defaults = {}) {
  const r = resolveRunOptions(raw, defaults, env);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  return r.options;
}

test('defaults: closed loop, pipeline 1, embedded target, workers = cores, recorded seed', () => {
  const o = ok({});
  assert.equal(o.clients, 1000);
  assert.equal(o.durationSec, 10);
  assert.equal(o.pipeline, 1);
  assert.equal(o.rate, null);
  assert.deepEqual(o.target, { kind: 'embedded' });
  assert.equal(o.workers, 2);
  assert.equal(o.seed, 42);
  assert.deepEqual(o.payload, { min: 16, max: 16 });
});

test('flags override scenario defaults, which override built-ins', () => {
  const o = ok({ duration: '3' }, { durationSec: 30, chaos: 0.1 });
  assert.equal(o.durationSec, 3);
  assert.equal(o.chaos, 0.1);
});

test('a payload range and an open-loop rate are parsed', () => {
  const o = ok({ payload: '16-512', rate: '50' });
  assert.deepEqual(o.payload, { min: 16, max: 512 });
  assert.equal(o.rate, 50);
  assert.equal(o.pipeline, null);
});

test('each bad flag is named', () => {
  const cases: Array<[RawRunArgs, RegExp]> = [
    [{ clients: '0' }, /--clients "0"/],
    [{ clients: 'many' }, /--clients "many": must be a whole number/],
    [{ duration: '-1' }, /--duration/],
    [{ payload: '3-1' }, /--payload "3-1": range is reversed/],
    [{ payload: '8' }, /--payload "8": must be at least 16/],
    [{ payload: '16-9000' }, /--payload "16-9000": must be at most 8192/],
    [{ pipeline: '2', rate: '5' }, /--pipeline.*--rate.*cannot be used together/],
    [{ chaos: '1.5' }, /--chaos "1.5"/],
    [{ target: '10.0.0.1:80' }, /--target "10.0.0.1:80": 10\.0\.0\.1 is not loopback/],
    [{ target: 'example.com:80' }, /--target "example.com:80": example\.com is not loopback/],
    [{ target: '127.0.0.1:99999' }, /--target "127.0.0.1:99999": port/],
    [{ target: 'nonsense' }, /--target "nonsense"/],
    [{ backend: 'kqueue' }, /--backend "kqueue": must be auto, all, or one or a comma list of epoll, io_uring/],
    [{ mode: 'relay' }, /--mode "relay"/],
    [{ 'chaosActions': 'rstMidBurst,explode' }, /--chaos-actions/],
    [{ rampUp: '20', duration: '10' }, /--ramp-up "20": must be shorter than --duration/],
    [{ target: '127.0.0.1:9000', serverWorkers: '4' }, /--server-workers "4": configures the embedded server/],
    [{ serverSendBuffer: '-1' }, /--server-send-buffer "-1": must be between 0 and 16777216/],
    [{ serverSendBuffer: '20000000' }, /--server-send-buffer "20000000": must be between 0 and 16777216/],
    [{ target: '127.0.0.1:9000', serverProbes: true }, /--server-probes "true": configures the embedded server/],
  ];
  for (const [raw, pattern] of cases) {
    const errors = errorsOf(resolveRunOptions(raw, {}, env));
    assert.equal(errors.length, 1, `${JSON.stringify(raw)} -> ${errors.join('; ')}`);
    assert.match(errors[0]!, pattern);
  }
});

test('every bad option is reported at once', () => {
  const errors = errorsOf(resolveRunOptions({ clients: '0', duration: 'x', payload: '3-1', target: '10.0.0.1:80', workers: '0' }, {}, env));
  for (const flag of ['--clients', '--duration', '--payload', '--target', '--workers']) {
    assert.ok(errors.some((e) => e.startsWith(flag)), `${flag} missing from ${errors.join('; ')}`);
  }
  assert.equal(errors.length, 5);
});

test('payload max follows --max-payload', () => {
  assert.deepEqual(ok({ payload: '16-9000', maxPayload: '9000' }).payload, { min: 16, max: 9000 });
});

test('max-sessions leaves room for every client unless set on purpose', () => {
  assert.equal(ok({ clients: '20000' }).maxSessions, 20000);
  assert.equal(ok({ clients: '20000' }, { maxSessions: 100 }).maxSessions, 100);
  assert.equal(ok({ clients: '20000', maxSessions: '50' }).maxSessions, 50);
});

test('loopback hosts: 127.0.0.0/8, localhost, ::1 only', () => {
  for (const h of ['127.0.0.1', '127.255.3.4', 'localhost', '::1']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['10.0.0.1', '128.0.0.1', '127.0.0.256', '0.0.0.0', '::', 'example.com', '127.0.0.1.nip.io']) assert.ok(!isLoopbackHost(h), h);
  assert.deepEqual(ok({ target: '[::1]:8080' }).target, { kind: 'external', host: '::1', port: 8080 });
});

test('--server-send-buffer and --server-probes reach the embedded server and the report', () => {
  const plain = ok({});
  assert.deepEqual([plain.serverSendBuffer, plain.serverProbes], [0, false]);
  const o = ok({ serverSendBuffer: '4096', serverProbes: true });
  const rec = optionsRecord(o);
  assert.deepEqual([rec.serverSendBuffer, rec.serverProbes], [4096, true]);
  const args = serverArgs({ ...o, backend: 'epoll' });
  assert.equal(args[args.indexOf('--send-buffer') + 1], '4096');
  assert.ok(args.includes('--probes'));
  assert.ok(!serverArgs({ ...plain, backend: 'epoll' }).includes('--probes'));
});

test('the report view of the options is flat and complete', () => {
  const rec = optionsRecord(ok({ payload: '16-64', target: '127.0.0.2:7000', threshold: ['p99<20ms'] }));
  assert.equal(rec.payload, '16-64');
  assert.equal(rec.target, '127.0.0.2:7000');
  assert.deepEqual(rec.threshold, ['p99<20ms']);
  for (const v of Object.values(rec)) assert.ok(v === null || ['string', 'number', 'boolean'].includes(typeof v) || Array.isArray(v));
});

test('--mode broadcast checks broadcast traffic unless told otherwise', () => {
  assert.equal(ok({ mode: 'broadcast' }).traffic, 'broadcast');
  assert.equal(ok({ mode: 'broadcast', traffic: 'echo' }).traffic, 'echo');
  assert.equal(ok({ mode: 'js' }).traffic, 'echo');
  assert.equal(ok({ mode: 'broadcast' }, { mode: 'echo', traffic: 'echo' }).traffic, 'broadcast', 'the flag wins over a scenario');
  assert.equal(ok({ mode: 'echo' }, { mode: 'broadcast', traffic: 'broadcast' }).traffic, 'echo');
  assert.equal(ok({}, { mode: 'echo', traffic: 'badInput' }).traffic, 'badInput');
});
