// to dist/gemm64.wasm; the project's tsc only needs to parse it.
/*
 * Float64 matrix product C (+)= A * B^T in WebAssembly SIMD (f64x2), for the O(S^3) reward
 * canonicalisations (DARD's T_a R_a T_a^T, the minimal canonicalisation's normal matrix), and
 * the SIMD copy back `out += alpha * C`. Loader and threads: ../float64Gemm.ts.
 *
 * Layout, all row-major float64 in the module's (imported) memory, pointers in bytes:
 *   A: m x k (row stride k), B: n x k (row stride k), C: mPad x nPad (row stride nPad), where
 *   mPad, nPad are m, n rounded up to MR, NR. C is overwritten (bit 0 of `first`) or accumulated
 *   into, whole MR x NR tiles at a time; the caller reads back the m x n corner.
 *   packA: MC * KC = 32768 doubles of scratch, packB: (j1 - j0) * KC (see gemm).
 *
 * Structure (the usual GEMM blocking): for each KC-slice of the sum, B's slice is packed into
 * NR-wide panels (k-major, so the micro-kernel reads it sequentially); for each MC-row block
 * A's slice is packed into MR-tall panels; then every MR x NR tile of C is computed by the
 * register-blocked micro-kernel. A panel of B (KC * NR * 8 = 8 KB) stays in L1 while the A
 * block (MC * KC * 8 = 256 KB) stays in L2.
 *
 * Micro-kernel: a 4 x 4 tile in 8 f64x2 accumulators; per step of k it loads two vectors of B
 * and splats four scalars of A: 6 loads for 8 multiply-adds. Built twice (scripts/build.mjs):
 * with relaxed SIMD each multiply-add is one fused instruction (gemm64Fma.wasm, chosen where the
 * runtime accepts it: ../float64Gemm.ts), else a multiply and an add. Each output sums its terms
 * in the same order as the JavaScript kernel (sequentially within blocks of 256): the plain
 * build with the same roundings, the fused one rounding once per multiply-add. Variants measured and dropped:
 * a 6 x 4 tile (spills), k unrolled by 2, B packed with swapped pairs instead of splats of A,
 * other KC/MC (all equal or slower).
 */

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;

/**
 * Columns j0 .. j1 of C = A * B^T (`first` & 1) or C += A * B^T (j0, j1 multiples of NR,
 * j1 <= nPad); packB holds (j1 - j0) * KC doubles. Threads share one product by taking disjoint
 * column ranges.
 */
export function gemm(m: i32, n: i32, k: i32, a: usize, b: usize, c: usize, packA: usize, packB: usize, j0: i32, j1: i32, first: i32): void {
  const mPad = (m + MR - 1) & ~(MR - 1);
  const nPad = (n + NR - 1) & ~(NR - 1);
  const ldc = <usize>nPad << 3;
  const width = j1 - j0;
  // Bit 1 of `first`: `a` is already packed by packAll (once per product, instead of once per
  // column range: with 64-column ranges a 512-row A was packed 8 times).
  const prepacked = (first & 2) != 0;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const panelBytes = <usize>kc << 5; // kc * 4 doubles
    pack(b + (<usize>j0 * k << 3), min(width, n - j0), width, k, p0, kc, packB);
    for (let i0 = 0; i0 < mPad; i0 += MC) {
      const mc = min(MC, mPad - i0);
      let ap = packA;
      if (prepacked) ap = a + ((<usize>p0 * <usize>mPad + <usize>i0 * <usize>kc) << 3);
      else pack(a + (<usize>i0 * k << 3), min(mc, m - i0), mc, k, p0, kc, packA);
      const ap0 = ap;
      for (let j = 0; j < width; j += NR) {
        const bp = packB + (<usize>(j >> 2)) * panelBytes;
        let cp = c + (<usize>i0 * ldc) + (<usize>(j0 + j) << 3);
        ap = ap0;
        for (let i = 0; i < mc; i += MR) {
          tile(kc, ap, bp, cp, ldc, (first & 1) != 0 && p0 == 0);
          ap += panelBytes;
          cp += ldc << 2;
        }
      }
    }
  }
}

/**
 * All of A (m x k, row stride k) packed as gemm would pack it block by block, to `out`
 * (mPad * k doubles): the block for depth p0 and rows i0 starts at double p0 * mPad + i0 * kc.
 */
export function packAll(m: i32, k: i32, a: usize, out: usize): void {
  const mPad = (m + MR - 1) & ~(MR - 1);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    for (let i0 = 0; i0 < mPad; i0 += MC) {
      const mc = min(MC, mPad - i0);
      pack(a + (<usize>i0 * k << 3), min(mc, m - i0), mc, k, p0, kc, out + ((<usize>p0 * <usize>mPad + <usize>i0 * <usize>kc) << 3));
    }
  }
}

