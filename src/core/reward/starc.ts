import { UserError } from '../errors';
import { CanonicalSource, sourceNorms } from './canonicalSource';
import { runSteps, type Steps } from '../util/steps';
import { CanonicalizeOptions, Canonicalization, canonicalizerSteps, canonicalSourceSteps, createCanonicalizer, expandCanonical } from './canonicalize';
import { l2, Reward, TabularMdp } from './mdp';
import { allNorms, createNormContext, Norm, NormContext, NORMS, Normalization, normOfDifference } from './norms';
import { pairwiseNormsSteps } from './pairwiseNorms';
import { pearson } from './pearson';

/**
 * STARC distance d(R1, R2) = m(s(R1) - s(R2)), s(R) = c(R) / n(c(R)): canonicalisation c,
 * normalisation n, metric m (a norm of the difference).
 */
export interface StarcOptions {
  canon: Canonicalization;
  norm: Normalization;
  metric: Norm;
  canonOptions?: CanonicalizeOptions;
}

/**
 * c(R) counts as exactly zero when ||c(R)||_2 <= ZERO_TOLERANCE * max(1, ||R||_2) (the spec's
 * rule): a constant reward plus shaping canonicalises to rounding noise, which must not be
 * blown up to unit norm.
 */
export const ZERO_TOLERANCE = 1e-12;

/** s(R): the canonical reward divided by its norm, or zero for a trivial reward. */
export interface StandardizedReward {
  values: Float64Array;
  /** `values` has S*A entries standing for a value constant in s' (VAL). */
  perStateAction: boolean;
  /** c(R) was zero by the rule above: R is shaping plus a constant (or zero). */
  trivial: boolean;
}

/**
 * s(R) = k * c(R) kept as its two factors: the canonical reward as a source (no copy; for DARD
 * not even materialised, see canonicalSource.ts) and k (see `standardScale`). Pairwise
 * matrices scale entries on the fly instead of materialising a scaled copy of every canonical
 * reward (16 MB each for DARD at 512 states, 8 actions).
 */
export interface ScaledCanonicalReward {
  source: CanonicalSource;
  scale: number;
  trivial: boolean;
}

/** Prepare c(.) and its factor k for one MDP and canonicalisation/normalisation, as steps (util/steps.ts). */
function* scaledCanonicalizerSteps(mdp: TabularMdp, canon: Canonicalization, norm: Normalization, canonOptions: CanonicalizeOptions | undefined, ctx: NormContext): Steps<(reward: Reward) => Steps<ScaledCanonicalReward>> {
  const toSource = yield* canonicalSourceSteps(mdp, canon, canonOptions);
  const normIndex = normalizationIndex(norm);
  const norms = new Float64Array(6);
  return function* (reward) {
    const source = yield* toSource(reward);
    sourceNorms(ctx, source, norms);
    const scale = standardScale(norms, l2(reward), normIndex);
    return { source, scale, trivial: scale === 0 };
  };
}

/** Index of `norm` in NORMS, -1 for none; throws for an unknown one. */
function normalizationIndex(norm: Normalization): number {
  const normIndex = norm === 'none' ? -1 : NORMS.indexOf(norm);
  if (norm !== 'none' && normIndex < 0) throw new UserError(`unknown normalisation "${norm}"`);
  return normIndex;
}

/** Prepare s(.) for one MDP and canonicalisation/normalisation; reusable for many rewards. */
export function createStandardizer(mdp: TabularMdp, canon: Canonicalization, norm: Normalization, canonOptions?: CanonicalizeOptions, ctx: NormContext = createNormContext(mdp)): (reward: Reward) => StandardizedReward {
  const standardize = runSteps(standardizerSteps(mdp, canon, norm, canonOptions, ctx));
  return (reward) => runSteps(standardize(reward));
}

