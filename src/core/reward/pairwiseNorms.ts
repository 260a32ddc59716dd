import { UserError } from '../errors';
import { arraySource, CanonicalSource } from './canonicalSource';
import { Norm, NormContext, NORMS } from './norms';
import { createPairwiseWasm, PairwiseWasm } from './wasm/pairwiseWasm';
import { runSteps, type Steps } from '../util/steps';

/**
 * norm(k_i x_i - k_j x_j) for every pair of n arrays at once: the pairwise stage of a distance
 * matrix (x_i a canonical reward, k_i its standardisation factor).
 *
 * Why: pair by pair, each of the n(n-1)/2 norms streams two full arrays from memory (DARD at
 * 512 states, 8 actions: 120 pairs x 2 x 16 MB = 3.8 GB for 16 rewards), and standardising
 * first meant a scaled copy of every array. Here the entries are walked in blocks whose scaled
 * copies for all n arrays fit in L2, every pair's sum is carried from block to block, and
 * k_i x_i is formed once per entry in the block copy. Each array is read from memory once.
 *
 * Results are bit-identical to `normOfDifference` on materialised k_i x_i, pair by pair: each
 * pair still adds its entries' terms one at a time in entry order, with the same float64
 * operations. Only which pairs are interleaved changes (several pairs per loop for
 * instruction-level parallelism in JavaScript, two per f64x2 vector in wasm).
 *
 * Kernel: the wasm SIMD one (`wasm/pairwiseWasm.ts`, in `dist/gemm64.wasm`) for large inputs,
 * this file's JavaScript otherwise or with MODEL_LAB_GEMM=js (the switch for all the reward
 * wasm kernels, read once).
 */

/** Scaled block copies of all arrays together stay within this many bytes (L2 is 512 KB). */
const BLOCK_BUDGET_BYTES = 192 * 1024;
const MIN_BLOCK = 256;
/** Below this many pair-entries the wasm copies cost more than they save. */
const WASM_MIN = 1 << 16;

/**
 * A block's pairs x entries stay within this many terms (~30 ms), so that the safe point after
 * each block comes often enough to stop within a fraction of a second (with thousands of
 * rewards, one block of MIN_BLOCK entries held millions of pairs). Measured: blocks of 16
 * entries cost no more than 256 for 2,000 rewards.
 */
const PAIR_TERMS_PER_BLOCK = 1 << 25;

/** Entries per block for n arrays. */
export function pairwiseBlockSize(count: number): number {
  const n = Math.max(1, count);
  const cache = Math.max(MIN_BLOCK, Math.floor(BLOCK_BUDGET_BYTES / 8 / n) & ~3);
  const pairs = (n * (n - 1)) / 2;
  return pairs > 0 ? Math.min(cache, Math.max(4, Math.floor(PAIR_TERMS_PER_BLOCK / pairs) & ~3)) : cache;
}

/** Module state on purpose (as in denseProduct.ts): compiled once, holds no data between calls. */
let shared: PairwiseWasm | null | undefined;

function wasmKernel(): PairwiseWasm | null {
  if (shared === undefined) shared = process.env.MODEL_LAB_GEMM === 'js' ? null : (createPairwiseWasm() ?? null);
  return shared;
}

/** Which kernel large pairwise stages use. */
export function pairwiseKernel(): 'wasm' | 'js' {
  return wasmKernel() ? 'wasm' : 'js';
}

export interface PairwiseOptions {
  /** Entries per block (default `pairwiseBlockSize(n)`). */
  blockSize?: number;
  /** 'auto' (default): wasm for large inputs; 'js': the JavaScript kernel; 'wasm': wasm whenever available (tests). */
  kernel?: 'auto' | 'js' | 'wasm';
}

/**
 * Symmetric n x n matrix (row-major, zero diagonal) of norm(scales[i] * values[i] -
 * scales[j] * values[j]). `values` are arrays or canonical sources (read block by block), all
 * in one layout: full S*A*S, or S*A standing for values constant in s' (`perStateAction`), as
 * in `normOfDifference`.
 * A scale of 0 stands for the zero array (a trivial reward), whatever `values` holds.
 */
export function pairwiseNormsOfDifferences(ctx: NormContext, arrays: readonly (Float64Array | CanonicalSource)[], scales: readonly number[], perStateAction: boolean, norm: Norm, opts: PairwiseOptions = {}): Float64Array {
  return runSteps(pairwiseNormsSteps(ctx, arrays, scales, perStateAction, norm, opts));
}

/**
 * `pairwiseNormsOfDifferences` as steps (util/steps.ts): a safe point after each block of
 * entries, reporting the fraction of entries done.
 */
