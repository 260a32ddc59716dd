import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize, createCanonicalizer, expectedReward } from '../../../src/core/reward/canonicalize';
import { evaluatePolicy } from '../../../src/core/reward/regret';
import { flat, randomSetup, WORKED, workedMdp } from './helpers';

test('EPIC canonical rewards have mean zero under uniform coverage', () => {
  const c = canonicalize(workedMdp(), flat(WORKED.R1), 'epic').values;
  assert.ok(Math.abs(c.reduce((s, v) => s + v, 0)) < 1e-12);
});

test('VAL is Q - V of the uniform policy (checked against a direct evaluation)', () => {
  const mdp = workedMdp();
  const r = flat(WORKED.R1);
  const c = canonicalize(mdp, r, 'val');
  assert.equal(c.perStateAction, true);
  assert.equal(c.values.length, 6);
  // For a deterministic policy pi, C(s, pi(s)) = Q(s, pi(s)) - V_unif(s); check via the identity
  // sum_a pi_unif(a) C(s, a) = 0 (the advantage of the policy under itself).
  for (let s = 0; s < 3; s++) assert.ok(Math.abs(c.values[2 * s] + c.values[2 * s + 1]) < 1e-12);
  // A deterministic policy's own VAL canonical has zero advantage on its actions.
  const policy = Float64Array.from([1, 0, 0, 1, 1, 0]);
  const cd = canonicalize(mdp, r, 'val', { policy }).values;
  assert.ok(Math.abs(cd[0]) < 1e-12 && Math.abs(cd[3]) < 1e-12 && Math.abs(cd[4]) < 1e-12);
  // ... and its Q - V for the other action matches a direct evaluation.
  const bar = expectedReward(mdp, r);
  const v = evaluatePolicy(mdp, bar, Int32Array.from([0, 1, 0]));
  const q01 = bar[1] + 0.9 * (0.2 * v[1] + 0.8 * v[2]);
  assert.ok(Math.abs(cd[1] - (q01 - v[0])) < 1e-12);
});

test('canonicalisations are linear in R and shared set-up gives the same result as one-off calls', () => {
  const { mdp, reward } = randomSetup(8);
  const a = reward();
  const b = reward();
  for (const canon of ['epic', 'dard', 'val', 'minimal'] as const) {
    const f = createCanonicalizer(mdp, canon);
    const ca = f(a).values;
    const cb = f(b).values;
    const cab = f(a.map((v, i) => 2 * v - 3 * b[i])).values;
    for (let i = 0; i < ca.length; i++) assert.ok(Math.abs(cab[i] - (2 * ca[i] - 3 * cb[i])) < 1e-9, canon);
    assert.deepEqual(canonicalize(mdp, a, canon).values, ca);
  }
});

test('minimal canonical reward is no larger (L2) than any shaped equivalent', () => {
  const { mdp, reward, potential } = randomSetup(12);
  const r = reward();
  const c = canonicalize(mdp, r, 'minimal').values;
  const norm = (x: Float64Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
  assert.ok(norm(c) <= norm(r) + 1e-12);
  const S = mdp.nStates;
  for (let k = 0; k < 5; k++) {
    const phi = potential();
    const shaped = r.map((v, i) => v + mdp.discount * phi[i % S] - phi[Math.floor(i / (S * mdp.nActions))]);
    assert.ok(norm(c) <= norm(shaped) + 1e-9);
  }
});

test('bad options are user errors', () => {
  const mdp = workedMdp();
  assert.throws(() => canonicalize(mdp, flat(WORKED.R1), 'val', { policy: new Float64Array(3) }), /policy must have 6 entries/);
  assert.throws(() => canonicalize(mdp, flat(WORKED.R1), 'minimal', { minimalWeights: new Float64Array(18) }), /weights must be finite and > 0/);
  assert.throws(() => canonicalize(mdp, flat(WORKED.R1), 'bogus' as never), /unknown canonicalisation/);
});