function* standardizerSteps(mdp: TabularMdp, canon: Canonicalization, norm: Normalization, canonOptions: CanonicalizeOptions | undefined, ctx: NormContext): Steps<(reward: Reward) => Steps<StandardizedReward>> {
  const canonicalize = yield* canonicalizerSteps(mdp, canon, canonOptions);
  const normIndex = normalizationIndex(norm);
  const norms = new Float64Array(6);
  return function* (reward) {
    const c = yield* canonicalize(reward);
    allNorms(ctx, c.values, c.perStateAction, norms);
    const k = standardScale(norms, l2(reward), normIndex);
    if (k === 0) return { values: new Float64Array(c.values.length), perStateAction: c.perStateAction, trivial: true };
    if (k === 1) return { values: c.values, perStateAction: c.perStateAction, trivial: false };
    const out = new Float64Array(c.values.length);
    for (let i = 0; i < out.length; i++) out[i] = c.values[i] * k;
    return { values: out, perStateAction: c.perStateAction, trivial: false };
  };
}

/**
 * The factor k with s(R) = k * c(R): 0 for a trivial reward (zero rule), 1 without
 * normalisation (`normIndex` < 0) or when n(c(R)) = 0 (the spec: s(R) = c(R) then, e.g. c(R)
 * lives only on impossible transitions), else 1 / n(c(R)).
 * `canonNorms` are the `allNorms` of c(R), `rewardL2` the L2 norm of R itself.
 */
export function standardScale(canonNorms: Float64Array, rewardL2: number, normIndex: number): number {
  if (canonNorms[1] <= ZERO_TOLERANCE * Math.max(1, rewardL2)) return 0;
  const n = normIndex < 0 ? 0 : canonNorms[normIndex];
  return n === 0 ? 1 : 1 / n;
}

/**
 * m(x - y) for two standardised rewards. `scratch` (length S*A*S) avoids an allocation per
 * pair when called in a loop.
 */
export function metricDistance(ctx: NormContext, x: StandardizedReward, y: StandardizedReward, metric: Norm, scratch?: Float64Array): number {
  const i = NORMS.indexOf(metric);
  if (i < 0) throw new UserError(`unknown metric "${metric}" (expected one of ${NORMS.join(', ')})`);
  if (x.perStateAction === y.perStateAction) return normOfDifference(ctx, x.values, y.values, x.perStateAction, metric);
  return allNorms(ctx, difference(ctx, x, y, scratch), false)[i];
}

/** x - y expanded to the full layout (one of them is constant in s'). */
function difference(ctx: NormContext, x: StandardizedReward, y: StandardizedReward, scratch?: Float64Array): Float64Array {
  const S = ctx.nStates;
  const full = x.perStateAction ? y.values : x.values;
  const compact = x.perStateAction ? x.values : y.values;
  const sign = x.perStateAction ? -1 : 1; // d = sign * (full - compact)
  const n = full.length;
  const d = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  for (let k = 0; k < n; k++) d[k] = sign * (full[k] - compact[Math.floor(k / S)]);
  return d;
}

/** d(R1, R2) for one STARC metric. */
export function starcDistance(mdp: TabularMdp, r1: Reward, r2: Reward, opts: StarcOptions): number {
  const ctx = createNormContext(mdp);
  const standardize = createStandardizer(mdp, opts.canon, opts.norm, opts.canonOptions, ctx);
  return metricDistance(ctx, standardize(r1), standardize(r2), opts.metric);
}

export interface DistanceMatrix {
  /** Symmetric, zero diagonal. */
  matrix: number[][];
  /** Per reward: canonicalised to zero (shaping plus a constant). */
  trivial: boolean[];
}

/**
 * All pairwise distances. Each reward is canonicalised once (VAL shares one LU factorisation
 * across rewards) and kept with its normalisation factor; the n(n-1)/2 metrics are then taken
 * together in one cache-blocked pass (`pairwiseNormsOfDifferences`), which reads each canonical
 * reward from memory once instead of once per pair.
 */
export function pairwiseDistances(mdp: TabularMdp, rewards: readonly Reward[], opts: StarcOptions): DistanceMatrix {
  return runSteps(pairwiseDistanceSteps(mdp, rewards, opts));
}

/**
 * `pairwiseDistances` as steps (util/steps.ts), for callers that must stay responsive and
 * stoppable (the CLI on Ctrl-C, the runner on Cancel): safe points in the MDP's setup, in each
 * reward's canonicalisation and after each block of the pairwise stage, reporting the fraction
 * done (canonicalisation and pairwise stage weighted by the entries they touch).
 */
