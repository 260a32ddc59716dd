import { expectedReward } from './canonicalize';
import { luFactor, luSolve } from './linalg';
import { Reward, TabularMdp } from './mdp';

/**
 * Regret of optimising the wrong reward. Policies are deterministic (one action per state,
 * `Int32Array` of length S); values come from exact linear solves, never iteration to a tolerance.
 */

/** V^pi for a deterministic policy and expected rewards rbar (S*A): (I - gamma*P_pi) V = r_pi. */
export function evaluatePolicy(mdp: TabularMdp, rBar: Float64Array, policy: Int32Array): Float64Array {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  const m = new Float64Array(S * S);
  const rPi = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const sa = s * A + policy[s];
    const base = sa * S;
    const row = s * S;
    for (let n = 0; n < S; n++) m[row + n] = -g * T[base + n];
    m[row + s] += 1;
    rPi[s] = rBar[sa];
  }
  return luSolve(luFactor(m, S), rPi);
}

export interface OptimalPolicy {
  policy: Int32Array;
  values: Float64Array;
  /** Policy-iteration steps taken (evaluations). */
  iterations: number;
}

/**
 * An optimal deterministic policy by policy iteration with exact evaluation. A state switches
 * action only when the improvement exceeds a relative 1e-12, so ties and rounding cannot make it
 * cycle; it terminates in finitely many steps (at most A^S, in practice a handful).
 */
export function optimalPolicy(mdp: TabularMdp, rBar: Float64Array, initial?: Int32Array): OptimalPolicy {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  const policy = initial ? Int32Array.from(initial) : greedy(rBar, S, A);
  let scale = 0;
  for (let i = 0; i < rBar.length; i++) scale = Math.max(scale, Math.abs(rBar[i]));
  const tol = 1e-12 * Math.max(1, scale / (1 - g));
  for (let it = 1; ; it++) {
    const v = evaluatePolicy(mdp, rBar, policy);
    let changed = false;
    for (let s = 0; s < S; s++) {
      let best = policy[s];
      let bestQ = -Infinity;
      const qs = new Float64Array(A);
      for (let a = 0; a < A; a++) {
        const base = (s * A + a) * S;
        let ev = 0;
        for (let n = 0; n < S; n++) ev += T[base + n] * v[n];
        qs[a] = rBar[s * A + a] + g * ev;
        if (qs[a] > bestQ) {
          bestQ = qs[a];
          best = a;
        }
      }
      if (best !== policy[s] && bestQ > qs[policy[s]] + tol) {
        policy[s] = best;
        changed = true;
      }
    }
    if (!changed) return { policy, values: v, iterations: it };
    if (it > 10000) throw new Error('policy iteration did not converge in 10000 steps');
  }
}

function greedy(rBar: Float64Array, S: number, A: number): Int32Array {
  const p = new Int32Array(S);
  for (let s = 0; s < S; s++) {
    let best = 0;
    for (let a = 1; a < A; a++) if (rBar[s * A + a] > rBar[s * A + best]) best = a;
    p[s] = best;
  }
  return p;
}

/** J(pi) = sum_s mu(s) V^pi(s), mu uniform unless given. */
export function policyReturn(mdp: TabularMdp, rBar: Float64Array, policy: Int32Array, initial?: Float64Array): number {
  const v = evaluatePolicy(mdp, rBar, policy);
  let j = 0;
  for (let s = 0; s < v.length; s++) j += (initial ? initial[s] : 1 / v.length) * v[s];
  return j;
}

/**
 * Normalised regret, under `rTrue`, of a policy optimal for `rProxy`:
 * (J(pi*) - J(pi_proxy)) / (J(pi*) - J(pi_worst)), all returns under rTrue, pi_worst optimal for
 * -rTrue. In [0, 1]; 0 when every policy has the same return (nothing to regret).
 */
export function normalizedRegret(mdp: TabularMdp, rTrue: Reward, rProxy: Reward, initial?: Float64Array): number {
  const trueBar = expectedReward(mdp, rTrue);
  const proxyBar = expectedReward(mdp, rProxy);
  return normalizedRegretFromExpected(mdp, trueBar, optimalPolicy(mdp, proxyBar).policy, initial);
}

/**
 * The same from precomputed pieces: expected true reward and the proxy's optimal policy
 * (lets the experiment reuse policies across many pairs).
 */
export function normalizedRegretFromExpected(mdp: TabularMdp, trueBar: Float64Array, proxyPolicy: Int32Array, initial?: Float64Array, best?: { jBest: number; jWorst: number }): number {
  const { jBest, jWorst } = best ?? returnRange(mdp, trueBar, initial);
  const gap = jBest - jWorst;
  if (!(gap > 1e-12 * Math.max(1, Math.abs(jBest)))) return 0;
  const j = policyReturn(mdp, trueBar, proxyPolicy, initial);
  return Math.min(1, Math.max(0, (jBest - j) / gap));
}

/** Best and worst policy returns under a reward (optimal policies of rbar and -rbar). */
export function returnRange(mdp: TabularMdp, rBar: Float64Array, initial?: Float64Array): { jBest: number; jWorst: number } {
  const best = optimalPolicy(mdp, rBar).policy;
  const neg = rBar.map((x) => -x);
  const worst = optimalPolicy(mdp, neg).policy;
  return { jBest: policyReturn(mdp, rBar, best, initial), jWorst: policyReturn(mdp, rBar, worst, initial) };
}
