import { UserError } from '../errors';
import { addDardTerm, addProductABt } from './denseProduct';
import { arraySource, CanonicalSource } from './canonicalSource';
import { luFactorSteps, luSolve, LuFactors, SingularMatrixError } from './linalg';
import { Reward, TabularMdp } from './mdp';
import { runSteps, type Steps } from '../util/steps';

/**
 * Canonicalisations: maps c with c(R) = c(R') whenever R' is R plus potential shaping (and, for
 * VAL, S'-redistribution). Formulas follow `specs/reward-metrics.md` and the authors' code.
 */
export type Canonicalization = 'none' | 'epic' | 'dard' | 'val' | 'minimal';

export const CANONICALIZATIONS: readonly Canonicalization[] = ['val', 'epic', 'dard', 'minimal', 'none'];

export function isCanonicalization(x: string): x is Canonicalization {
  return (CANONICALIZATIONS as readonly string[]).includes(x);
}

export interface CanonicalizeOptions {
  /** D_S for EPIC (length S); uniform by default. */
  stateDistribution?: Float64Array;
  /** D_A for EPIC and DARD (length A); uniform by default. */
  actionDistribution?: Float64Array;
  /** pi(a|s) for VAL, length S*A, index s*A+a; uniform by default. */
  policy?: Float64Array;
  /** w(s,a,s') > 0 for `minimal` (weighted least squares); all ones by default. */
  minimalWeights?: Float64Array;
}

/**
 * A canonical reward. VAL's output Q(s,a) - V(s) does not depend on s', so it is kept as an
 * S*A array (`perStateAction`), which makes norms and pairwise distances O(S*A) instead of
 * O(S*A*S); the other canonicalisations give full S*A*S arrays. Treat `values` as read-only
 * (`none` returns the input array itself).
 */
export interface CanonicalReward {
  values: Float64Array;
  perStateAction: boolean;
}

/** Expand a canonical reward to the full S*A*S layout. */
export function expandCanonical(mdp: TabularMdp, c: CanonicalReward): Float64Array {
  if (!c.perStateAction) return c.values;
  const S = mdp.nStates;
  const out = new Float64Array(S * mdp.nActions * S);
  for (let sa = 0; sa < c.values.length; sa++) out.fill(c.values[sa], sa * S, sa * S + S);
  return out;
}

function uniform(n: number): Float64Array {
  return new Float64Array(n).fill(1 / n);
}

/** E_{s'~T(s,a)} R(s,a,s'), length S*A. */
export function expectedReward(mdp: TabularMdp, reward: Reward): Float64Array {
  return runSteps(expectedRewardSteps(mdp, reward));
}

/** `expectedReward` with a safe point per state (see util/steps.ts). */
function* expectedRewardSteps(mdp: TabularMdp, reward: Reward): Steps<Float64Array> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const T = mdp.transitions;
  const out = new Float64Array(S * A);
  for (let s = 0; s < S; s++) {
    for (let sa = s * A; sa < (s + 1) * A; sa++) {
      let acc = 0;
      const base = sa * S;
      for (let n = 0; n < S; n++) acc += T[base + n] * reward[base + n];
      out[sa] = acc;
    }
    yield;
  }
  return out;
}

function checkLength(name: string, x: Float64Array | undefined, n: number): void {
  if (x && x.length !== n) throw new UserError(`${name} must have ${n} entries, got ${x.length}`);
}

/**
 * Prepare canonicalisation `canon` for `mdp`. The returned function can be called for many
 * rewards; work that depends only on the MDP (VAL's LU factorisation of I - gamma*P_pi, the
 * minimal canonicalisation's normal matrix) is done once here and shared.
 */
export function createCanonicalizer(mdp: TabularMdp, canon: Canonicalization, opts: CanonicalizeOptions = {}): (reward: Reward) => CanonicalReward {
  const canonicalize = runSteps(canonicalizerSteps(mdp, canon, opts));
  return (r) => runSteps(canonicalize(r));
}

/**
 * `createCanonicalizer` as steps (util/steps.ts): the MDP's setup has a safe point per LU
 * column, and each reward's canonicalisation one per state (and per action for DARD's products),
 * so a large comparison can be stopped within a fraction of a second.
 */
