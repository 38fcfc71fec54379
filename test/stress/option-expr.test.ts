import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExprError, parseExpr } from '../../stress/run/option-expr';

const NAMES = new Set(['clients', 'sendQueueLimit', 'target', 'chaosActions', 'serverProbes', 'mode']);
const scope = { clients: 100, sendQueueLimit: 262144, target: 'embedded', chaosActions: ['rstMidBurst', 'silence'], serverProbes: true, mode: 'echo' };
const ev = (src: string): unknown => parseExpr(src, NAMES).eval(scope);

test('arithmetic follows precedence, with the rounding functions', () => {
  assert.equal(ev('ceil(clients * (sendQueueLimit + 262144) / 1048576) + 64'), 114);
  assert.equal(ev('max(1, floor(clients * 0.75))'), 75);
  assert.equal(ev('-clients + 2 * 3'), -94);
});

test('conditions compare, test list membership and combine', () => {
  assert.equal(ev("serverProbes && target == 'embedded' && mode == 'echo'"), true);
  assert.equal(ev("'rstMidBurst' in chaosActions && !('finInFlight' in chaosActions)"), true);
  assert.equal(ev("clients > 100 || mode != 'echo'"), false);
});

test('unknown names, functions and stray tokens are refused when parsed, saying which', () => {
  assert.throws(() => parseExpr('clientz > 1', NAMES), (e: Error) => e instanceof ExprError && /unknown option 'clientz'/.test(e.message));
  assert.throws(() => parseExpr('sqrt(clients)', NAMES), /unknown function 'sqrt'/);
  assert.throws(() => parseExpr('clients >', NAMES), /ends too early/);
  assert.throws(() => parseExpr('(clients', NAMES), /expected '\)'/);
  assert.throws(() => parseExpr('clients $ 2', NAMES), /cannot read/);
  assert.throws(() => parseExpr('ceil(1, 2)', NAMES), /one argument/);
});

test('a type mismatch is an error at evaluation, not a silent false', () => {
  assert.throws(() => ev("target + 1"), /needs a number/);
  assert.throws(() => ev("'x' in clients"), /needs a list/);
});
