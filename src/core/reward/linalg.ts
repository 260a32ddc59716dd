import { runSteps, type Steps } from '../util/steps';

/**
 * Dense float64 linear algebra for the small systems reward metrics need (S x S with S up to a
 * few thousand): LU factorisation with partial pivoting and triangular solves.
 *
 * Why hand-written: the systems are small and dense, must be float64 (tfjs tensors are float32)
 * and one factorisation is reused for many right-hand sides (one per reward), which no
 * maintained pure-JS package offers with typed arrays.
 */

/** LU factors of a square matrix, packed in one row-major array (unit lower L below the diagonal). */
export interface LuFactors {
  readonly n: number;
  /** Row-major n x n: U on and above the diagonal, L (without its unit diagonal) below. */
  readonly lu: Float64Array;
  /** Row permutation: row i of P*A is row `perm[i]` of A. */
  readonly perm: Int32Array;
}

/** Thrown when the matrix is singular to working precision; callers turn it into a UserError. */
export class SingularMatrixError extends Error {
  constructor(readonly column: number) {
    super(`matrix is singular (no usable pivot in column ${column})`);
    this.name = 'SingularMatrixError';
  }
}

/**
 * Factor the row-major n x n matrix `a` as P*A = L*U (Doolittle, partial pivoting).
 * `a` is not modified. A pivot below `1e-14 * max|a|` counts as singular.
 */
export function luFactor(a: Float64Array, n: number): LuFactors {
  return runSteps(luFactorSteps(a, n));
}

/** `luFactor` with a safe point after each column (see util/steps.ts): S = 4,000 is ~10^10 multiply-adds. */
export function* luFactorSteps(a: Float64Array, n: number): Steps<LuFactors> {
  if (a.length !== n * n) throw new RangeError(`luFactor: expected ${n * n} entries, got ${a.length}`);
  const lu = Float64Array.from(a);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let scale = 0;
  for (let i = 0; i < lu.length; i++) scale = Math.max(scale, Math.abs(lu[i]));
  const tiny = 1e-14 * (scale || 1);

  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(lu[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > tiny)) throw new SingularMatrixError(k);
    if (p !== k) {
      const rk = k * n;
      const rp = p * n;
      for (let j = 0; j < n; j++) {
        const t = lu[rk + j];
        lu[rk + j] = lu[rp + j];
        lu[rp + j] = t;
      }
      const t = perm[k];
      perm[k] = perm[p];
      perm[p] = t;
    }
    const pivot = lu[k * n + k];
    const rowK = k * n;
    for (let i = k + 1; i < n; i++) {
      const rowI = i * n;
      const f = lu[rowI + k] / pivot;
      lu[rowI + k] = f;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) lu[rowI + j] -= f * lu[rowK + j];
    }
    yield;
  }
  return { n, lu, perm };
}

/** Solve A x = b with the factors of A. Returns a new array. */
export function luSolve(f: LuFactors, b: ArrayLike<number>): Float64Array {
  const { n, lu, perm } = f;
  if (b.length !== n) throw new RangeError(`luSolve: expected ${n} entries, got ${b.length}`);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = b[perm[i]];
  // Forward substitution with unit lower L.
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = x[i];
    for (let j = 0; j < i; j++) s -= lu[row + j] * x[j];
    x[i] = s;
  }
  // Back substitution with U.
  for (let i = n - 1; i >= 0; i--) {
    const row = i * n;
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= lu[row + j] * x[j];
    x[i] = s / lu[row + i];
  }
  return x;
}

/** Solve A x = b once (factor + solve). Prefer `luFactor` + `luSolve` for many right-hand sides. */
export function solve(a: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return luSolve(luFactor(a, n), b);
}

/** y = M x for a row-major n x m matrix M. */
export function matVec(m: Float64Array, rows: number, cols: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const row = i * cols;
    for (let j = 0; j < cols; j++) s += m[row + j] * x[j];
    y[i] = s;
  }
  return y;
}