export function* pairwiseDistanceSteps(mdp: TabularMdp, rewards: readonly Reward[], opts: StarcOptions): Steps<DistanceMatrix> {
  if (!NORMS.includes(opts.metric)) throw new UserError(`unknown metric "${opts.metric as string}" (expected one of ${NORMS.join(', ')})`);
  const ctx = createNormContext(mdp);
  const scaled = yield* scaledCanonicalizerSteps(mdp, opts.canon, opts.norm, opts.canonOptions, ctx);
  const k = rewards.length;
  const N = mdp.nStates * mdp.nActions * mdp.nStates;
  const pairEntries = ((k * (k - 1)) / 2) * (opts.canon === 'val' ? N / mdp.nStates : N);
  const canonShare = (k * N) / (k * N + pairEntries / 2);
  const std: ScaledCanonicalReward[] = [];
  for (const reward of rewards) {
    std.push(yield* scaled(reward));
    yield { fraction: (canonShare * std.length) / k, message: `canonicalised ${std.length}/${k} rewards` };
  }
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  if (k >= 2) {
    // One canonicaliser gives one layout for every reward.
    const pairs = pairwiseNormsSteps(ctx, std.map((s) => s.source), std.map((s) => s.scale), std[0].source.perStateAction, opts.metric);
    let step = pairs.next();
    for (; !step.done; step = pairs.next()) {
      yield step.value && { fraction: canonShare + (1 - canonShare) * step.value.fraction, message: step.value.message };
    }
    const d = step.value;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) matrix[i][j] = d[i * k + j];
  }
  return { matrix, trivial: std.map((s) => s.trivial) };
}

/**
 * Per-(s, a) difference s(R1) - s(R2), averaged over s' ~ T(s, a) (exact for VAL, whose
 * standardised rewards do not depend on s'). Feeds the per-pair heatmap. Length S*A.
 */
export function stateActionDifference(mdp: TabularMdp, r1: Reward, r2: Reward, canon: Canonicalization, norm: Normalization, canonOptions?: CanonicalizeOptions): Float64Array {
  return runSteps(stateActionDifferenceSteps(mdp, r1, r2, canon, norm, canonOptions));
}

/** `stateActionDifference` as steps (util/steps.ts). */
export function* stateActionDifferenceSteps(mdp: TabularMdp, r1: Reward, r2: Reward, canon: Canonicalization, norm: Normalization, canonOptions?: CanonicalizeOptions): Steps<Float64Array> {
  const ctx = createNormContext(mdp);
  const standardize = yield* standardizerSteps(mdp, canon, norm, canonOptions, ctx);
  const a = yield* standardize(r1);
  const b = yield* standardize(r2);
  if (a.perStateAction && b.perStateAction) {
    return a.values.map((v, i) => v - b.values[i]);
  }
  const S = mdp.nStates;
  const SA = S * mdp.nActions;
  const fa = expandCanonical(mdp, a);
  const fb = expandCanonical(mdp, b);
  const T = mdp.transitions;
  const out = new Float64Array(SA);
  for (let sa = 0; sa < SA; sa++) {
    let acc = 0;
    for (let n = 0; n < S; n++) acc += T[sa * S + n] * (fa[sa * S + n] - fb[sa * S + n]);
    out[sa] = acc;
  }
  return out;
}

/**
 * EPIC's original form: D_EPIC = sqrt((1 - rho) / 2), rho the Pearson correlation of the
 * EPIC-canonical rewards over all (s, a, s') with uniform coverage. A trivial reward (zero after
 * canonicalisation) has no correlation; we use rho = 0 against a non-trivial one (distance
 * sqrt(1/2)) and distance 0 between two trivial ones.
 */
export function epicPearsonDistance(mdp: TabularMdp, r1: Reward, r2: Reward, canonOptions?: CanonicalizeOptions): number {
  const canonicalize = createCanonicalizer(mdp, 'epic', canonOptions);
  const c1 = canonicalize(r1).values;
  const c2 = canonicalize(r2).values;
  const t1 = l2(c1) <= ZERO_TOLERANCE * Math.max(1, l2(r1));
  const t2 = l2(c2) <= ZERO_TOLERANCE * Math.max(1, l2(r2));
  if (t1 && t2) return 0;
  const rho = t1 || t2 ? 0 : pearson(c1, c2);
  return Math.sqrt(Math.max(0, (1 - rho) / 2));
}
