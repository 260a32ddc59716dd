import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../src/core/util/random';
import { addShaping, createGaussian, randomMdp, randomReward } from '../../../src/core/reward/randomMdp';
import { canonicalize } from '../../../src/core/reward/canonicalize';

test('Box-Muller samples have mean 0 and variance 1', () => {
  const g = createGaussian(createRng(1));
  const n = 200000;
  let m = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const x = g();
    m += x;
    v += x * x;
  }
  m /= n;
  v = v / n - m * m;
  assert.ok(Math.abs(m) < 0.01, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.01, `variance ${v}`);
});

test('random MDPs: valid, reproducible from the seed, sparse-ish rows (logits <= 1 set to -20)', () => {
  const make = (seed: number) => randomMdp(createGaussian(createRng(seed)), { states: 32, actions: 4, discount: 0.95 });
  const a = make(42);
  assert.deepEqual(a.transitions, make(42).transitions);
  assert.notDeepEqual(a.transitions, make(43).transitions);
  assert.equal(a.discount, 0.95);
  // P(z > 1) ~ 0.159: about 5 of 32 successors carry almost all the mass.
  let big = 0;
  for (const t of a.transitions) if (t > 1e-6) big++;
  const perRow = big / (32 * 4);
  assert.ok(perRow > 3.5 && perRow < 6.5, `successors per row ${perRow}`);
});

test('random rewards: shape, reproducibility, and some are shaped', () => {
  const rng = createRng(5);
  const g = createGaussian(rng);
  const mdp = randomMdp(g, { states: 8, actions: 2 });
  const r = randomReward(mdp, rng, g);
  assert.equal(r.length, 8 * 2 * 8);
  assert.ok(r.every(Number.isFinite));
  const rng2 = createRng(5);
  const g2 = createGaussian(rng2);
  randomMdp(g2, { states: 8, actions: 2 });
  assert.deepEqual(randomReward(mdp, rng2, g2), r);
});

test('addShaping adds gamma*Phi(s\') - Phi(s), which EPIC removes', () => {
  const g = createGaussian(createRng(2));
  const mdp = randomMdp(g, { states: 5, actions: 2, discount: 0.5 });
  const r = new Float64Array(50);
  addShaping(mdp, r, [1, 2, 3, 4, 5]);
  assert.equal(r[(1 * 2 + 0) * 5 + 3], 0.5 * 4 - 2);
  assert.ok(canonicalize(mdp, r, 'epic').values.every((v) => Math.abs(v) < 1e-12));
});
