import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTick, progressBar, Progress } from '../../stress/run/progress';
import { parseServerLine } from '../../server/lines';
import { tick } from './fixtures';

function sink(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): void } {
  return { isTTY, text: '', write(s: string) { this.text += s; } };
}

test('a tick shows connections, echoes/s, p50/p99, errors, server sessions and client memory', () => {
  const line = formatTick({ ...tick(3), connecting: 5, errors: 2 }, 10, 9, 150 * (1 << 20));
  for (const part of ['3/10s', 'conn 10 (+5 opening)', 'echo/s 100', 'p50 0.20ms', 'p99 1.50ms', 'errors 2', 'server sessions 9', 'client rss 150MiB']) {
    assert.ok(line.includes(part), `${line} lacks ${part}`);
  }
  assert.ok(!formatTick(tick(1), 10, null, 0).includes('server sessions'), 'no server column for an external target');
  assert.ok(formatTick({ ...tick(1), p50: null, p99: null }, 10, null, 0).includes('p50 -ms'));
});

test('on a TTY the line is rewritten in place; otherwise one plain line each; --json prints nothing', () => {
  const tty = sink(true);
  const p = new Progress(tty);
  p.line('a');
  p.line('b');
  p.note('kept');
  assert.equal(tty.text, '\r\x1b[2Ka\r\x1b[2Kb\nkept\n');

  const plain = sink(false);
  const q = new Progress(plain);
  q.line('a');
  q.line('b');
  q.end();
  assert.equal(plain.text, 'a\nb\n');

  const silent = new Progress(null);
  silent.line('a');
  silent.note('b');
  silent.end();
});

test('server lines: listening/stats/final parsed, anything else ignored', () => {
  assert.deepEqual(parseServerLine('{"event":"listening","host":"127.0.0.1","port":5,"backend":"epoll","pid":1,"mode":"echo","workers":2}'), {
    event: 'listening', host: '127.0.0.1', port: 5, backend: 'epoll', pid: 1, mode: 'echo', workers: 2,
  });
  assert.equal(parseServerLine('listening on 127.0.0.1:5'), null);
  assert.equal(parseServerLine('{"event":"other"}'), null);
  assert.equal(parseServerLine('{broken'), null);
});

test('the live line starts with a bar of the run gone by', () => {
  assert.equal(progressBar(0, 30), '[············]');
  assert.equal(progressBar(15, 30), '[######······]');
  assert.equal(progressBar(31, 30), '[############]');
});
