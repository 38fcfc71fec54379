import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markerOf, SanitizerScanner } from '../../stress/sanitize/scan';
import { sanitizePlan } from '../../stress/sanitize/plan';
import { sanitizerEnv, standaloneArgs } from '../../stress/sanitize/server-bin';

const TSAN = [
  '==================',
  'WARNING: ThreadSanitizer: data race (pid=123)',
  '  Write of size 8 at 0x7b0400000000 by thread T2:',
  '    #0 lanstress::Session::onSent session.cpp:60',
  'SUMMARY: ThreadSanitizer: data race session.cpp:60 in lanstress::Session::onSent',
  '==================',
];

test('markers of every sanitizer are recognised, ordinary lines are not', () => {
  assert.equal(markerOf('==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1'), 'AddressSanitizer');
  assert.equal(markerOf('==1==ERROR: LeakSanitizer: detected memory leaks'), 'LeakSanitizer');
  assert.equal(markerOf('WARNING: ThreadSanitizer: data race (pid=1)'), 'ThreadSanitizer');
  assert.equal(markerOf('lan_server.cpp:10:5: runtime error: signed integer overflow'), 'UndefinedBehaviorSanitizer');
  assert.equal(markerOf('lanserver: backend epoll (auto: io_uring unavailable)'), null);
  assert.equal(markerOf('lanserver: error ETIMEDOUT: stop: 3 sessions still not released after 5 s'), null);
});

test('a report keeps its lines up to its SUMMARY, and nothing after', () => {
  const s = new SanitizerScanner();
  for (const l of ['lanserver: backend epoll', ...TSAN, 'lanserver: unrelated']) s.push(l);
  const f = s.findings();
  assert.equal(f.count, 1);
  assert.equal(f.reports[0]!.kind, 'ThreadSanitizer');
  assert.deepEqual(f.reports[0]!.lines, TSAN.slice(1, 5));
});

test('reports are bounded in number and length, but all are counted', () => {
  const s = new SanitizerScanner(3, 2);
  for (let i = 0; i < 5; i++) {
    s.push(`WARNING: ThreadSanitizer: data race ${i}`);
    for (let j = 0; j < 10; j++) s.push(`    #${j} frame`);
  }
  const f = s.findings();
  assert.equal(f.count, 5);
  assert.equal(f.reports.length, 2);
  for (const r of f.reports) assert.equal(r.lines.length, 3);
});

test('sanitizer options: ours first, the user\'s own win; TSan keeps running after a report', () => {
  const env = sanitizerEnv({ PATH: '/bin', TSAN_OPTIONS: 'halt_on_error=1', ASAN_OPTIONS: '' });
  assert.equal(env.PATH, '/bin');
  assert.match(env.ASAN_OPTIONS ?? '', /^detect_leaks=1/);
  assert.match(env.TSAN_OPTIONS ?? '', /^halt_on_error=0.*:halt_on_error=1$/);
  assert.match(env.UBSAN_OPTIONS ?? '', /print_stacktrace=1/);
  assert.deepEqual(standaloneArgs(['--stats-json', '--port', '0']), ['--port', '0']);
});

test('sanitize plan: every flavor x chaos, broadcast, churn; an unregistered scenario runs as its flags', () => {
  const plan = sanitizePlan({
    flavors: ['asan', 'tsan'],
    backends: ['epoll'],
    clients: 300,
    durationSec: 10,
    out: '/tmp/r',
    known: ['echo-flood', 'chaos'],
    binary: (f) => `/bin/${f}`,
    seed: 7,
  });
  assert.deepEqual(plan.map((r) => `${r.flavor}:${r.scenario}`), ['asan:chaos', 'asan:broadcast', 'asan:churn', 'tsan:chaos', 'tsan:broadcast', 'tsan:churn']);
  const chaos = plan[0]!.args;
  assert.equal(chaos[0], 'chaos');
  assert.ok(chaos.includes('--gate'));
  assert.deepEqual(chaos.slice(chaos.indexOf('--server-bin'), chaos.indexOf('--server-bin') + 2), ['--server-bin', '/bin/asan']);
  const broadcast = plan[1]!.args;
  assert.equal(broadcast[0], 'echo-flood');
  assert.deepEqual(broadcast.slice(broadcast.indexOf('--mode'), broadcast.indexOf('--mode') + 2), ['--mode', 'broadcast']);
  assert.deepEqual(plan[5]!.args.slice(-2), ['--seed', '7']);
  assert.ok(plan.every((r) => r.args.includes('--backend') && r.backend === 'epoll'));
  const both = sanitizePlan({ flavors: ['tsan'], backends: ['epoll', 'io_uring'], clients: 1, durationSec: 1, out: '/tmp/r', known: [], binary: () => '/bin/x', seed: null });
  assert.deepEqual(both.map((r) => `${r.backend}:${r.scenario}`), ['epoll:chaos', 'epoll:broadcast', 'epoll:churn', 'io_uring:chaos', 'io_uring:broadcast', 'io_uring:churn']);
});