export function* canonicalizerSteps(mdp: TabularMdp, canon: Canonicalization, opts: CanonicalizeOptions = {}): Steps<(reward: Reward) => Steps<CanonicalReward>> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  checkLength('state distribution', opts.stateDistribution, S);
  checkLength('action distribution', opts.actionDistribution, A);
  checkLength('policy', opts.policy, S * A);
  checkLength('minimal weights', opts.minimalWeights, S * A * S);
  switch (canon) {
    case 'none':
      return function* (r) {
        return { values: r, perStateAction: false };
      };
    case 'epic': {
      const dS = opts.stateDistribution ?? uniform(S);
      const dA = opts.actionDistribution ?? uniform(A);
      return function* (r) {
        return { values: yield* epic(mdp, r, dS, dA), perStateAction: false };
      };
    }
    case 'dard': {
      const setup = dardSetup(mdp, opts);
      return function* (r) {
        return { values: (yield* dardParts(mdp, r, setup)).assemble(), perStateAction: false };
      };
    }
    case 'val': {
      const policy = opts.policy ?? new Float64Array(S * A).fill(1 / A);
      const lu = yield* factorPolicyEvaluationSteps(mdp, policy);
      return function* (r) {
        return { values: yield* val(mdp, r, policy, lu), perStateAction: true };
      };
    }
    case 'minimal': {
      const w = opts.minimalWeights;
      const setup = yield* factorMinimal(mdp, w);
      return function* (r) {
        return { values: yield* minimal(mdp, r, w, setup), perStateAction: false };
      };
    }
    default:
      throw new UserError(`unknown canonicalisation "${canon as string}" (expected one of ${CANONICALIZATIONS.join(', ')})`);
  }
}

/**
 * Like `createCanonicalizer`, but the result is a `CanonicalSource`: for DARD the reward plus
 * its S x S shift, entries formed on demand (the same values; see canonicalSource.ts), for the
 * others the canonical array. What pairwise matrices use.
 */
export function createCanonicalSource(mdp: TabularMdp, canon: Canonicalization, opts: CanonicalizeOptions = {}): (reward: Reward) => CanonicalSource {
  const toSource = runSteps(canonicalSourceSteps(mdp, canon, opts));
  return (r) => runSteps(toSource(r));
}

/** `createCanonicalSource` as steps (see `canonicalizerSteps`). */
export function* canonicalSourceSteps(mdp: TabularMdp, canon: Canonicalization, opts: CanonicalizeOptions = {}): Steps<(reward: Reward) => Steps<CanonicalSource>> {
  if (canon === 'dard') {
    checkLength('action distribution', opts.actionDistribution, mdp.nActions);
    const setup = dardSetup(mdp, opts);
    return function* (r) {
      return (yield* dardParts(mdp, r, setup)).source;
    };
  }
  const c = yield* canonicalizerSteps(mdp, canon, opts);
  return function* (r) {
    const { values, perStateAction } = yield* c(r);
    return arraySource(values, perStateAction);
  };
}

/** One-off canonicalisation; use `createCanonicalizer` for many rewards on one MDP. */
export function canonicalize(mdp: TabularMdp, reward: Reward, canon: Canonicalization, opts?: CanonicalizeOptions): CanonicalReward {
  return createCanonicalizer(mdp, canon, opts)(reward);
}

/** EPIC: R + gamma*m(s') - m(s) - gamma*M, m(s) = E_{a~D_A, x~D_S} R(s,a,x). */
function* epic(mdp: TabularMdp, r: Reward, dS: Float64Array, dA: Float64Array): Steps<Float64Array> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const m = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    let acc = 0;
    for (let a = 0; a < A; a++) {
      const base = (s * A + a) * S;
      let inner = 0;
      for (let x = 0; x < S; x++) inner += dS[x] * r[base + x];
      acc += dA[a] * inner;
    }
    m[s] = acc;
    yield;
  }
  let M = 0;
  for (let s = 0; s < S; s++) M += dS[s] * m[s];
  const out = new Float64Array(r.length);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const base = (s * A + a) * S;
      const shift = -m[s] - g * M;
      for (let n = 0; n < S; n++) out[base + n] = r[base + n] + g * m[n] + shift;
    }
    yield;
  }
  return out;
}

/**
 * DARD: R + gamma*p(s') - p(s) - gamma * sum_a D_A(a) sum_{x,y} T(s,a,x) T(s',a,y) R(x,a,y),
 * p(s) = sum_a D_A(a) E_{x~T(s,a)} R(s,a,x) (see `dardParts`). The double sum, term(s, s'), is
 * two S x S matrix products per action (T_a R_a T_a^T). This version walks the non-zero entries
 * of T (CSR lists), so sparse MDPs such as gridworlds cost O(S * nnz) instead of O(A * S^3);
 * `dardTermDense` is for dense T.
 */
