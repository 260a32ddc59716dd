import type { Rng } from '../util/random';
import type { Reward, TabularMdp } from './mdp';

/**
 * Monte-Carlo policy returns, estimated the way the STARC authors' final experiment code does
 * (`src/distance/rollout.py` in lucyfarnik/starc, `policy_returns`), so the regret-correlation
 * experiment can show how their evaluation noise changes the correlations compared with exact
 * evaluation:
 * - start states are stratified, not drawn: episode e starts in state e mod S, so with a
 *   multiple of S episodes every state gets the same share of the uniform initial distribution
 *   (the authors run one episode per state, repeated A times: S*A episodes per estimate);
 * - an episode follows the deterministic policy for a fixed horizon, samples s' ~ T(s, a) and
 *   adds gamma^t R(s, a, s') of the sampled transition (not its expectation);
 * - the horizon is where the discount falls below 1e-5 (`defaultHorizon`: 224 steps at 0.95),
 *   so truncation biases the estimate by at most 1e-5 max|R| / (1 - gamma).
 * The estimate is the mean over episodes.
 */
export interface MonteCarloOptions {
  /** Episodes averaged per estimate (the authors: S * A). */
  episodes: number;
  /** Steps per episode. */
  horizon: number;
  rng: Rng;
}

/**
 * Horizon round(ln(tail) / ln(gamma)): the step where gamma^t falls to `tail`; the authors' rule
 * with tail 1e-5 (224 steps for gamma 0.95). At least 1.
 */
export function defaultHorizon(discount: number, tail = 1e-5): number {
  if (!(discount > 0)) return 1;
  return Math.max(1, Math.round(Math.log(tail) / Math.log(discount)));
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

/**
 * Monte-Carlo estimate of J(pi) = E_{s0 ~ uniform} [sum_t gamma^t R(s_t, a_t, s_t+1)], with
 * stratified start states (episode e starts in state e mod S).
 */
export function monteCarloReturn(sampler: TransitionSampler, reward: Reward, policy: Int32Array, opts: MonteCarloOptions): number {
  const { mdp } = sampler;
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  let total = 0;
  for (let e = 0; e < opts.episodes; e++) {
    let s = e % S;
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
