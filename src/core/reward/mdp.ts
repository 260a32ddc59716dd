import { UserError } from '../errors';

/**
 * A finite MDP without a reward: S states, A actions, transitions T[s][a][s'] and a discount.
 *
 * Layout: every (s, a, s') array in this folder is a flat `Float64Array` of length S*A*S with
 * index `(s * A + a) * S + s'`; (s, a) arrays have index `s * A + a`. Flat typed arrays keep the
 * hot loops (canonicalisation, norms) allocation-free and float64 end to end.
 */
export interface TabularMdp {
  readonly nStates: number;
  readonly nActions: number;
  /** gamma in [0, 1). */
  readonly discount: number;
  /** T(s, a, s'), length S*A*S, every (s, a) row sums to 1. */
  readonly transitions: Float64Array;
}

/** A reward R(s, a, s'), same layout as `TabularMdp.transitions`. */
export type Reward = Float64Array;

/** Where validation errors point: the file and the JSON pointers of the fields checked. */
export interface MdpErrorContext {
  file?: string;
  /** Pointer of the transitions array (default `/transitions`). */
  transitionsPointer?: string;
  /** Pointer of the discount (default `/discount`). */
  discountPointer?: string;
  /** Turns a pointer into a 1-based line/column in `file`, when the caller has the source. */
  locate?: (pointer: string) => { line: number; column: number } | undefined;
}

/** Allowed deviation of a transition row's sum from 1. */
export const ROW_SUM_TOLERANCE = 1e-6;

export function userErrorAt(message: string, pointer: string, ctx: MdpErrorContext = {}): UserError {
  const loc = ctx.locate?.(pointer);
  return new UserError(message, pointer, ctx.file, loc?.line, loc?.column);
}

/**
 * Check shapes, probabilities and discount; throws a UserError naming the state/action and the
 * JSON pointer of the first problem found.
 */
export function validateMdp(mdp: TabularMdp, ctx: MdpErrorContext = {}): void {
  const { nStates: S, nActions: A, discount, transitions } = mdp;
  const tp = ctx.transitionsPointer ?? '/transitions';
  const dp = ctx.discountPointer ?? '/discount';
  if (!Number.isInteger(S) || S < 1) throw userErrorAt(`need at least one state, got ${S}`, tp, ctx);
  if (!Number.isInteger(A) || A < 1) throw userErrorAt(`need at least one action, got ${A}`, tp, ctx);
  if (typeof discount !== 'number' || !Number.isFinite(discount) || discount < 0 || discount >= 1) {
    throw userErrorAt(`discount must be in [0, 1), got ${discount}`, dp, ctx);
  }
  if (transitions.length !== S * A * S) {
    throw userErrorAt(`transitions must have shape [${S}][${A}][${S}] (${S * A * S} numbers), got ${transitions.length}`, tp, ctx);
  }
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const base = (s * A + a) * S;
      let sum = 0;
      for (let n = 0; n < S; n++) {
        const p = transitions[base + n];
        if (!Number.isFinite(p) || p < 0) {
          throw userErrorAt(`transition probability T(s${s}, a${a}, s${n}) must be a number >= 0, got ${p}`, `${tp}/${s}/${a}/${n}`, ctx);
        }
        sum += p;
      }
      if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
        throw userErrorAt(
          `transition probabilities from state ${s} under action ${a} sum to ${+sum.toPrecision(10)}, not 1 (tolerance 1e-6)`,
          `${tp}/${s}/${a}`,
          ctx,
        );
      }
    }
  }
}

/** Build and validate an MDP. */
export function createMdp(nStates: number, nActions: number, discount: number, transitions: Float64Array, ctx?: MdpErrorContext): TabularMdp {
  const mdp: TabularMdp = { nStates, nActions, discount, transitions };
  validateMdp(mdp, ctx);
  return mdp;
}

/** Check that a reward has the MDP's shape and only finite entries. */
export function validateReward(mdp: TabularMdp, reward: Reward, name: string, pointer: string, ctx: MdpErrorContext = {}): void {
  const n = mdp.nStates * mdp.nActions * mdp.nStates;
  if (reward.length !== n) {
    throw userErrorAt(`reward "${name}" must have shape [${mdp.nStates}][${mdp.nActions}][${mdp.nStates}], got ${reward.length} numbers`, pointer, ctx);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(reward[i])) {
      const S = mdp.nStates;
      const A = mdp.nActions;
      const s = Math.floor(i / (A * S));
      const a = Math.floor(i / S) % A;
      throw userErrorAt(`reward "${name}" has a non-finite value at (s${s}, a${a}, s${i % S})`, pointer, ctx);
    }
  }
}

/** L2 norm of a flat array (unweighted). */
export function l2(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}
