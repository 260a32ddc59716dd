import { UserError } from '../errors';
import { TabularMdp } from './mdp';

/**
 * Norms on rewards, used both to normalise canonical rewards and as the metric on their
 * difference. Unweighted norms treat every (s, a, s') entry alike; weighted_p weights entry
 * (s, a, s') by T(s, a, s'): (sum T |x|^p)^(1/p), and weighted_inf = max T*|x| (as the spec).
 */
export type Norm = '1' | '2' | 'inf' | 'weighted_1' | 'weighted_2' | 'weighted_inf';
/** A normalisation is a norm or `none` (no normalisation). */
export type Normalization = Norm | 'none';

/** Order used by `allNorms`. */
export const NORMS: readonly Norm[] = ['1', '2', 'inf', 'weighted_1', 'weighted_2', 'weighted_inf'];
export const NORMALIZATIONS: readonly Normalization[] = [...NORMS, 'none'];

/** The p of an Lp norm as people write it: `2`, `L2`, `inf`, `Linf`, `L∞`, `∞`, `infinity`. */
const P_NAMES: Record<string, '1' | '2' | 'inf'> = {
  '1': '1', l1: '1',
  '2': '2', l2: '2',
  inf: 'inf', linf: 'inf', 'l∞': 'inf', '∞': 'inf', infinity: 'inf',
};

/**
 * Parse a user-written norm, case-insensitively: `1`, `2`, `inf`, the names the reward panel
 * shows (`L2`, `L∞`, `weighted L2`), `weighted_2`, `none`, ...; undefined if unknown.
 */
export function parseNormalization(text: string): Normalization | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'none') return 'none';
  const weighted = /^weighted[\s_]+(.+)$/.exec(t);
  const p = P_NAMES[weighted ? weighted[1] : t];
  if (!p) return undefined;
  return weighted ? `weighted_${p}` : p;
}

/** Per-MDP data the norms need; build once per MDP. */
export interface NormContext {
  readonly nStates: number;
  readonly nActions: number;
  readonly transitions: Float64Array;
  /** sum_{s'} T(s,a,s') per (s,a) (1 up to rounding); weights of a value constant in s'. */
  readonly rowSum: Float64Array;
  /** max_{s'} T(s,a,s') per (s,a); weighted_inf of a value constant in s'. */
  readonly rowMax: Float64Array;
}

export function createNormContext(mdp: TabularMdp): NormContext {
  const S = mdp.nStates;
  const SA = S * mdp.nActions;
  const rowSum = new Float64Array(SA);
  const rowMax = new Float64Array(SA);
  const T = mdp.transitions;
  for (let sa = 0; sa < SA; sa++) {
    let sum = 0;
    let max = 0;
    for (let n = 0; n < S; n++) {
      const t = T[sa * S + n];
      sum += t;
      if (t > max) max = t;
    }
    rowSum[sa] = sum;
    rowMax[sa] = max;
  }
  return { nStates: S, nActions: mdp.nActions, transitions: T, rowSum, rowMax };
}

/**
 * All six norms of `x` in one pass, written to `out` in `NORMS` order. `x` is either a full
 * S*A*S array or, with `perStateAction`, an S*A array standing for a value constant in s'.
 */
export function allNorms(ctx: NormContext, x: Float64Array, perStateAction: boolean, out: Float64Array = new Float64Array(6)): Float64Array {
  if (perStateAction) {
    let l1 = 0;
    let l2 = 0;
    let linf = 0;
    let w1 = 0;
    let w2 = 0;
    let winf = 0;
    const { rowSum, rowMax } = ctx;
    for (let sa = 0; sa < x.length; sa++) {
      const v = Math.abs(x[sa]);
      const v2 = v * v;
      l1 += v;
      l2 += v2;
      if (v > linf) linf = v;
      w1 += rowSum[sa] * v;
      w2 += rowSum[sa] * v2;
      const wv = rowMax[sa] * v;
      if (wv > winf) winf = wv;
    }
    l1 *= ctx.nStates;
    l2 *= ctx.nStates;
    return finishNorms([l1, l2, linf, w1, w2, winf], out);
  }
  const sums = new Float64Array(6);
  accumulateNorms(sums, x, 0, x.length, ctx.transitions);
  return finishNorms(sums, out);
}