export function* pairwiseNormsSteps(ctx: NormContext, arrays: readonly (Float64Array | CanonicalSource)[], scales: readonly number[], perStateAction: boolean, norm: Norm, opts: PairwiseOptions = {}): Steps<Float64Array> {
  const values = arrays.map((v) => (v instanceof Float64Array ? arraySource(v, perStateAction) : v));
  const n = values.length;
  const kind = NORMS.indexOf(norm);
  if (kind < 0) throw new UserError(`unknown norm "${norm as string}" (expected one of ${NORMS.join(', ')})`);
  if (scales.length !== n) throw new RangeError(`pairwiseNormsOfDifferences: ${n} arrays but ${scales.length} scales`);
  const out = new Float64Array(n * n);
  if (n < 2) return out;
  const len = values[0].length;
  for (const v of values) if (v.length !== len) throw new RangeError(`pairwiseNormsOfDifferences: lengths differ (${len} vs ${v.length})`);
  // Per-entry weights, as in normOfDifference: T for full arrays; row sums (weighted_1/2) or
  // row maxima (weighted_inf) for a value constant in s'.
  const weights = kind === 5 ? (perStateAction ? ctx.rowMax : ctx.transitions) : perStateAction ? ctx.rowSum : ctx.transitions;
  const block = Math.max(4, opts.blockSize ?? pairwiseBlockSize(n));
  const kernel = opts.kernel ?? 'auto';
  const wasm = kernel === 'wasm' || (kernel === 'auto' && (len * n * (n - 1)) / 2 >= WASM_MIN) ? wasmKernel() : null;
  const acc = (wasm ? yield* wasm.accumulate(kind, values, scales, weights, block) : undefined) ?? (yield* accumulateJs(kind, values, scales, weights, block));
  // Unweighted norms of a value constant in s' count each (s, a) S times.
  const copies = perStateAction ? ctx.nStates : 1;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = acc[i * n + j];
      const d = kind === 0 ? s * copies : kind === 1 ? Math.sqrt(s * copies) : kind === 4 ? Math.sqrt(s) : s;
      out[i * n + j] = d;
      out[j * n + i] = d;
    }
  }
  return out;
}

/** The JavaScript kernel: accumulators as `PairwiseWasm.accumulate`. */
function* accumulateJs(kind: number, values: readonly CanonicalSource[], scales: readonly number[], weights: Float64Array, block: number): Steps<Float64Array> {
  const n = values.length;
  const len = values[0].length;
  const x = new Float64Array(n * block);
  const acc = new Float64Array(n * n);
  for (let e0 = 0; e0 < len; e0 += block) {
    const m = Math.min(block, len - e0);
    accumulateBlockJs(kind, values, scales, weights, block, e0, m, x, acc);
    yield { fraction: (e0 + m) / len, message: 'pairwise distances' };
  }
  return acc;
}

/** One block of entries [e0, e0 + m): scaled copies into `x`, then every pair's terms into `acc`. */
function accumulateBlockJs(kind: number, values: readonly CanonicalSource[], scales: readonly number[], weights: Float64Array, block: number, e0: number, m: number, x: Float64Array, acc: Float64Array): void {
  const n = values.length;
  const tile = TILES[kind];
  {
    for (let i = 0; i < n; i++) {
      const v = values[i].values;
      const k = scales[i];
      const at = i * block;
      if (k === 0) {
        x.fill(0, at, at + m);
      } else if (v) {
        for (let e = e0; e < e0 + m; e++) x[at - e0 + e] = v[e] * k;
      } else {
        values[i].fill(e0, m, x, at);
        for (let e = at; e < at + m; e++) x[e] *= k;
      }
    }
    for (let i = 0; i < n - 1; i++) {
      // Four pairs (i, j..j+3) per pass; a short last group repeats its last pair (same
      // start, same data, same result written twice).
      for (let j = i + 1; j < n; j += 4) {
        const j1 = Math.min(j + 1, n - 1);
        const j2 = Math.min(j + 2, n - 1);
        const j3 = Math.min(j + 3, n - 1);
        tile(x, i * block, j * block, j1 * block, j2 * block, j3 * block, m, weights, e0, acc, i * n + j, i * n + j1, i * n + j2, i * n + j3);
      }
    }
  }
}

/**
 * acc[p_q] (+)= terms of pair (a, b_q) over one block, q < 4, each pair in entry order with
 * one running sum (or max), the operations of `normOfDifference`. One function per norm kind
 * (NORMS order) keeps the loops monomorphic.
 */
type Tile = (x: Float64Array, a: number, b0: number, b1: number, b2: number, b3: number, m: number, w: Float64Array, w0: number, acc: Float64Array, p0: number, p1: number, p2: number, p3: number) => void;

