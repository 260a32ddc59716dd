import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCanonical } from '../../../src/core/reward/canonicalize';
import { allNorms, createNormContext, NORMS, normOfDifference, parseNormalization, rewardNorm } from '../../../src/core/reward/norms';
import { flat, randomSetup, WORKED, workedMdp } from './helpers';

test('norms of a known vector', () => {
  const mdp = workedMdp();
  const ctx = createNormContext(mdp);
  const x = flat(WORKED.R1);
  assert.equal(rewardNorm(ctx, x, '1'), 15);
  assert.equal(rewardNorm(ctx, x, 'inf'), 3);
  assert.ok(Math.abs(rewardNorm(ctx, x, '2') - Math.sqrt(27)) < 1e-12);
  // weighted_1: sum T |R| = s0a0 .5 + s0a1 0 + s1a0 0 + s1a1 (.3*3 + .7*1) + s2a0 (.8*2) + s2a1 0
  assert.ok(Math.abs(rewardNorm(ctx, x, 'weighted_1') - (0.5 + 1.6 + 1.6)) < 1e-12);
  // weighted_inf = max T*|x| = .8*2 at s2,a0,s2.
  assert.ok(Math.abs(rewardNorm(ctx, x, 'weighted_inf') - 1.6) < 1e-12);
});

test('a value constant in s\' (S*A layout) has the same norms as its expansion', () => {
  const { mdp, gauss } = randomSetup(4);
  const ctx = createNormContext(mdp);
  const compact = Float64Array.from({ length: mdp.nStates * mdp.nActions }, gauss);
  const full = expandCanonical(mdp, { values: compact, perStateAction: true });
  const a = allNorms(ctx, compact, true);
  const b = allNorms(ctx, full, false);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12 * Math.max(1, b[i]), `norm ${i}: ${a[i]} vs ${b[i]}`);
});

test('parseNormalization accepts the CLI spellings', () => {
  assert.equal(parseNormalization('2'), '2');
  assert.equal(parseNormalization('L1'), '1');
  assert.equal(parseNormalization('Linf'), 'inf');
  assert.equal(parseNormalization('weighted_inf'), 'weighted_inf');
  assert.equal(parseNormalization('none'), 'none');
  assert.equal(parseNormalization('3'), undefined);
});

test('normOfDifference equals the norms of the materialised difference, in both layouts', () => {
  const { mdp, gauss } = randomSetup(6);
  const ctx = createNormContext(mdp);
  for (const [len, compact] of [[mdp.nStates * mdp.nActions * mdp.nStates, false], [mdp.nStates * mdp.nActions, true]] as const) {
    const a = Float64Array.from({ length: len }, gauss);
    const b = Float64Array.from({ length: len }, gauss);
    const expected = allNorms(ctx, a.map((v, i) => v - b[i]), compact);
    NORMS.forEach((norm, i) => {
      const got = normOfDifference(ctx, a, b, compact, norm);
      assert.ok(Math.abs(got - expected[i]) < 1e-12 * Math.max(1, expected[i]), `${norm} compact=${compact}`);
    });
  }
});
