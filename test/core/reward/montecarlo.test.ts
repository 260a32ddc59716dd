import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedReward } from '../../../src/core/reward/canonicalize';
import { createMdp } from '../../../src/core/reward/mdp';
import { createTransitionSampler, defaultHorizon, monteCarloReturn, sampleNextState } from '../../../src/core/reward/montecarlo';
import { createGaussian, randomMdp } from '../../../src/core/reward/randomMdp';
import { policyReturn } from '../../../src/core/reward/regret';
import { regretCorrelation } from '../../../src/core/reward/regretCorrelation';
import { createRng } from '../../../src/core/util/random';

test('sampling s\' ~ T(s, a) reproduces the transition probabilities', () => {
  // 3 states, 1 action; row of state 0: [0.2, 0, 0.8] (a zero entry must never be drawn).
  const mdp = createMdp(3, 1, 0.5, Float64Array.from([0.2, 0, 0.8, 0, 1, 0, 0.5, 0.25, 0.25]));
  const sampler = createTransitionSampler(mdp);
  const rng = createRng(7);
  const counts = [0, 0, 0];
  const n = 100_000;
  for (let i = 0; i < n; i++) counts[sampleNextState(sampler, 0, 0, rng.next())]++;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[0] / n - 0.2) < 0.01, `${counts}`);
  assert.ok(Math.abs(counts[2] / n - 0.8) < 0.01, `${counts}`);
  assert.equal(sampleNextState(sampler, 1, 0, 0.999999), 1);
});

test('Monte-Carlo returns converge to the exact return on a tiny MDP', () => {
  const gauss = createGaussian(createRng(3));
  const mdp = randomMdp(gauss, { states: 4, actions: 2, discount: 0.8 });
  const reward = Float64Array.from({ length: 4 * 2 * 4 }, () => gauss());
  const policy = Int32Array.from([0, 1, 1, 0]);
  const exact = policyReturn(mdp, expectedReward(mdp, reward), policy);
  const sampler = createTransitionSampler(mdp);
  const horizon = defaultHorizon(mdp.discount, 1e-5); // truncation bias <= 1e-5 of the scale
  const errorAt = (episodes: number, seed: number) => Math.abs(monteCarloReturn(sampler, reward, policy, { episodes, horizon, rng: createRng(seed) }) - exact);
  // Standard error shrinks like 1/sqrt(episodes): averaged over seeds, 100x the episodes gives ~10x less error.
  const mean = (episodes: number) => [1, 2, 3, 4, 5].reduce((acc, seed) => acc + errorAt(episodes, seed), 0) / 5;
  const coarse = mean(100);
  const fine = mean(20_000);
  let scale = 0;
  for (const r of reward) scale = Math.max(scale, Math.abs(r));
  assert.ok(fine < 0.02 * (scale / (1 - mdp.discount)), `20k episodes: |MC - exact| = ${fine}, exact ${exact}`);
  assert.ok(fine < coarse / 3, `error falls with more episodes: ${coarse} -> ${fine}`);
});

test('the horizon default is where the discount falls to 1e-5 (the authors\' rule)', () => {
  assert.equal(defaultHorizon(0.95), 224);
  assert.ok(Math.abs(Math.log10(0.95 ** defaultHorizon(0.95)) + 5) < 0.02);
  assert.equal(defaultHorizon(0.5, 0.25), 2);
  assert.equal(defaultHorizon(0), 1);
});

test('start states are stratified: S episodes on a deterministic MDP give the exact return', () => {
  // Every state loops on itself and earns s per step: no transition noise, so a random draw of
  // start states would be the only noise left; stratified starts cover each state once.
  const S = 5;
  const T = new Float64Array(S * S);
  for (let s = 0; s < S; s++) T[s * S + s] = 1;
  const mdp = createMdp(S, 1, 0.9, T);
  const reward = Float64Array.from({ length: S * S }, (_, i) => Math.floor(i / S));
  const policy = new Int32Array(S);
  const exact = policyReturn(mdp, expectedReward(mdp, reward), policy);
  const horizon = defaultHorizon(0.9, 1e-12);
  for (const seed of [1, 2, 3]) {
    const mc = monteCarloReturn(createTransitionSampler(mdp), reward, policy, { episodes: S, horizon, rng: createRng(seed) });
    assert.ok(Math.abs(mc - exact) < 1e-9, `seed ${seed}: ${mc} vs ${exact}`);
  }
});

test('regret-correlation with Monte-Carlo regret: seeded, same samples, and more episodes bring the correlation back to the exact one', async () => {
  const common = { mdps: 3, pairs: 2, steps: 4, seed: 11, canons: ['val', 'none'] as const };
  const exact = await regretCorrelation({ ...common });
  const mc = await regretCorrelation({ ...common, regret: 'monte-carlo', episodes: 3 });
  const again = await regretCorrelation({ ...common, regret: 'monte-carlo', episodes: 3 });
  assert.equal(mc.samples, exact.samples);
  assert.equal(mc.settings.regret, 'monte-carlo');
  assert.equal(mc.settings.horizon, 224);
  assert.deepEqual(mc.rows, again.rows, 'seeded: reproducible');
  const pick = (r: typeof exact, canon: string) => r.rows.find((x) => x.canon === canon && x.norm === '2' && x.metric === '2')?.correlation as number;
  assert.notEqual(pick(mc, 'val'), pick(exact, 'val'));
  // Many episodes bring the correlation back towards the exact one.
  const precise = await regretCorrelation({ ...common, regret: 'monte-carlo', episodes: 300 });
  assert.ok(Math.abs(pick(precise, 'val') - pick(exact, 'val')) < Math.abs(pick(mc, 'val') - pick(exact, 'val')), `${pick(exact, 'val')} ${pick(mc, 'val')} ${pick(precise, 'val')}`);
  await assert.rejects(regretCorrelation({ ...common, regret: 'monte-carlo', episodes: 0 }), /episodes must be an integer >= 1/);
  // Default episodes: the authors' count, one per start state, `actions` times.
  const byDefault = await regretCorrelation({ ...common, mdps: 1, pairs: 1, steps: 3, states: 6, actions: 2, regret: 'monte-carlo' });
  assert.equal(byDefault.settings.episodes, 12);
  assert.equal(byDefault.settings.clampRegret, false);
  // One episode per estimate: noisy regrets fall outside [0, 1] unless clamped, which changes
  // the correlations (exact regrets are in [0, 1] either way).
  const raw = await regretCorrelation({ ...common, regret: 'monte-carlo', episodes: 1 });
  const clamped = await regretCorrelation({ ...common, regret: 'monte-carlo', episodes: 1, clampRegret: true });
  assert.notEqual(pick(raw, 'val'), pick(clamped, 'val'));
  assert.deepEqual((await regretCorrelation({ ...common, clampRegret: true })).rows, exact.rows);
});