/**
 * Adds entries [0, count) of `x`, standing for entries e0 .. e0 + count of a full S*A*S array
 * (weights T[e0 + i]), to the running sums [l1, l2^2, linf, w1, w2^2, winf]. Summing block by
 * block in entry order gives the same values as one pass over the whole array.
 */
export function accumulateNorms(sums: Float64Array, x: Float64Array, e0: number, count: number, T: Float64Array): void {
  let [l1, l2, linf, w1, w2, winf] = sums;
  for (let i = 0; i < count; i++) {
    const v = Math.abs(x[i]);
    const t = T[e0 + i];
    const v2 = v * v;
    l1 += v;
    l2 += v2;
    if (v > linf) linf = v;
    w1 += t * v;
    w2 += t * v2;
    const wv = t * v;
    if (wv > winf) winf = wv;
  }
  sums[0] = l1;
  sums[1] = l2;
  sums[2] = linf;
  sums[3] = w1;
  sums[4] = w2;
  sums[5] = winf;
}

/** The six norms, in `NORMS` order, from running sums (square roots of the squared ones). */
export function finishNorms(sums: ArrayLike<number>, out: Float64Array): Float64Array {
  out[0] = sums[0];
  out[1] = Math.sqrt(sums[1]);
  out[2] = sums[2];
  out[3] = sums[3];
  out[4] = Math.sqrt(sums[4]);
  out[5] = sums[5];
  return out;
}

/** One norm of `x` (see `allNorms` for the layouts). */
export function rewardNorm(ctx: NormContext, x: Float64Array, norm: Norm, perStateAction = false): number {
  const i = NORMS.indexOf(norm);
  if (i < 0) throw new UserError(`unknown norm "${norm}" (expected one of ${NORMS.join(', ')})`);
  return allNorms(ctx, x, perStateAction)[i];
}

/**
 * norm(a - b) without materialising the difference: the hot loop of pairwise matrices.
 * `a` and `b` share one layout (full S*A*S, or S*A with `perStateAction`).
 */
export function normOfDifference(ctx: NormContext, a: Float64Array, b: Float64Array, perStateAction: boolean, norm: Norm): number {
  if (a.length !== b.length) throw new RangeError(`normOfDifference: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  // Per-entry weights: T for full arrays; for a value constant in s', the row sum (weighted_p),
  // the row max (weighted_inf) or S copies (unweighted).
  const w = perStateAction ? ctx.rowSum : ctx.transitions;
  const copies = perStateAction ? ctx.nStates : 1;
  let acc = 0;
  switch (norm) {
    case '1':
      for (let i = 0; i < n; i++) acc += Math.abs(a[i] - b[i]);
      return acc * copies;
    case '2':
      for (let i = 0; i < n; i++) {
        const d = a[i] - b[i];
        acc += d * d;
      }
      return Math.sqrt(acc * copies);
    case 'inf':
      for (let i = 0; i < n; i++) {
        const d = Math.abs(a[i] - b[i]);
        if (d > acc) acc = d;
      }
      return acc;
    case 'weighted_1':
      for (let i = 0; i < n; i++) acc += w[i] * Math.abs(a[i] - b[i]);
      return acc;
    case 'weighted_2':
      for (let i = 0; i < n; i++) {
        const d = a[i] - b[i];
        acc += w[i] * d * d;
      }
      return Math.sqrt(acc);
    case 'weighted_inf': {
      const m = perStateAction ? ctx.rowMax : ctx.transitions;
      for (let i = 0; i < n; i++) {
        const d = m[i] * Math.abs(a[i] - b[i]);
        if (d > acc) acc = d;
      }
      return acc;
    }
    default:
      throw new UserError(`unknown norm "${norm as string}" (expected one of ${NORMS.join(', ')})`);
  }
}
