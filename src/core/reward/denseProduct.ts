import type { MatrixView, OutputView } from './matrixView';
import { createFloat64Gemm, Float64Gemm } from './wasm/float64Gemm';

/**
 * The one dense matrix product the O(S^3) canonicalisations need (DARD's T_a R_a T_a^T and the
 * minimal canonicalisation's normal matrix T^T diag(w) T): `out += alpha * A * B^T`, float64.
 *
 * `addProductABt` runs it on the WebAssembly SIMD kernel (`wasm/float64Gemm.ts`, 5-7x this
 * file's JavaScript kernel per core, and shared with helper threads) when `dist/gemm64.wasm` is
 * built, and on `addProductABtJs` otherwise or for tiny products. Environment overrides, read
 * once: MODEL_LAB_GEMM=js forces the JavaScript kernel; MODEL_LAB_GEMM_THREADS=n sets the
 * threads per product (default: min(cores, 4)).
 *
 * The JavaScript kernel: the products must be float64 (tfjs is float32), and with
 * both operands read along rows (A * B^T) every inner loop walks contiguous memory. A 4 x 2 block
 * of outputs is accumulated at once (8 independent sums, 6 loads per 8 multiply-adds), which is
 * 3-6x faster in V8 than the plain triple loop. The sum over k is cut into chunks of DEPTH_BLOCK
 * and the columns into blocks of COL_BLOCK, so the rows in use stay in L1/L2 cache for large
 * matrices (S = 512: rows of 4096 entries in the minimal canonicalisation's product). The output
 * may be written with any strides, so a caller can get a product transposed for free (DARD
 * chains two products that way).
 */
const DEPTH_BLOCK = 256;
const COL_BLOCK = 64;

/** Below this many multiply-adds (about 25^3) copying into wasm memory costs more than it saves. */
const WASM_MIN = 1 << 14;

/**
 * The process's wasm kernel: created on first use, null when unavailable. Module state on
 * purpose: the compiled module, its memory and its helper threads are expensive to set up and
 * hold no data between calls, so results never depend on it.
 */
let shared: Float64Gemm | null | undefined;

function wasmKernel(): Float64Gemm | null {
  if (shared === undefined) {
    const threads = Number(process.env.MODEL_LAB_GEMM_THREADS);
    shared = process.env.MODEL_LAB_GEMM === 'js' ? null : (createFloat64Gemm(threads >= 1 ? { threads } : {}) ?? null);
  }
  return shared;
}

/** Which kernel large products use: 'wasm' (with its thread count) or 'js'. */
export function denseProductKernel(): { kernel: 'wasm' | 'js'; threads: number } {
  const k = wasmKernel();
  return k ? { kernel: 'wasm', threads: k.threads } : { kernel: 'js', threads: 1 };
}

/**
 * out(i, j) += alpha * sum_{k < depth} a(i, k) * b(j, k), for i < rows, j < cols.
 */
export function addProductABt(rows: number, cols: number, depth: number, a: MatrixView, b: MatrixView, out: OutputView, alpha = 1): void {
  const k = rows * cols * depth >= WASM_MIN ? wasmKernel() : null;
  if (k) {
    try {
      if (k.addProductABt(rows, cols, depth, a, b, out, alpha)) return;
    } catch {
      // A helper thread failed (out is untouched): stop using the wasm kernel in this process.
      shared = null;
      void k.close();
    }
  }
  addProductABtJs(rows, cols, depth, a, b, out, alpha);
}

/**
 * DARD's term += sum_a weights[a] * T_a R_a T_a^T on the wasm kernel with its operands kept in
 * the module's memory (`Float64Gemm.dardTerm`: same products and roundings as two
 * `addProductABt` calls per action, without copying operands in and out for each). False when
 * the wasm kernel is not in use or cannot take this shape; the caller then runs the products
 * itself. `packedT` must not change between calls that pass it (the kernel keeps a copy).
 */
