import { test } from 'node:test';
import assert from 'node:assert/strict';
import { descriptorsNeeded, parseNoFile, raiseAdvice, readNoFile } from '../../stress/run/limits';

test('parses the Max open files row of /proc/<pid>/limits', () => {
  const text = [
    'Limit                     Soft Limit           Hard Limit           Units',
    'Max processes             63704                63704                processes',
    'Max open files            1024                 20000                files',
  ].join('\n');
  assert.deepEqual(parseNoFile(text), { soft: 1024, hard: 20000 });
  assert.deepEqual(parseNoFile('Max open files            unlimited            unlimited            files'), { soft: Infinity, hard: Infinity });
  assert.equal(parseNoFile('nothing here'), null);
});

test('reads this process limit on Linux', { skip: process.platform !== 'linux' ? 'needs /proc' : false }, () => {
  const l = readNoFile();
  assert.ok(l !== null && l.soft > 0 && l.hard >= l.soft);
});

test('needs a descriptor per client plus a margin; advice names the number', () => {
  assert.ok(descriptorsNeeded(5000) > 5000);
  assert.match(raiseAdvice(30512), /ulimit -n 30512/);
  assert.match(raiseAdvice(30512), /limits\.conf/);
});