function* dardTermSparse(mdp: TabularMdp, r: Reward, dA: Float64Array, csr: { start: Int32Array; index: Int32Array }): Steps<Float64Array> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const T = mdp.transitions;
  const { start, index } = csr;
  const term = new Float64Array(S * S);
  const b = new Float64Array(S * S); // b[x][s'] = sum_y R(x,a,y) T(s',a,y)
  for (let a = 0; a < A; a++) {
    if (dA[a] === 0) continue;
    for (let x = 0; x < S; x++) {
      const rBase = (x * A + a) * S;
      for (let sp = 0; sp < S; sp++) {
        const sa = sp * A + a;
        const tBase = sa * S;
        let acc = 0;
        for (let k = start[sa]; k < start[sa + 1]; k++) {
          const y = index[k];
          acc += r[rBase + y] * T[tBase + y];
        }
        b[x * S + sp] = acc;
      }
      yield;
    }
    for (let s = 0; s < S; s++) {
      const sa = s * A + a;
      const tBase = sa * S;
      const row = s * S;
      for (let k = start[sa]; k < start[sa + 1]; k++) {
        const x = index[k];
        const f = dA[a] * T[tBase + x];
        const bRow = x * S;
        for (let sp = 0; sp < S; sp++) term[row + sp] += f * b[bRow + sp];
      }
      yield;
    }
  }
  return term;
}

/** T_a as A contiguous S x S blocks: packed[a*S*S + s*S + s'] = T(s, a, s'). */
function packByAction(mdp: TabularMdp): Float64Array {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const T = mdp.transitions;
  const out = new Float64Array(A * S * S);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) out.set(T.subarray((s * A + a) * S, (s * A + a + 1) * S), a * S * S + s * S);
  }
  return out;
}

/**
 * DARD's term for dense T: per action, Bt = (R_a T_a^T)^T (written transposed by the first product),
 * then term += D_A(a) * T_a Bt^T = D_A(a) * T_a R_a T_a^T. Same result as `dardTermSparse` up to rounding.
 * On the wasm kernel, `addDardTerm` runs the same products without per-product copies, called
 * once per action (a safe point between actions; the term goes in and out of wasm memory
 * unchanged, so the sums are those of one call over all actions).
 */
function* dardTermDense(mdp: TabularMdp, r: Reward, dA: Float64Array, packed: Float64Array): Steps<Float64Array> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const term = new Float64Array(S * S);
  const one = new Float64Array(A);
  let a = 0;
  for (; a < A; a++) {
    if (dA[a] === 0) continue;
    one.fill(0);
    one[a] = dA[a];
    if (!addDardTerm(S, A, r, packed, one, term)) break;
    yield;
  }
  // The JavaScript kernel for the actions left (all of them without the wasm kernel; a failed
  // call leaves the term untouched).
  let bt: Float64Array | undefined;
  for (; a < A; a++) {
    if (dA[a] === 0) continue;
    bt = bt?.fill(0) ?? new Float64Array(S * S);
    const ta = { data: packed, offset: a * S * S, rowStride: S };
    // bt[s'][x] = sum_y R(x,a,y) T(s',a,y)
    addProductABt(S, S, S, { data: r, offset: a * S, rowStride: A * S }, ta, { data: bt, offset: 0, rowStride: 1, colStride: S });
    // term[s][s'] += dA[a] * sum_x T(s,a,x) bt[s'][x]
    addProductABt(S, S, S, ta, { data: bt, offset: 0, rowStride: S }, { data: term, offset: 0, rowStride: S, colStride: 1 }, dA[a]);
    yield;
  }
  return term;
}

interface DardSetup {
  dA: Float64Array;
  csr: { start: Int32Array; index: Int32Array };
  /** Per-action copies T_a for dense MDPs (undefined: sparse, walk the CSR lists). */
  packed?: Float64Array;
}

function dardSetup(mdp: TabularMdp, opts: CanonicalizeOptions): DardSetup {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const dA = opts.actionDistribution ?? uniform(A);
  const csr = nonZeros(mdp.transitions, S * A, S);
  // Index lists only pay off when rows are sparse; dense MDPs use blocked matrix products
  // on per-action copies T_a (S x S, contiguous).
  const packed = csr.index.length > 0.5 * mdp.transitions.length ? packByAction(mdp) : undefined;
  return { dA, csr, packed };
}

/**
 * DARD's c = R + gamma*p(s') - p(s) - gamma*term(s, s'), p(s) = sum_a D_A(a) E_{x~T(s,a)}
 * R(s,a,x), both as a materialised array (`assemble`) and as a source computing the same
 * entries on demand (`source`).
 */