export function addDardTerm(S: number, A: number, r: Float64Array, packedT: Float64Array, weights: Float64Array, term: Float64Array): boolean {
  const k = S * S * S >= WASM_MIN ? wasmKernel() : null;
  if (!k) return false;
  try {
    return k.dardTerm(S, A, r, packedT, weights, term);
  } catch {
    // As in addProductABt: a helper failed (term is untouched), stop using the wasm kernel.
    shared = null;
    void k.close();
    return false;
  }
}

/**
 * The JavaScript kernel: out(i, j) += alpha * sum_{k < depth} a(i, k) * b(j, k).
 */
export function addProductABtJs(rows: number, cols: number, depth: number, a: MatrixView, b: MatrixView, out: OutputView, alpha = 1): void {
  for (let k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
    const kn = Math.min(DEPTH_BLOCK, depth - k0);
    for (let j0 = 0; j0 < cols; j0 += COL_BLOCK) {
      const jn = Math.min(COL_BLOCK, cols - j0);
      addBlock(
        rows,
        jn,
        kn,
        { data: a.data, offset: a.offset + k0, rowStride: a.rowStride },
        { data: b.data, offset: b.offset + j0 * b.rowStride + k0, rowStride: b.rowStride },
        { data: out.data, offset: out.offset + j0 * out.colStride, rowStride: out.rowStride, colStride: out.colStride },
        alpha,
      );
    }
  }
}

/** The kernel on one block (all rows, `cols` columns, `depth` terms of the sum). */
function addBlock(rows: number, cols: number, depth: number, a: MatrixView, b: MatrixView, out: OutputView, alpha: number): void {
  const A = a.data;
  const B = b.data;
  const O = out.data;
  const ors = out.rowStride;
  const ocs = out.colStride;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const a0 = a.offset + i * a.rowStride;
    const a1 = a0 + a.rowStride;
    const a2 = a1 + a.rowStride;
    const a3 = a2 + a.rowStride;
    const o0 = out.offset + i * ors;
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const b0 = b.offset + j * b.rowStride;
      const b1 = b0 + b.rowStride;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let k = 0; k < depth; k++) {
        const x0 = B[b0 + k];
        const x1 = B[b1 + k];
        const y0 = A[a0 + k];
        const y1 = A[a1 + k];
        const y2 = A[a2 + k];
        const y3 = A[a3 + k];
        s00 += y0 * x0;
        s01 += y0 * x1;
        s10 += y1 * x0;
        s11 += y1 * x1;
        s20 += y2 * x0;
        s21 += y2 * x1;
        s30 += y3 * x0;
        s31 += y3 * x1;
      }
      const c0 = o0 + j * ocs;
      const c1 = c0 + ocs;
      O[c0] += alpha * s00;
      O[c1] += alpha * s01;
      O[c0 + ors] += alpha * s10;
      O[c1 + ors] += alpha * s11;
      O[c0 + 2 * ors] += alpha * s20;
      O[c1 + 2 * ors] += alpha * s21;
      O[c0 + 3 * ors] += alpha * s30;
      O[c1 + 3 * ors] += alpha * s31;
    }
    for (; j < cols; j++) {
      const b0 = b.offset + j * b.rowStride;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < depth; k++) {
        const x = B[b0 + k];
        s0 += A[a0 + k] * x;
        s1 += A[a1 + k] * x;
        s2 += A[a2 + k] * x;
        s3 += A[a3 + k] * x;
      }
      const c = o0 + j * ocs;
      O[c] += alpha * s0;
      O[c + ors] += alpha * s1;
      O[c + 2 * ors] += alpha * s2;
      O[c + 3 * ors] += alpha * s3;
    }
  }
  for (; i < rows; i++) {
    const a0 = a.offset + i * a.rowStride;
    const o0 = out.offset + i * ors;
    for (let j = 0; j < cols; j++) {
      const b0 = b.offset + j * b.rowStride;
      let s = 0;
      for (let k = 0; k < depth; k++) s += A[a0 + k] * B[b0 + k];
      O[o0 + j * ocs] += alpha * s;
    }
  }
}
