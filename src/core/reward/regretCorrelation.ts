import { UserError } from '../errors';
import { createRng } from '../util/random';
import { Canonicalization, CANONICALIZATIONS, CanonicalReward, createCanonicalizer, expectedReward } from './canonicalize';
import { l2 } from './mdp';
import { allNorms, createNormContext, Norm, NORMALIZATIONS, Normalization, NORMS } from './norms';
import { pearson } from './pearson';
import { createGaussian, randomMdp, randomReward } from './randomMdp';
import { createTransitionSampler, defaultHorizon, monteCarloReturn } from './montecarlo';
import { optimalPolicy, policyReturn } from './regret';
import { standardScale } from './starc';

/**
 * The STARC paper's headline experiment (spec, "The paper's headline experiment"): on random
 * MDPs, how well does each distance predict the regret of optimising one reward instead of
 * another? For each MDP, `pairs` reward pairs (R1, R2); R_i = R1 + (i/steps)(R2 - R1),
 * i = 1..steps; one sample per (pair, i) with d(R1, R_i) for every canonicalisation x
 * normalisation x metric and the regret averaged over both directions; the statistic is the
 * Pearson correlation of each distance with the regret over all samples.
 *
 * Choices beyond the authors' notebook: regret uses exact policy evaluation by default
 * (`regret: 'monte-carlo'` estimates the returns by rollouts instead, as the authors do, see
 * `montecarlo.ts`, and then leaves the normalised regrets unclamped as they do unless `clampRegret`, so noise can
 * make them negative; the optimal and worst policies still come from policy iteration, where
 * the authors run value iteration to a 1e-5 tolerance); every canonicalisation here is linear
 * in R, so c(R_i) is computed as
 * (1 - t) c(R1) + t c(R2) (identical up to rounding, 2 canonicalisations per pair instead of
 * `steps`); the initial state distribution is uniform.
 */
export interface RegretCorrelationOptions {
  mdps?: number;
  pairs?: number;
  steps?: number;
  seed?: number;
  states?: number;
  actions?: number;
  discount?: number;
  canons?: readonly Canonicalization[];
  /** How policy returns are computed: exact linear solves (default) or Monte-Carlo rollouts. */
  regret?: RegretEvaluation;
  /** Monte-Carlo only: episodes per return estimate (default states * actions, the authors' count: one per start state, `actions` times). */
  episodes?: number;
  /** Monte-Carlo only: steps per episode (default `defaultHorizon(discount)`, 224 for 0.95). */
  horizon?: number;
  /**
   * Monte-Carlo only: clamp normalised regrets to [0, 1] (default false, as the authors' code).
   * Exact regrets are always in [0, 1].
   */
  clampRegret?: boolean;
  /** Called after each reward pair with samples done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stop at the next pair; the result then covers the samples done so far. */
  signal?: AbortSignal;
}

export type RegretEvaluation = 'exact' | 'monte-carlo';
export const REGRET_EVALUATIONS: readonly RegretEvaluation[] = ['exact', 'monte-carlo'];

export interface CorrelationRow {
  canon: Canonicalization;
  norm: Normalization;
  metric: Norm;
  /** Pearson correlation of the distance with the normalised regret (NaN if undefined). */
  correlation: number;
}

export interface RegretCorrelationResult {
  /** Sorted by correlation, highest first (NaN last). */
  rows: CorrelationRow[];
  samples: number;
  cancelled: boolean;
  settings: Required<Omit<RegretCorrelationOptions, 'onProgress' | 'signal'>>;
}