function* dardParts(mdp: TabularMdp, r: Reward, setup: DardSetup): Steps<{ assemble: () => Float64Array; source: CanonicalSource }> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  const { dA } = setup;
  const term = setup.packed ? yield* dardTermDense(mdp, r, dA, setup.packed) : yield* dardTermSparse(mdp, r, dA, setup.csr);
  const p = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    let acc = 0;
    for (let a = 0; a < A; a++) {
      const base = (s * A + a) * S;
      let inner = 0;
      for (let x = 0; x < S; x++) inner += T[base + x] * r[base + x];
      acc += dA[a] * inner;
    }
    p[s] = acc;
    yield;
  }
  // gamma*p(s') and gamma*term once (the same products as inline, so the same values), not A times.
  const gp = p.map((v) => g * v);
  for (let i = 0; i < term.length; i++) term[i] *= g;
  const AS = A * S;
  /** Entries e0 .. e0+m to out[at ..], row (s, a) by row. */
  const fill = (e0: number, m: number, out: Float64Array, at: number): void => {
    // Locals, not captured variables, in the loop: about 30% faster in V8.
    const R = r;
    const GP = gp;
    const GT = term;
    const end = e0 + m;
    let e = e0;
    while (e < end) {
      const s = Math.floor(e / AS);
      const base = e - (e % S);
      const stop = Math.min(end, base + S);
      const ps = p[s];
      const row = s * S;
      const shift = at - e0;
      for (let k = e; k < stop; k++) {
        const n = k - base;
        out[shift + k] = R[base + n] + GP[n] - ps - GT[row + n];
      }
      e = stop;
    }
  };
  return {
    assemble: () => {
      const out = new Float64Array(r.length);
      fill(0, r.length, out, 0);
      return out;
    },
    source: { length: r.length, perStateAction: false, fill },
  };
}

/** Compressed rows: the s' with T(s, a, s') != 0 for each of `rows` rows of length `width`. */
function nonZeros(T: Float64Array, rows: number, width: number): { start: Int32Array; index: Int32Array } {
  const start = new Int32Array(rows + 1);
  let count = 0;
  for (let i = 0; i < T.length; i++) if (T[i] !== 0) count++;
  const index = new Int32Array(count);
  let k = 0;
  for (let row = 0; row < rows; row++) {
    start[row] = k;
    const base = row * width;
    for (let n = 0; n < width; n++) if (T[base + n] !== 0) index[k++] = n;
  }
  start[rows] = k;
  return { start, index };
}

/** LU of I - gamma*P_pi, shared by every reward evaluated under the same policy. */
export function factorPolicyEvaluation(mdp: TabularMdp, policy: Float64Array): LuFactors {
  return runSteps(factorPolicyEvaluationSteps(mdp, policy));
}

function* factorPolicyEvaluationSteps(mdp: TabularMdp, policy: Float64Array): Steps<LuFactors> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  const m = new Float64Array(S * S);
  for (let s = 0; s < S; s++) {
    const row = s * S;
    for (let a = 0; a < A; a++) {
      const w = policy[s * A + a];
      if (w === 0) continue;
      const base = (s * A + a) * S;
      for (let n = 0; n < S; n++) m[row + n] -= g * w * T[base + n];
    }
    m[row + s] += 1;
  }
  // I - gamma*P is strictly diagonally dominant for gamma < 1, so this cannot be singular.
  return yield* luFactorSteps(m, S);
}

/** VAL: Q(s,a) - V(s) for the policy's value V under R (exact linear solve). Output S*A. */
function* val(mdp: TabularMdp, r: Reward, policy: Float64Array, lu: LuFactors): Steps<Float64Array> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  const rBar = yield* expectedRewardSteps(mdp, r);
  const rPi = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    let acc = 0;
    for (let a = 0; a < A; a++) acc += policy[s * A + a] * rBar[s * A + a];
    rPi[s] = acc;
  }
  const v = luSolve(lu, rPi);
  const out = new Float64Array(S * A);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const sa = s * A + a;
      const base = sa * S;
      let ev = 0;
      for (let n = 0; n < S; n++) ev += T[base + n] * v[n];
      out[sa] = rBar[sa] + g * ev - v[s];
    }
    yield;
  }
  return out;
}