/**
 * Pack columns p0 .. p0+kc of `rows` rows (row stride k) into 4-row panels, k-major:
 * out[panel][kk][r] = src[(4*panel + r) * k + p0 + kk]; rows from `rows` to `rowsPad` are zero.
 */
function pack(src: usize, rows: i32, rowsPad: i32, k: i32, p0: i32, kc: i32, out: usize): void {
  const ld = <usize>k << 3;
  let o = out;
  for (let r = 0; r < rowsPad; r += 4) {
    if (r + 4 <= rows) {
      const s0 = src + <usize>r * ld + (<usize>p0 << 3);
      const s1 = s0 + ld;
      const s2 = s1 + ld;
      const s3 = s2 + ld;
      let kk = 0;
      // Two k at a time: transpose 2 x 4 values with shuffles.
      for (; kk + 2 <= kc; kk += 2) {
        const off = <usize>kk << 3;
        const x0 = v128.load(s0 + off);
        const x1 = v128.load(s1 + off);
        const x2 = v128.load(s2 + off);
        const x3 = v128.load(s3 + off);
        v128.store(o, v128.shuffle<f64>(x0, x1, 0, 2));
        v128.store(o, v128.shuffle<f64>(x2, x3, 0, 2), 16);
        v128.store(o, v128.shuffle<f64>(x0, x1, 1, 3), 32);
        v128.store(o, v128.shuffle<f64>(x2, x3, 1, 3), 48);
        o += 64;
      }
      for (; kk < kc; kk++) {
        const off = <usize>kk << 3;
        store<f64>(o, load<f64>(s0 + off));
        store<f64>(o, load<f64>(s1 + off), 8);
        store<f64>(o, load<f64>(s2 + off), 16);
        store<f64>(o, load<f64>(s3 + off), 24);
        o += 32;
      }
    } else {
      for (let kk = 0; kk < kc; kk++) {
        for (let q = 0; q < 4; q++) {
          const row = r + q;
          store<f64>(o, row < rows ? load<f64>(src + <usize>row * ld + (<usize>(p0 + kk) << 3)) : 0.0);
          o += 8;
        }
      }
    }
  }
}

/** C[0..4][0..4] (+)= sum_kk ap[kk][0..4] (x) bp[kk][0..4]; ldc in bytes. */
function tile(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, overwrite: bool): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  for (let kk = 0; kk < kc; kk++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load64_splat(ap);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load64_splat(ap, 8);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load64_splat(ap, 16);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load64_splat(ap, 24);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    ap += 32;
    bp += 32;
  }
  let r = c;
  if (overwrite) {
    v128.store(r, c00);
    v128.store(r, c01, 16);
    r += ldc;
    v128.store(r, c10);
    v128.store(r, c11, 16);
    r += ldc;
    v128.store(r, c20);
    v128.store(r, c21, 16);
    r += ldc;
    v128.store(r, c30);
    v128.store(r, c31, 16);
    return;
  }
  v128.store(r, f64x2.add(v128.load(r), c00));
  v128.store(r, f64x2.add(v128.load(r, 16), c01), 16);
  r += ldc;
  v128.store(r, f64x2.add(v128.load(r), c10));
  v128.store(r, f64x2.add(v128.load(r, 16), c11), 16);
  r += ldc;
  v128.store(r, f64x2.add(v128.load(r), c20));
  v128.store(r, f64x2.add(v128.load(r, 16), c21), 16);
  r += ldc;
  v128.store(r, f64x2.add(v128.load(r), c30));
  v128.store(r, f64x2.add(v128.load(r, 16), c31), 16);
}

/** a * b + c: one fused multiply-add in the relaxed-SIMD build (gemm64Fma.wasm), else two instructions. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

/** dst[i] += alpha * src[i], i < count (the copy back of a product into its output). */
export function scaleAdd(dst: usize, src: usize, count: i32, alpha: f64): void {
  const va = f64x2.splat(alpha);
  const n2 = count & ~1;
  for (let i = 0; i < n2; i += 2) {
    const o = <usize>i << 3;
    v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.mul(va, v128.load(src + o))));
  }
  if (n2 < count) {
    const o = <usize>n2 << 3;
    store<f64>(dst + o, load<f64>(dst + o) + alpha * load<f64>(src + o));
  }
}

// The pairwise stage of distance matrices ships in the same module (one build step, one loader
// memory layout convention): see pairwise.ts.
export { scaleTranspose, pairBlock } from './pairwise';
