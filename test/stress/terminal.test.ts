/**
 * Colour and in-place lines: on a real TTY (a pseudo-terminal from util-linux `script`) the
 * printers colour, and NO_COLOR or TERM=dumb turn every escape code off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { colourOn, inPlaceOn } from '../../stress/format/terminal';
import { makeReport } from './compare-fixture';
import { CLI } from '../support/paths';
import { tempDir } from '../support/temp';

const ESC = '\x1b[';

test('colour only on a TTY without NO_COLOR or TERM=dumb; in-place lines only on a TTY that is not dumb', () => {
  const tty = { isTTY: true };
  assert.equal(colourOn(tty, { TERM: 'xterm' }), true);
  assert.equal(colourOn({ isTTY: false }, { TERM: 'xterm' }), false);
  assert.equal(colourOn(tty, { TERM: 'xterm', NO_COLOR: '1' }), false);
  assert.equal(colourOn(tty, { TERM: 'xterm', NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
  assert.equal(colourOn(tty, { TERM: 'dumb' }), false);
  assert.equal(inPlaceOn(tty, { TERM: 'xterm', NO_COLOR: '1' }), true);
  assert.equal(inPlaceOn(tty, { TERM: 'dumb' }), false);
});

const noScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'util-linux `script` is not installed: no pseudo-terminal to test on';

test('stress report on a pseudo-terminal: coloured, and plain with NO_COLOR=1 or TERM=dumb', { skip: noScript }, () => {
  const file = path.join(tempDir('terminal'), 'run.json');
  writeFileSync(file, JSON.stringify(makeReport({ seed: 1 })));
  const onTty = (env: Record<string, string>): string => {
    const r = spawnSync('script', ['-qec', `'${process.execPath}' '${CLI}' report '${file}'`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, TERM: 'xterm', NO_COLOR: '', FORCE_COLOR: '', ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.ok(onTty({}).includes(ESC), 'a TTY gets colour');
  assert.ok(!onTty({ NO_COLOR: '1' }).includes(ESC), 'NO_COLOR=1');
  assert.ok(!onTty({ TERM: 'dumb' }).includes(ESC), 'TERM=dumb');
});