/**
 * Minimal canonicalisation: among all rewards equivalent to R under potential shaping and
 * S'-redistribution, the one of least weighted L2 norm sum w(s,a,s') x(s,a,s')^2.
 *
 * For fixed expected rewards q(s,a) the least-norm x with sum_{s'} T x = q is
 * x = q * T / (w * K), K(s,a) = sum_{s'} T^2 / w, of squared norm q^2 / K. Shaping by Phi makes
 * q = rbar + gamma*T.Phi - Phi(s), so the problem is an S-dimensional weighted least-squares
 * problem in Phi with weights 1/K(s,a): (sum u u^T / K) Phi = -sum rbar u / K,
 * u = gamma*T(s,a,.) - e_s. Its matrix depends only on the MDP and is factored once.
 * This reproduces the spec's reference value (unit weights).
 */
interface MinimalSetup {
  lu: LuFactors;
  /** 1 / K(s,a). */
  omega: Float64Array;
}

function* factorMinimal(mdp: TabularMdp, w: Float64Array | undefined): Steps<MinimalSetup> {
  const { start, index } = nonZeros(mdp.transitions, mdp.nStates * mdp.nActions, mdp.nStates);
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  if (w) {
    for (let i = 0; i < w.length; i++) {
      if (!(w[i] > 0) || !Number.isFinite(w[i])) throw new UserError(`minimal canonicalisation weights must be finite and > 0 (entry ${i} is ${w[i]})`);
    }
  }
  const omega = new Float64Array(S * A);
  const m = new Float64Array(S * S);
  for (let sa = 0; sa < S * A; sa++) {
    const base = sa * S;
    let K = 0;
    for (let k = start[sa]; k < start[sa + 1]; k++) {
      const t = T[base + index[k]];
      K += (t * t) / (w ? w[base + index[k]] : 1);
    }
    omega[sa] = 1 / K;
  }
  const dense = index.length > 0.5 * T.length;
  if (dense) {
    // Dense T: the gamma^2 * sum om T(s,a,.) T(s,a,.)^T part is gamma^2 * W^T W with
    // W(sa, i) = sqrt(om) T(s,a,i), one blocked product (rank-one updates would stream the
    // whole S x S matrix once per (s, a)).
    const wt = new Float64Array(S * S * A); // W^T, S x SA
    for (let sa = 0; sa < S * A; sa++) {
      const f = Math.sqrt(omega[sa]);
      const base = sa * S;
      for (let i = 0; i < S; i++) wt[i * S * A + sa] = f * T[base + i];
    }
    const view = { data: wt, offset: 0, rowStride: S * A };
    addProductABt(S, S, S * A, view, view, { data: m, offset: 0, rowStride: S, colStride: 1 }, g * g);
  }
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const sa = s * A + a;
      const base = sa * S;
      const om = omega[sa];
      // om * u u^T with u = g*T(s,a,.) - e_s: the cross and diagonal terms here; the
      // T T^T term too for sparse T (over the non-zeros of T(s,a,.)).
      for (let ki = start[sa]; ki < start[sa + 1]; ki++) {
        const i = index[ki];
        const c = g * T[base + i] * om;
        if (!dense) {
          const row = i * S;
          const cg = c * g;
          for (let kj = start[sa]; kj < start[sa + 1]; kj++) {
            const j = index[kj];
            m[row + j] += cg * T[base + j];
          }
        }
        m[i * S + s] -= c;
        m[s * S + i] -= c;
      }
      m[s * S + s] += om;
    }
    yield;
  }
  try {
    return { lu: yield* luFactorSteps(m, S), omega };
  } catch (e) {
    if (e instanceof SingularMatrixError) throw new UserError('minimal canonicalisation: the least-squares problem for the potential is singular');
    throw e;
  }
}

function* minimal(mdp: TabularMdp, r: Reward, w: Float64Array | undefined, setup: MinimalSetup): Steps<Float64Array> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  const T = mdp.transitions;
  const { lu, omega } = setup;
  const rBar = yield* expectedRewardSteps(mdp, r);
  const rhs = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const sa = s * A + a;
      const f = omega[sa] * rBar[sa];
      if (f === 0) continue;
      const base = sa * S;
      for (let n = 0; n < S; n++) rhs[n] -= f * g * T[base + n];
      rhs[s] += f;
    }
    yield;
  }
  const phi = luSolve(lu, rhs);
  const out = new Float64Array(r.length);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const sa = s * A + a;
      const base = sa * S;
      let ev = 0;
      for (let n = 0; n < S; n++) ev += T[base + n] * phi[n];
      const q = rBar[sa] + g * ev - phi[s];
      const f = q * omega[sa];
      for (let n = 0; n < S; n++) out[base + n] = (f * T[base + n]) / (w ? w[base + n] : 1);
    }
    yield;
  }
  return out;
}