export async function regretCorrelation(opts: RegretCorrelationOptions = {}): Promise<RegretCorrelationResult> {
  const settings = {
    mdps: opts.mdps ?? 128,
    pairs: opts.pairs ?? 8,
    steps: opts.steps ?? 16,
    seed: opts.seed ?? 42,
    states: opts.states ?? 32,
    actions: opts.actions ?? 4,
    discount: opts.discount ?? 0.95,
    canons: opts.canons ?? CANONICALIZATIONS,
    regret: opts.regret ?? 'exact',
    episodes: opts.episodes ?? (opts.states ?? 32) * (opts.actions ?? 4),
    horizon: opts.horizon ?? defaultHorizon(opts.discount ?? 0.95),
    clampRegret: opts.clampRegret ?? false,
  };
  if (!REGRET_EVALUATIONS.includes(settings.regret)) throw new UserError(`unknown regret evaluation "${settings.regret}" (expected ${REGRET_EVALUATIONS.join(' or ')})`, '/regret');
  for (const key of ['episodes', 'horizon'] as const) {
    if (!Number.isSafeInteger(settings[key]) || settings[key] < 1) throw new UserError(`${key} must be an integer >= 1, got ${settings[key]}`, `/${key}`);
  }
  const { mdps, pairs, steps, canons } = settings;
  const total = mdps * pairs * steps;
  const combos: { canon: Canonicalization; norm: Normalization; metric: Norm }[] = [];
  for (const canon of canons) for (const norm of NORMALIZATIONS) for (const metric of NORMS) combos.push({ canon, norm, metric });
  const nNorm = NORMALIZATIONS.length;
  const nMetric = NORMS.length;
  const distances = combos.map(() => new Float64Array(total));
  const regrets = new Float64Array(total);

  const rng = createRng(settings.seed);
  const gauss = createGaussian(rng);
  // A separate stream for rollouts, so both modes see the same MDPs and rewards.
  const mcOpts = { episodes: settings.episodes, horizon: settings.horizon, rng: createRng((settings.seed ^ 0x5bd1e995) >>> 0) };
  const monteCarlo = settings.regret === 'monte-carlo';
  const clamp = !monteCarlo || settings.clampRegret;
  let done = 0;
  let cancelled = false;
  const normsA = new Float64Array(6);
  const normsB = new Float64Array(6);
  const metricOut = new Float64Array(6);

  outer: for (let m = 0; m < mdps; m++) {
    const mdp = randomMdp(gauss, { states: settings.states, actions: settings.actions, discount: settings.discount });
    const ctx = createNormContext(mdp);
    const canonicalizers = canons.map((c) => createCanonicalizer(mdp, c));
    const S = mdp.nStates;
    const scratch = new Float64Array(S * mdp.nActions * S);
    const interp = new Float64Array(S * mdp.nActions * S);
    const sampler = monteCarlo ? createTransitionSampler(mdp) : undefined;
    /** J(policy) under reward r (expected reward rBar), exact or estimated by rollouts. */
    const ret = (r: Float64Array, rBar: Float64Array, policy: Int32Array): number =>
      sampler ? monteCarloReturn(sampler, r, policy, mcOpts) : policyReturn(mdp, rBar, policy);
    for (let p = 0; p < pairs; p++) {
      if (opts.signal?.aborted) {
        cancelled = true;
        break outer;
      }
      const r1 = randomReward(mdp, rng, gauss);
      const r2 = randomReward(mdp, rng, gauss);
      const bar1 = expectedReward(mdp, r1);
      const bar2 = expectedReward(mdp, r2);
      const best1 = optimalPolicy(mdp, bar1).policy;
      const worst1 = optimalPolicy(mdp, negate(bar1)).policy;
      const jBest1 = ret(r1, bar1, best1);
      const jWorst1 = ret(r1, bar1, worst1);
      const c1 = canonicalizers.map((f) => f(r1));
      const c2 = canonicalizers.map((f) => f(r2));
      const r1L2 = l2(r1);
      let bestI = best1;
      let worstI = worst1;
      for (let i = 1; i <= steps; i++) {
        const t = i / steps;
        const sample = done++;
        for (let k = 0; k < r1.length; k++) interp[k] = r1[k] + t * (r2[k] - r1[k]);
        const riL2 = l2(interp);
        const barI = bar1.map((v, k) => v + t * (bar2[k] - v));
        // Warm starts from the previous step: neighbouring rewards usually share optima.
        bestI = optimalPolicy(mdp, barI, bestI).policy;
        worstI = optimalPolicy(mdp, negate(barI), worstI).policy;
        const jBestI = ret(interp, barI, bestI);
        const jWorstI = ret(interp, barI, worstI);
        const regret1 = normalised(jBest1, ret(r1, bar1, bestI), jWorst1, clamp);
        const regret2 = normalised(jBestI, ret(interp, barI, best1), jWorstI, clamp);
        regrets[sample] = (regret1 + regret2) / 2;

        for (let c = 0; c < canons.length; c++) {
          const a = c1[c];
          const ci = mix(a, c2[c], t);
          allNorms(ctx, a.values, a.perStateAction, normsA);
          allNorms(ctx, ci, a.perStateAction, normsB);
          for (let n = 0; n < nNorm; n++) {
            const normIndex = n < NORMS.length ? n : -1;
            const ka = standardScale(normsA, r1L2, normIndex);
            const kb = standardScale(normsB, riL2, normIndex);
            const len = ci.length;
            const d = scratch.subarray(0, len);
            for (let k = 0; k < len; k++) d[k] = ka * a.values[k] - kb * ci[k];
            allNorms(ctx, d, a.perStateAction, metricOut);
            const row = (c * nNorm + n) * nMetric;
            for (let q = 0; q < nMetric; q++) distances[row + q][sample] = metricOut[q];
          }
        }
      }
      opts.onProgress?.(done, total);
      // Let the event loop deliver SIGINT (abort) and flush progress output.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  const rows: CorrelationRow[] = combos.map((combo, i) => ({
    ...combo,
    correlation: pearson(distances[i].subarray(0, done), regrets.subarray(0, done)),
  }));
  rows.sort((x, y) => (Number.isNaN(x.correlation) ? 1 : Number.isNaN(y.correlation) ? -1 : y.correlation - x.correlation));
  return { rows, samples: done, cancelled, settings: { ...settings, canons: [...canons] } };
}

function negate(x: Float64Array): Float64Array {
  return x.map((v) => -v);
}

/** (1 - t) a + t b, same layout as a. */
function mix(a: CanonicalReward, b: CanonicalReward, t: number): Float64Array {
  const out = new Float64Array(a.values.length);
  for (let k = 0; k < out.length; k++) out[k] = a.values[k] + t * (b.values[k] - a.values[k]);
  return out;
}

/**
 * (best - achieved) / (best - worst), 0 when all policies are equally good. Exact returns give
 * a value in [0, 1] (clamping only removes rounding); estimated returns are left unclamped, as
 * the authors do, since clamping noisy estimates would bias small regrets upwards.
 */
function normalised(best: number, achieved: number, worst: number, clamp: boolean): number {
  const gap = best - worst;
  if (!(gap > 1e-12 * Math.max(1, Math.abs(best)))) return 0;
  const r = (best - achieved) / gap;
  return clamp ? Math.min(1, Math.max(0, r)) : r;
}
