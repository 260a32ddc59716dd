import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize, createCanonicalizer, expectedReward } from '../../../src/core/reward/canonicalize';
import { denseProductKernel } from '../../../src/core/reward/denseProduct';
import { evaluatePolicy } from '../../../src/core/reward/regret';
import { createMdp } from '../../../src/core/reward/mdp';
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

/** A copy of `mdp` with each row keeping only its 2 largest entries (renormalised): sparse T. */
function sparsified(mdp: ReturnType<typeof randomSetup>['mdp']) {
  const S = mdp.nStates;
  const T = Float64Array.from(mdp.transitions);
  for (let row = 0; row < S * mdp.nActions; row++) {
    const r = T.subarray(row * S, row * S + S);
    const keep = [...r.keys()].sort((x, y) => r[y] - r[x]).slice(0, 2);
    const sum = keep.reduce((acc, k) => acc + r[k], 0);
    for (let k = 0; k < S; k++) r[k] = keep.includes(k) ? r[k] / sum : 0;
  }
  return createMdp(S, mdp.nActions, mdp.discount, T);
}

test('DARD equals the spec formula on dense and sparse transitions (every code path)', () => {
  // 9 states: dense products on the JavaScript kernel; 26 states: on the wasm kernel.
  const small = randomSetup(21, 9, 3, 0.9);
  const large = randomSetup(23, 26, 3, 0.9);
  assert.equal(denseProductKernel().kernel, 'wasm', 'dist/gemm64.wasm missing: run npm run build');
  const cases = [[small.mdp, small.reward], [sparsified(small.mdp), small.reward], [large.mdp, large.reward]] as const;
  for (const [mdp, reward] of cases) {
    const S = mdp.nStates;
    const A = mdp.nActions;
    const g = mdp.discount;
    const T = (s: number, a: number, n: number) => mdp.transitions[(s * A + a) * S + n];
    const r = reward();
    const R = (s: number, a: number, n: number) => r[(s * A + a) * S + n];
    const p = (s: number) => {
      let acc = 0;
      for (let a = 0; a < A; a++) for (let x = 0; x < S; x++) acc += T(s, a, x) * R(s, a, x) / A;
      return acc;
    };
    const c = canonicalize(mdp, r, 'dard').values;
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < A; a++) {
        for (let n = 0; n < S; n++) {
          let term = 0;
          for (let b = 0; b < A; b++) for (let x = 0; x < S; x++) for (let y = 0; y < S; y++) term += T(s, b, x) * T(n, b, y) * R(x, b, y) / A;
          const expected = R(s, a, n) + g * p(n) - p(s) - g * term;
          assert.ok(Math.abs(c[(s * A + a) * S + n] - expected) < 1e-11, `(${s}, ${a}, ${n})`);
        }
      }
    }
  }
});

test('minimal: the potential is optimal (zero gradient) on dense and sparse transitions', () => {
  const { mdp: dense, reward } = randomSetup(22, 9, 3, 0.9);
  for (const mdp of [dense, sparsified(dense)]) {
    const S = mdp.nStates;
    const A = mdp.nActions;
    const T = mdp.transitions;
    const x = canonicalize(mdp, reward(), 'minimal').values;
    // q(s, a) = E_T x; the least-squares optimality condition is sum_sa q u / K = 0 with
    // u = gamma T(s, a, .) - e_s and K = sum_s' T^2 (unit weights).
    const grad = new Float64Array(S);
    let scale = 0;
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < A; a++) {
        const base = (s * A + a) * S;
        let q = 0;
        let K = 0;
        for (let n = 0; n < S; n++) {
          q += T[base + n] * x[base + n];
          K += T[base + n] ** 2;
        }
        scale = Math.max(scale, Math.abs(q / K));
        for (let n = 0; n < S; n++) grad[n] += (q / K) * mdp.discount * T[base + n];
        grad[s] -= q / K;
      }
    }
    for (let s = 0; s < S; s++) assert.ok(Math.abs(grad[s]) < 1e-10 * Math.max(1, scale), `gradient ${grad[s]} at ${s}`);
  }
});