const TILES: readonly Tile[] = [
  (x, a, b0, b1, b2, b3, m, _w, _w0, acc, p0, p1, p2, p3) => {
    let s0 = acc[p0], s1 = acc[p1], s2 = acc[p2], s3 = acc[p3];
    for (let e = 0; e < m; e++) {
      const xi = x[a + e];
      s0 += Math.abs(xi - x[b0 + e]);
      s1 += Math.abs(xi - x[b1 + e]);
      s2 += Math.abs(xi - x[b2 + e]);
      s3 += Math.abs(xi - x[b3 + e]);
    }
    acc[p0] = s0; acc[p1] = s1; acc[p2] = s2; acc[p3] = s3;
  },
  (x, a, b0, b1, b2, b3, m, _w, _w0, acc, p0, p1, p2, p3) => {
    let s0 = acc[p0], s1 = acc[p1], s2 = acc[p2], s3 = acc[p3];
    for (let e = 0; e < m; e++) {
      const xi = x[a + e];
      const d0 = xi - x[b0 + e];
      const d1 = xi - x[b1 + e];
      const d2 = xi - x[b2 + e];
      const d3 = xi - x[b3 + e];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    acc[p0] = s0; acc[p1] = s1; acc[p2] = s2; acc[p3] = s3;
  },
  (x, a, b0, b1, b2, b3, m, _w, _w0, acc, p0, p1, p2, p3) => {
    let s0 = acc[p0], s1 = acc[p1], s2 = acc[p2], s3 = acc[p3];
    for (let e = 0; e < m; e++) {
      const xi = x[a + e];
      const d0 = Math.abs(xi - x[b0 + e]);
      const d1 = Math.abs(xi - x[b1 + e]);
      const d2 = Math.abs(xi - x[b2 + e]);
      const d3 = Math.abs(xi - x[b3 + e]);
      if (d0 > s0) s0 = d0;
      if (d1 > s1) s1 = d1;
      if (d2 > s2) s2 = d2;
      if (d3 > s3) s3 = d3;
    }
    acc[p0] = s0; acc[p1] = s1; acc[p2] = s2; acc[p3] = s3;
  },
  (x, a, b0, b1, b2, b3, m, w, w0, acc, p0, p1, p2, p3) => {
    let s0 = acc[p0], s1 = acc[p1], s2 = acc[p2], s3 = acc[p3];
    for (let e = 0; e < m; e++) {
      const xi = x[a + e];
      const t = w[w0 + e];
      s0 += t * Math.abs(xi - x[b0 + e]);
      s1 += t * Math.abs(xi - x[b1 + e]);
      s2 += t * Math.abs(xi - x[b2 + e]);
      s3 += t * Math.abs(xi - x[b3 + e]);
    }
    acc[p0] = s0; acc[p1] = s1; acc[p2] = s2; acc[p3] = s3;
  },
  (x, a, b0, b1, b2, b3, m, w, w0, acc, p0, p1, p2, p3) => {
    let s0 = acc[p0], s1 = acc[p1], s2 = acc[p2], s3 = acc[p3];
    for (let e = 0; e < m; e++) {
      const xi = x[a + e];
      const t = w[w0 + e];
      const d0 = xi - x[b0 + e];
      const d1 = xi - x[b1 + e];
      const d2 = xi - x[b2 + e];
      const d3 = xi - x[b3 + e];
      s0 += t * d0 * d0;
      s1 += t * d1 * d1;
      s2 += t * d2 * d2;
      s3 += t * d3 * d3;
    }
    acc[p0] = s0; acc[p1] = s1; acc[p2] = s2; acc[p3] = s3;
  },
  (x, a, b0, b1, b2, b3, m, w, w0, acc, p0, p1, p2, p3) => {
    let s0 = acc[p0], s1 = acc[p1], s2 = acc[p2], s3 = acc[p3];
    for (let e = 0; e < m; e++) {
      const xi = x[a + e];
      const t = w[w0 + e];
      const d0 = t * Math.abs(xi - x[b0 + e]);
      const d1 = t * Math.abs(xi - x[b1 + e]);
      const d2 = t * Math.abs(xi - x[b2 + e]);
      const d3 = t * Math.abs(xi - x[b3 + e]);
      if (d0 > s0) s0 = d0;
      if (d1 > s1) s1 = d1;
      if (d2 > s2) s2 = d2;
      if (d3 > s3) s3 = d3;
    }
    acc[p0] = s0; acc[p1] = s1; acc[p2] = s2; acc[p3] = s3;
  },
];
