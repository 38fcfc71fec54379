import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionsRecord, resolveRunOptions, RUN_FLAGS, type RawRunArgs, type Resolved } from '../../stress/run/options';
import { isLoopbackHost } from '../../server/loopback';
import { serverArgs } from '../../stress/run/orchestrate';
import { scanArgv } from '../../stress/flags/argv';
import { yargsOptions } from '../../stress/flags/table';
import { CHAOS_ACTIONS } from '../../dummy-client/types';

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
    [{ serverSendBuffer: '-1' }, /--send-buffer "-1": must be between 0 and 16777216/],
    [{ serverSendBuffer: '20000000' }, /--send-buffer "20000000": must be between 0 and 16777216/],
    [{ target: '127.0.0.1:9000', serverProbes: true }, /--probes "true": configures the embedded server/],
  ];
  for (const [raw, pattern] of cases) {
    const errors = errorsOf(resolveRunOptions(raw, {}, env));
    assert.equal(errors.length, 1, `${JSON.stringify(raw)} -> ${errors.join('; ')}`);
    assert.match(errors[0]!, pattern);
  }
});

test('every bad option is reported at once', () => {
  const errors = errorsOf(resolveRunOptions({ clients: '0', duration: 'x', payload: '3-1', target: '10.0.0.1:80', workers: '0' }, {}, env));
  for (const flag of ['--clients', '--duration', '--payload', '--target', '--client-workers']) {
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

test('--send-buffer and --probes reach the embedded server and the report', () => {
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

test('--uring-buffers reaches the embedded server; not a power of two is refused naming the flag', () => {
  const args = serverArgs({ ...ok({ uringBuffers: '16' }), backend: 'io_uring' });
  assert.equal(args[args.indexOf('--uring-buffers') + 1], '16');
  assert.equal(ok({}).uringBuffers, 1024);
  for (const bad of ['100', '4']) assert.match(errorsOf(resolveRunOptions({ uringBuffers: bad }, {}, env)).join('\n'), new RegExp(`--uring-buffers "${bad}": must be 0 \\(plain recv\\) or a power of two`));
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

test('durations take units; a bare number keeps the flag\'s old unit', () => {
  assert.equal(ok({ duration: '10s' }).durationSec, 10);
  assert.equal(ok({ duration: '1m' }).durationSec, 60);
  assert.equal(ok({ duration: '1500ms' }).durationSec, 1.5);
  assert.equal(ok({ duration: '30' }).durationSec, 30, 'bare = seconds');
  assert.equal(ok({ lifetime: '2s' }).lifetimeMs, 2000);
  assert.equal(ok({ lifetime: '250' }).lifetimeMs, 250, 'bare = milliseconds');
  assert.equal(ok({ echoTimeout: '1m' }).echoTimeoutMs, 60_000);
  assert.equal(ok({ rampUp: '500ms', duration: '2s' }).rampUpSec, 0.5);
  assert.match(errorsOf(resolveRunOptions({ duration: '500ms' }, {}, env))[0]!, /--duration "500ms": must be between 1 and 86400 s/);
  assert.match(errorsOf(resolveRunOptions({ duration: '10x' }, {}, env))[0]!, /--duration "10x": must be a duration like 500ms, 10s or 1m/);
});

test('sizes take k/m suffixes', () => {
  assert.equal(ok({ sendQueueLimit: '64k' }).sendQueueLimit, 65536);
  assert.equal(ok({ serverSendBuffer: '1m' }).serverSendBuffer, 1 << 20);
});

test('--traffic takes the scenario spelling (bad-input); the old camelCase one still works, with a warning naming the new', () => {
  assert.equal(ok({ traffic: 'bad-input' }).traffic, 'badInput');
  assert.equal(ok({ traffic: 'slow-reader' }).traffic, 'slowReader');
  const warnings: string[] = [];
  const r = resolveRunOptions({ traffic: 'badInput' }, {}, env, (w) => warnings.push(w));
  assert.ok(r.ok && r.options.traffic === 'badInput');
  assert.deepEqual(warnings, ['--traffic badInput is deprecated, use --traffic bad-input']);
  assert.match(errorsOf(resolveRunOptions({ traffic: 'nope' }, {}, env))[0]!, /--traffic "nope": must be one of echo, broadcast, bad-input, slow-reader, chaos/);
});

test('the embedded server gets every server-side flag under its `stress server` spelling', () => {
  const o = ok({ serverWorkers: '3', serverKick: '0.25', serverEchoDelayUs: '7', room: '4', mode: 'broadcast', seed: '9' });
  const args = serverArgs({ ...o, backend: 'epoll' });
  const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
  assert.deepEqual(
    ['--workers', '--kick', '--echo-delay-us', '--room', '--mode', '--seed', '--backend', '--max-sessions', '--send-queue-limit'].map(after),
    ['3', '0.25', '7', '4', 'broadcast', '9', 'epoll', '10000', '1048576'],
  );
  for (const fleetOnly of ['--clients', '--client-workers', '--traffic', '--server-workers']) assert.ok(!args.includes(fleetOnly), fleetOnly);
});

test('--help: real types, defaults, and the choices of enum and list flags', () => {
  const help = yargsOptions(RUN_FLAGS);
  for (const action of CHAOS_ACTIONS) assert.match(String(help['chaos-actions']!.describe), new RegExp(action));
  assert.match(String(help.clients!.describe), /\[int 1\.\.1000000, default: 1000\]/);
  assert.match(String(help.duration!.describe), /duration/);
  assert.match(String(help.traffic!.describe), /bad-input/);
  assert.deepEqual(help.kick!.alias, ['server-kick'], 'the old spelling is an alias');
});

test('the command line as typed: a flag given twice, unknown flags, a switch with a value, all at once', () => {
  const scan = scanArgv(['--clients', '10', '--clients', '20', '--bogus', '3', '--gate=maybe', '--also-bogus', 'chaos'], RUN_FLAGS);
  assert.deepEqual(scan.problems.sort(), [
    '--clients is given 2 times: give it once',
    '--gate "maybe": a switch takes no value (or true/false)',
    'Unknown argument: --also-bogus',
    'Unknown argument: --bogus',
  ]);
  assert.deepEqual(scanArgv(['--threshold', 'p99<5ms', '--threshold', 'lost==0', '--gate', '--no-json', '--gate=true'], RUN_FLAGS).problems, ['--gate is given 2 times: give it once']);
  assert.deepEqual(scanArgv(['--duration', '-1', '--rate', '5'], RUN_FLAGS).problems, [], 'a negative number is a value');
});

test('an old spelling still works, with a warning naming the new one', () => {
  const scan = scanArgv(['--server-kick', '0.1', '--workers', '2', '--server-echo-delay-us=5', '--server-probes'], RUN_FLAGS);
  assert.deepEqual(scan.problems, []);
  assert.deepEqual(scan.warnings.map((w) => w.split(',')[0]), [
    '--server-kick is deprecated',
    '--workers is deprecated',
    '--server-echo-delay-us is deprecated',
    '--server-probes is deprecated',
  ]);
  assert.match(scan.warnings[0]!, /use --kick/);
  assert.match(scan.warnings[1]!, /use --client-workers/);
  assert.deepEqual(scanArgv(['--kick', '0.1', '--server-kick', '0.2'], RUN_FLAGS).problems, ['--kick is given 2 times: give it once'], 'old and new spellings are one flag');
});

test('--stages sets the clients (peak), the duration (sum) and, with rates, the open loop; flags they decide are refused', () => {
  const env = { cores: 2, randomSeed: 1 };
  const r = resolveRunOptions({ stages: '2s:100:10,3s:300:total=900' }, {}, env);
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.errors.join('\n'), /--stages .*every stage gives a per-connection rate/);
  const ok = resolveRunOptions({ stages: '2s:100:10, 500ms:300:50,3s:0:0' }, { pipeline: 4 }, env);
  assert.ok(ok.ok, ok.ok ? '' : ok.errors.join('\n'));
  assert.equal(ok.options.clients, 300);
  assert.equal(ok.options.durationSec, 5.5);
  assert.deepEqual([ok.options.pipeline, ok.options.rate, ok.options.totalRate], [null, null, null]);
  assert.equal(optionsRecord(ok.options).stages, '2s:100:10,0.5s:300:50,3s:0:0');
  const closed = resolveRunOptions({ stages: '5s:100' }, { pipeline: 4 }, env);
  assert.ok(closed.ok);
  assert.equal(closed.options.pipeline, 4);
  const clash = resolveRunOptions({ stages: '5s:100:10', clients: '50', rate: '3' }, {}, env);
  assert.equal(clash.ok, false);
  const errors = clash.ok ? '' : clash.errors.join('\n');
  assert.match(errors, /--clients "50": cannot be given beside --stages/);
  assert.match(errors, /--rate "3": cannot be given beside --stages/);
  for (const bad of ['5s', '5x:10', '5s:-1', '5s:10:fast', '0s:10']) {
    const b = resolveRunOptions({ stages: bad }, {}, env);
    assert.equal(b.ok, false, bad);
    assert.match(b.ok ? '' : b.errors[0]!, /^--stages /, bad);
  }
});

test('--total-rate excludes --rate and --pipeline, naming both', () => {
  const r = resolveRunOptions({ rate: '5', totalRate: '1000' }, {}, { cores: 2, randomSeed: 1 });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.errors[0]!, /--rate \(open loop\) and --total-rate \(open loop\) cannot be used together/);
  const t = resolveRunOptions({ totalRate: '1000' }, { pipeline: 4 }, { cores: 2, randomSeed: 1 });
  assert.ok(t.ok);
  assert.deepEqual([t.options.pipeline, t.options.rate, t.options.totalRate], [null, null, 1000]);
});

test('--think-time is closed loop only; --warm-up must leave some of the run measured', () => {
  const env = { cores: 2, randomSeed: 1 };
  const open = resolveRunOptions({ rate: '10', thinkTime: '50ms' }, {}, env);
  assert.match(open.ok ? '' : open.errors.join('\n'), /--think-time "50ms": applies to the closed loop/);
  const staged = resolveRunOptions({ stages: '5s:10:5', thinkTime: '50' }, {}, env);
  assert.match(staged.ok ? '' : staged.errors.join('\n'), /--think-time "50": applies to the closed loop/);
  const long = resolveRunOptions({ duration: '5', warmUp: '4.5s' }, {}, env);
  assert.match(long.ok ? '' : long.errors.join('\n'), /--warm-up "4.5s": must leave some of --duration \(5 s\) measured/);
  const ok = resolveRunOptions({ duration: '5', warmUp: '2s', thinkTime: '20ms' }, {}, env);
  assert.ok(ok.ok);
  assert.deepEqual([ok.options.warmUpSec, ok.options.thinkTimeMs], [2, 20]);
});

test('--mix sets the payload envelope; its sizes are checked as --payload; a --payload flag wins over a scenario mix', () => {
  const env = { cores: 2, randomSeed: 1 };
  const r = resolveRunOptions({ mix: '9:16-64, 1:4096' }, {}, env);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(r.options.payload, { min: 16, max: 4096 });
  assert.equal(optionsRecord(r.options).mix, '9:16-64,1:4096');
  for (const [bad, why] of [['0:16', /weight above 0/], ['3:big', /not a size/], ['1:16,1:9000', /at most 8192 bytes/]] as const) {
    const b = resolveRunOptions({ mix: bad }, {}, env);
    assert.match(b.ok ? '' : b.errors.join('\n'), why, bad);
  }
  const both = resolveRunOptions({ mix: '1:16', payload: '32' }, {}, env);
  assert.match(both.ok ? '' : both.errors.join('\n'), /--payload "32": --mix sets the payload sizes/);
  const flagWins = resolveRunOptions({ payload: '32' }, { mix: [{ weight: 1, payload: { min: 100, max: 100 } }] }, env);
  assert.ok(flagWins.ok);
  assert.deepEqual([flagWins.options.mix, flagWins.options.payload], [[], { min: 32, max: 32 }]);
  const chaos = resolveRunOptions({ mix: '1:16', traffic: 'chaos' }, {}, env);
  assert.match(chaos.ok ? '' : chaos.errors.join('\n'), /--mix "1:16": weighs echo payloads: chaos traffic draws its own sizes/);
});
