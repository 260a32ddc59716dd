import type { Rng } from '../util/random';
import type { Reward, TabularMdp } from './mdp';

/**
 * Monte-Carlo policy returns, as the STARC authors estimate them (`policy.py` in
 * lucyfarnik/starc evaluates policies by rollouts), so the regret-correlation experiment can
 * show how evaluation noise changes the correlations compared with exact evaluation.
 *
 * An episode starts in a uniformly random state (the uniform initial distribution the exact
 * evaluation uses), follows a deterministic policy for a fixed horizon, samples s' ~ T(s, a)
 * and accumulates gamma^t R(s, a, s') — the reward of the sampled transition, not its
 * expectation, like a real rollout. The estimate is the mean over episodes. Truncation at
 * horizon H biases it by at most gamma^H max|R| / (1 - gamma); see `defaultHorizon`.
 */
export interface MonteCarloOptions {
  /** Episodes averaged per estimate. */
  episodes: number;
  /** Steps per episode. */
  horizon: number;
  rng: Rng;
}

/**
 * Horizon `ceil(k / (1 - gamma))`: k = 5 leaves a truncation bias of gamma^H <= e^-5 (< 0.7%)
 * of the discounted reward scale; for gamma = 0.95 that is 100 steps.
 */
export function defaultHorizon(discount: number, k = 5): number {
  return Math.max(1, Math.ceil(k / (1 - discount)));
}

/** Per-(s, a) cumulative transition probabilities, for sampling s' by inversion. */
export interface TransitionSampler {
  readonly mdp: TabularMdp;
  readonly cumulative: Float64Array;
}

export function createTransitionSampler(mdp: TabularMdp): TransitionSampler {
  const S = mdp.nStates;
  const rows = S * mdp.nActions;
  const cumulative = new Float64Array(rows * S);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let n = 0; n < S; n++) {
      acc += mdp.transitions[r * S + n];
      cumulative[r * S + n] = acc;
    }
  }
  return { mdp, cumulative };
}

/** Samples s' ~ T(s, a) (binary search in the cumulative row; rows sum to 1 within 1e-6). */
export function sampleNextState(sampler: TransitionSampler, s: number, a: number, u: number): number {
  const S = sampler.mdp.nStates;
  const base = (s * sampler.mdp.nActions + a) * S;
  const c = sampler.cumulative;
  const target = u * c[base + S - 1];
  let lo = 0;
  let hi = S - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[base + mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Monte-Carlo estimate of J(pi) = E_{s0 ~ uniform} [sum_t gamma^t R(s_t, a_t, s_t+1)]. */
export function monteCarloReturn(sampler: TransitionSampler, reward: Reward, policy: Int32Array, opts: MonteCarloOptions): number {
  const { mdp } = sampler;
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  let total = 0;
  for (let e = 0; e < opts.episodes; e++) {
    let s = opts.rng.int(S);
    let discount = 1;
    let ret = 0;
    for (let t = 0; t < opts.horizon; t++) {
      const a = policy[s];
      const next = sampleNextState(sampler, s, a, opts.rng.next());
      ret += discount * reward[(s * A + a) * S + next];
      discount *= g;
      s = next;
    }
    total += ret;
  }
  return total / opts.episodes;
}
