import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMdp } from '../../../src/core/reward/mdp';
import { evaluatePolicy, normalizedRegret, optimalPolicy, policyReturn } from '../../../src/core/reward/regret';
import { randomSetup } from './helpers';
import { expectedReward } from '../../../src/core/reward/canonicalize';

/**
 * Two states, two actions, gamma 0.5, deterministic: action 0 stays, action 1 switches.
 * Rewards: staying in s1 pays 1, everything else 0.
 * By hand: the optimal policy goes to s1 and stays: V*(s1) = 1/(1-0.5) = 2,
 * V*(s0) = 0 + 0.5*2 = 1. The worst policy never stays in s1: from s1 switch (0), in s0 stay (0): V = 0.
 * Proxy reward: staying in s0 pays 1 -> its optimum stays in s0 and moves s1 -> s0, which under
 * the true reward earns 0 everywhere, so the normalised regret is (mean(1,2) - 0) / (mean(1,2) - 0) = 1.
 */
function twoStates() {
  const T = Float64Array.from([
    1, 0, /* s0 a0 */ 0, 1, /* s0 a1 */
    0, 1, /* s1 a0 */ 1, 0, /* s1 a1 */
  ]);
  return createMdp(2, 2, 0.5, T);
}
const rewardFor = (s: number, a: number) => {
  const r = new Float64Array(8);
  r[(s * 2 + a) * 2 + 0] = 1;
  r[(s * 2 + a) * 2 + 1] = 1;
  return r;
};

test('policy evaluation and optimal policy on a two-state MDP, checked by hand', () => {
  const mdp = twoStates();
  const rTrue = rewardFor(1, 0);
  const bar = expectedReward(mdp, rTrue);
  const opt = optimalPolicy(mdp, bar);
  assert.deepEqual(Array.from(opt.policy), [1, 0]);
  assert.ok(Math.abs(opt.values[0] - 1) < 1e-12 && Math.abs(opt.values[1] - 2) < 1e-12);
  assert.ok(Math.abs(policyReturn(mdp, bar, opt.policy) - 1.5) < 1e-12);
  const v = evaluatePolicy(mdp, bar, Int32Array.from([0, 1]));
  assert.deepEqual(Array.from(v), [0, 0]);
  assert.equal(normalizedRegret(mdp, rTrue, rewardFor(0, 0)), 1);
  assert.equal(normalizedRegret(mdp, rTrue, rTrue), 0);
});

test('a different proxy with the same optimal policy has zero regret; a constant reward has none to regret', () => {
  const mdp = twoStates();
  // Proxy pays for leaving s0 and for staying in s1: its optimum (switch, stay) is the true optimum.
  const proxy = rewardFor(0, 1).map((v, i) => v + rewardFor(1, 0)[i]);
  assert.deepEqual(Array.from(optimalPolicy(mdp, expectedReward(mdp, proxy)).policy), [1, 0]);
  assert.equal(normalizedRegret(mdp, rewardFor(1, 0), proxy), 0);
  // Constant reward: every policy is equally good, regret 0 (no division by zero).
  assert.equal(normalizedRegret(mdp, new Float64Array(8).fill(1), rewardFor(0, 0)), 0);
});

test('policy iteration matches brute force over all deterministic policies on random MDPs', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const { mdp, reward } = randomSetup(seed, 4, 3, 0.9);
    const bar = expectedReward(mdp, reward());
    const opt = optimalPolicy(mdp, bar);
    let best = -Infinity;
    for (let code = 0; code < 3 ** 4; code++) {
      const p = Int32Array.from({ length: 4 }, (_, s) => Math.floor(code / 3 ** s) % 3);
      best = Math.max(best, policyReturn(mdp, bar, p));
    }
    assert.ok(Math.abs(policyReturn(mdp, bar, opt.policy) - best) < 1e-9, `seed ${seed}`);
    // Optimal in every state, not just on average: Bellman optimality holds.
    const { values } = opt;
    for (let s = 0; s < 4; s++) {
      for (let a = 0; a < 3; a++) {
        let q = bar[s * 3 + a];
        for (let n = 0; n < 4; n++) q += 0.9 * mdp.transitions[(s * 3 + a) * 4 + n] * values[n];
        assert.ok(q <= values[s] + 1e-9);
      }
    }
  }
});
