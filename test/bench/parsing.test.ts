/** The benches' pure parts: /proc parsing, flag parsing, medians, strace's summary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, UsageError, type FlagSpec } from '../../bench/lib/args';
import { parseStatCpuSec, parseStatusMemory } from '../../bench/lib/procfs';
import { fmtSpread, ratio, spreadOf } from '../../bench/lib/stats';
import { parseStraceTotal } from '../../bench/lib/syscalls';
import { baseName, expandRows, parseLanserverBins } from '../../bench/server/servers';

test('parseStatCpuSec adds utime and stime after the comm, even a comm with spaces and parentheses', () => {
  const line = '4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 1000 1000 100';
  assert.equal(parseStatCpuSec(line, 100), 4);
});

test('parseStatusMemory reads VmRSS and VmHWM in kB', () => {
  const status = 'Name:\tlanserver\nVmPeak:\t  100 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n';
  assert.deepEqual(parseStatusMemory(status), { rssKb: 1024, hwmKb: 2048 });
  assert.throws(() => parseStatusMemory('Name:\tx\n'), /VmRSS/);
});

test('spreadOf gives median, min and max over the values present; ratio refuses to divide by nothing', () => {
  assert.deepEqual(spreadOf([3, null, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(spreadOf([4, 2]), { median: 3, min: 2, max: 4, n: 2 });
  assert.deepEqual(spreadOf([null, undefined, NaN]), { median: null, min: null, max: null, n: 0 });
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(null, 2), null);
  assert.equal(ratio(3, 2), 1.5);
  assert.equal(fmtSpread(spreadOf([1.23456, 2, 3])), '2 (1.23–3)');
});

test('parseFlags reports every problem at once, each naming its flag', () => {
  const specs: FlagSpec[] = [
    { name: 'repeats', kind: 'int', min: 1, describe: '' },
    { name: 'only', kind: 'list', describe: '' },
    { name: 'quick', kind: 'switch', describe: '' },
  ];
  assert.deepEqual(parseFlags(['--repeats', '2', '--only', 'a,b', '--quick'], specs), { repeats: 2, only: ['a', 'b'], quick: true });
  assert.deepEqual(parseFlags(['--repeats=3'], specs), { repeats: 3 });
  try {
    parseFlags(['--repeats', '0', '--bogus', '--only'], specs);
    assert.fail('expected a UsageError');
  } catch (err) {
    assert.ok(err instanceof UsageError);
    assert.deepEqual(err.problems, ['--repeats must be at least 1 (got 0)', 'unknown flag --bogus (known: --repeats --only --quick)', '--only needs a value']);
  }
});

test('a repeatable list flag accumulates its items in order; any other flag given twice is a problem', () => {
  const specs: FlagSpec[] = [
    { name: 'bin', kind: 'list', repeatable: true, describe: '' },
    { name: 'only', kind: 'list', describe: '' },
  ];
  assert.deepEqual(parseFlags(['--bin', 'a=1,b=2', '--bin=c=3'], specs), { bin: ['a=1', 'b=2', 'c=3'] });
  assert.throws(() => parseFlags(['--only', 'x', '--only', 'y'], specs), (err: unknown) => err instanceof UsageError && err.problems[0] === '--only given twice');
});

test('--lanserver-bin: LABEL=PATH items become rows beside each chosen lanserver row; every bad item names the flag', () => {
  const bins = parseLanserverBins([`main=${process.execPath}`, `et.2=${process.execPath}`]);
  assert.deepEqual(bins.map((b) => b.label), ['main', 'et.2']);
  assert.deepEqual(expandRows(['c-epoll', 'lanserver-epoll'], bins), ['c-epoll', 'lanserver-epoll', 'lanserver-epoll@main', 'lanserver-epoll@et.2']);
  assert.deepEqual(expandRows(['c-epoll'], []), ['c-epoll']);
  assert.equal(baseName('lanserver-io_uring@main'), 'lanserver-io_uring');
  try {
    parseLanserverBins(['nolabel', `a b=${process.execPath}`, `x=${process.execPath}`, `x=${process.execPath}`, 'y=/no/such/lanserver', 'z=']);
    assert.fail('expected a UsageError');
  } catch (err) {
    assert.ok(err instanceof UsageError);
    assert.deepEqual(err.problems, [
      "--lanserver-bin: 'nolabel' is not LABEL=PATH",
      "--lanserver-bin: label 'a b' must be letters, digits, '.', '_' or '-'",
      "--lanserver-bin: label 'x' given twice",
      '--lanserver-bin: y=/no/such/lanserver is not an executable file',
      "--lanserver-bin: 'z=' is not LABEL=PATH",
    ]);
  }
  assert.throws(() => expandRows(['c-epoll', 'node-pipe'], bins), (err: unknown) => err instanceof UsageError && /^--lanserver-bin: --only chooses no lanserver row/.test(err.problems[0]!));
});

test('parseStraceTotal takes the calls column of the total line, with or without an errors column', () => {
  const withErrors = '% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ----------------\n 60.00    0.003000           1      3000       100 read\n100.00    0.005000           1      5000       100 total\n';
  assert.equal(parseStraceTotal(withErrors), 5000);
  assert.equal(parseStraceTotal('100.00    0.005000           1      4321           total\n'), 4321);
  assert.throws(() => parseStraceTotal('nothing here'), /no total line/);
});
