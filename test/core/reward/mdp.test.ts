import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/core/errors';
import { createMdp, validateReward } from '../../../src/core/reward/mdp';
import { flat, WORKED } from './helpers';

const T = () => flat(WORKED.T);

test('a valid MDP passes', () => {
  const mdp = createMdp(3, 2, 0.9, T());
  assert.equal(mdp.nStates, 3);
});

test('a row not summing to 1 names the state, the action and the pointer', () => {
  const t = T();
  t[(1 * 2 + 1) * 3 + 2] = 0.6; // s1, a1: 0 + 0.3 + 0.6 = 0.9
  assert.throws(() => createMdp(3, 2, 0.9, t), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.pointer, '/transitions/1/1');
    assert.match(e.message, /state 1 under action 1 sum to 0\.9/);
    return true;
  });
  // Within tolerance 1e-6 is fine.
  const ok = T();
  ok[0] += 5e-7;
  createMdp(3, 2, 0.9, ok);
});

test('negative probabilities, shape mismatch and discount out of [0, 1)', () => {
  const t = T();
  t[0] = -0.5;
  t[1] = 1.5;
  assert.throws(() => createMdp(3, 2, 0.9, t), (e: unknown) => e instanceof UserError && e.pointer === '/transitions/0/0/0');
  assert.throws(() => createMdp(3, 2, 0.9, new Float64Array(17)), (e: unknown) => e instanceof UserError && /shape \[3\]\[2\]\[3\]/.test(e.message));
  for (const g of [1, -0.1, 1.5, NaN]) {
    assert.throws(() => createMdp(3, 2, g, T()), (e: unknown) => e instanceof UserError && e.pointer === '/discount', `discount ${g}`);
  }
  createMdp(3, 2, 0, T());
});

test('rewards: wrong shape and non-finite values are user errors', () => {
  const mdp = createMdp(3, 2, 0.9, T());
  assert.throws(() => validateReward(mdp, new Float64Array(5), 'r', '/rewards/r'), /shape \[3\]\[2\]\[3\]/);
  const r = new Float64Array(18);
  r[17] = Infinity;
  assert.throws(() => validateReward(mdp, r, 'r', '/rewards/r'), /non-finite value at \(s2, a1, s2\)/);
});
