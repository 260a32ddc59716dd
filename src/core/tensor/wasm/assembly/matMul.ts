/*
 * Float32 matrix product C = op(A) op(B) in WebAssembly SIMD (f32x4), behind the wasm backend's
 * BatchMatMul, _FusedMatMul and (via im2col) convolutions: C is m x n row-major; op(A) is m x k,
 * op(B) is k x n, either stored transposed. Loader and kernels: ../simdKernels.ts, ../batchMatMul.ts.
 *
 * Why not XNNPACK (what tfjs-wasm calls): it has no transposed forms (every dense layer's
 * backward pass needs them, so each cost an explicit transpose first), it re-packs the weight
 * operand whenever that is a new tensor (every training step), and tfjs's build has no fused
 * multiply-add.
 *
 * Structure (the usual GEMM blocking): for each KC-slice of the sum (slices of equal depth),
 * op(B)'s slice is packed into NR-wide panels, k-major; for each MC-row block, op(A)'s block is
 * packed into MR-tall panels, k-major; then every MR x NR tile of C is computed by the
 * micro-kernel, reading both panels sequentially (a B panel, KC * NR * 4 = 8 KB, stays in L1
 * while the A block, 128 KB, stays in L2). Packing reads either layout, so transposes cost
 * nothing extra. Rows past m repeat row m - 1 in the packed A and their results are dropped;
 * columns past n are zero in the packed B. Edge tiles go through a small scratch tile.
 *
 * Micro-kernel: MR x NR = 4 x 8, eight f32x4 accumulators; per step of k two loads of B and four
 * broadcast loads of A for eight multiply-adds. Built twice (scripts/build.mjs): with relaxed
 * SIMD each multiply-add is one fused instruction (f32x4.relaxed_madd), else a multiply and an
 * add. Measured and dropped: a 6 x 8 tile (register spills, slower), A read in place through
 * strides instead of packed (slower: more address arithmetic per step, and a transposed A
 * strides 2 KB between steps).
 */

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;

/** Scratch floats `matMul` needs for a product with these sizes (packed B slice + packed A block + one tile). */
export function matMulScratch(n: i32, k: i32): i32 {
  const kc = sliceDepth(k);
  return kc * ((n + NR - 1) & ~(NR - 1)) + MC * kc + MR * NR;
}

/** KC-slices of equal depth (784 = 4 x 196, not 3 x 256 + 16: a thin last slice costs a pass over C). */
function sliceDepth(k: i32): i32 {
  const slices = (k + KC - 1) / KC;
  return (k + slices - 1) / slices;
}

/**
 * C = op(A) op(B). A's element (i, p) is at a + i * aRow + p * aK (bytes). B is stored k x n
 * (bTransposed = 0) or n x k (bTransposed != 0). scratch: `matMulScratch(n, k)` floats.
 */
export function matMul(
  m: i32, n: i32, k: i32,
  a: usize, aRow: usize, aK: usize,
  b: usize, bTransposed: i32,
  c: usize, scratch: usize,
): void {
  matMulBlock(m, n, k, a, aRow, aK, b, bTransposed, c, scratch, 0, m, 0, n, 0, 0, 0, 0);
}

/**
 * Rows i0..i1 and columns j0..j1 of C = op(A) op(B) (arguments as `matMul`; scratch:
 * `matMulScratch(j1 - j0, k)` floats). Every element of C is summed the same way whatever the
 * block (the same KC-slices, in order, each summed in order by its tile's lane), so blocks
 * computed by different threads give exactly `matMul`'s result (../threads.ts).
 * Epilogue, applied to each tile as its last slice is stored (no pass of its own over C):
 * `bias` (n floats, 0: none) is added to every row, then `relu` (non-zero) clamps at 0 — the
 * same float32 operations as a separate bias add and ReLU.
 * `ldb` and `ldc` (bytes; 0: dense) are the distances between stored rows of B and of C, so a
 * product can read and write one slice of a larger tensor (the Winograd products, ../winogradConv.ts).
 */
export function matMulBlock(
  m: i32, n: i32, k: i32,
  a: usize, aRow: usize, aK: usize,
  b: usize, bTransposed: i32,
  c: usize, scratch: usize,
  i0: i32, i1: i32, j0: i32, j1: i32,
  bias: usize, relu: i32,
  ldb: usize, ldc: usize,
): void {
  if (ldc == 0) ldc = <usize>n << 2;
  if (ldb == 0) ldb = bTransposed ? <usize>k << 2 : <usize>n << 2;
  const depth = sliceDepth(k);
  const nc = j1 - j0;
  const nPad = (nc + NR - 1) & ~(NR - 1);
  const packB = scratch;
  const packA = packB + (<usize>depth * nPad << 2);
  const edge = packA + (<usize>MC * depth << 2);
  for (let p0 = 0; p0 < k; p0 += depth) {
    const kc = min(depth, k - p0);
    const first = p0 == 0;
    const last = p0 + kc >= k;
    const epilogue = last && (bias != 0 || relu != 0);
    if (bTransposed) packTransposed(b + <usize>j0 * ldb, ldb, p0, kc, nc, packB);
    else packRows(b + (<usize>j0 << 2), ldb, nc, p0, kc, packB);
    for (let r0 = i0; r0 < i1; r0 += MC) {
      const mc = min(MC, i1 - r0);
      packA4(a + <usize>p0 * aK + <usize>r0 * aRow, aRow, aK, mc, kc, packA);
      for (let j = 0; j < nc; j += NR) {
        const bp = packB + (<usize>j * kc << 2);
        const cols = min(NR, nc - j);
        let ap = packA;
        for (let i = 0; i < mc; i += MR) {
          const rows = min(MR, mc - i);
          const cp = c + <usize>(r0 + i) * ldc + (<usize>(j0 + j) << 2);
          const tileBias = epilogue && bias != 0 ? bias + (<usize>(j0 + j) << 2) : 0;
          if (rows == MR && cols == NR) tile(kc, ap, bp, cp, ldc, first, epilogue, tileBias, relu != 0);
          else {
            if (!first) copyTile(cp, ldc, edge, NR << 2, rows, cols);
            tile(kc, ap, bp, edge, NR << 2, first, false, 0, false);
            copyTile(edge, NR << 2, cp, ldc, rows, cols);
            if (epilogue) edgeEpilogue(cp, ldc, rows, cols, tileBias, relu != 0);
          }
          ap += <usize>kc << 4;
        }
      }
    }
  }
}

/**
 * A's rows i0.. (element (i, p) at a + i * aRow + p * aK) into 4-row panels, k-major:
 * out[panel][kk][r] = A[4 * panel + r][kk]; rows past mc repeat row mc - 1 (their results are dropped).
 */
function packA4(a: usize, aRow: usize, aK: usize, mc: i32, kc: i32, out: usize): void {
  let o = out;
  const last = <usize>(mc - 1);
  for (let i = 0; i < mc; i += 4) {
    const r0 = a + <usize>i * aRow;
    const r1 = a + min(<usize>i + 1, last) * aRow;
    const r2 = a + min(<usize>i + 2, last) * aRow;
    const r3 = a + min(<usize>i + 3, last) * aRow;
    let kk = 0;
    if (aRow == 4 && i + 4 <= mc) {
      // Stored transposed: the 4 rows are contiguous at each k.
      for (; kk < kc; kk++) {
        v128.store(o, v128.load(r0 + <usize>kk * aK));
        o += 16;
      }
      continue;
    }
    if (aK == 4) {
      for (; kk + 4 <= kc; kk += 4) {
        const off = <usize>kk << 2;
        transpose4rows(r0 + off, r1 + off, r2 + off, r3 + off, o, 16);
        o += 64;
      }
    }
    for (; kk < kc; kk++) {
      const off = <usize>kk * aK;
      store<f32>(o, load<f32>(r0 + off));
      store<f32>(o, load<f32>(r1 + off), 4);
      store<f32>(o, load<f32>(r2 + off), 8);
      store<f32>(o, load<f32>(r3 + off), 12);
      o += 16;
    }
  }
}

/** Writes the transpose of the 4 x 4 block whose rows start at x0..x3 as 4 rows of 4 at dst (stride ldo). */
function transpose4rows(x0p: usize, x1p: usize, x2p: usize, x3p: usize, dst: usize, ldo: usize): void {
  const x0 = v128.load(x0p);
  const x1 = v128.load(x1p);
  const x2 = v128.load(x2p);
  const x3 = v128.load(x3p);
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + ldo, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * ldo, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * ldo, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/** B stored k x n (row stride ld bytes), its first nc columns: panel q holds panel[kk][0..8] = B[p0 + kk][8q + 0..8], zero past nc. */
function packRows(b: usize, ld: usize, nc: i32, p0: i32, kc: i32, out: usize): void {
  let o = out;
  for (let q = 0; q < nc; q += NR) {
    let src = b + <usize>p0 * ld + (<usize>q << 2);
    if (q + NR <= nc) {
      for (let kk = 0; kk < kc; kk++) {
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        src += ld;
        o += 32;
      }
    } else {
      const cols = nc - q;
      for (let kk = 0; kk < kc; kk++) {
        for (let r = 0; r < NR; r++) store<f32>(o + (<usize>r << 2), r < cols ? load<f32>(src + (<usize>r << 2)) : 0);
        src += ld;
        o += 32;
      }
    }
  }
}

/** B stored n x k (rows ld bytes apart): panel q holds panel[kk][r] = B[8q + r][p0 + kk], zero past n; 4 x 4 shuffles. */
function packTransposed(b: usize, ld: usize, p0: i32, kc: i32, nc: i32, out: usize): void {
  let o = out;
  for (let q = 0; q < nc; q += NR) {
    const base = b + <usize>q * ld + (<usize>p0 << 2);
    if (q + NR <= nc) {
      let kk = 0;
      for (; kk + 4 <= kc; kk += 4) {
        const off = <usize>kk << 2;
        transpose4(base + off, ld, o, 32);
        transpose4(base + 4 * ld + off, ld, o + 16, 32);
        o += 128;
      }
      for (; kk < kc; kk++) {
        for (let r = 0; r < NR; r++) store<f32>(o + (<usize>r << 2), load<f32>(base + <usize>r * ld + (<usize>kk << 2)));
        o += 32;
      }
    } else {
      const cols = nc - q;
      for (let kk = 0; kk < kc; kk++) {
        for (let r = 0; r < NR; r++) store<f32>(o + (<usize>r << 2), r < cols ? load<f32>(base + <usize>r * ld + (<usize>kk << 2)) : 0);
        o += 32;
      }
    }
  }
}

/** Writes the transpose of the 4 x 4 block at src (row stride ld) as 4 rows of 4 at dst (stride ldo). */
// @ts-ignore: decorator
@inline function transpose4(src: usize, ld: usize, dst: usize, ldo: usize): void {
  transpose4rows(src, src + ld, src + 2 * ld, src + 3 * ld, dst, ldo);
}

/** a * b + c: one fused multiply-add where relaxed SIMD is enabled (the FMA build), else two instructions. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

function copyTile(src: usize, lds: usize, dst: usize, ldd: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * ldd, src + <usize>r * lds, <usize>cols << 2);
}

/**
 * C[0..4][0..8] = (or +=) sum_kk ap[kk][r] bp[kk][0..8]; ldc in bytes. With `epilogue`, then
 * + bias[0..8] (bias 0: none) and ReLU (`relu`).
 */
function tile(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, overwrite: bool, epilogue: bool, bias: usize, relu: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let kk = 0; kk < kc; kk++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(ap);
    c00 = madd(x0, b0, c00);
    c01 = madd(x0, b1, c01);
    const x1 = v128.load32_splat(ap, 4);
    c10 = madd(x1, b0, c10);
    c11 = madd(x1, b1, c11);
    const x2 = v128.load32_splat(ap, 8);
    c20 = madd(x2, b0, c20);
    c21 = madd(x2, b1, c21);
    const x3 = v128.load32_splat(ap, 12);
    c30 = madd(x3, b0, c30);
    c31 = madd(x3, b1, c31);
    ap += 16;
    bp += 32;
  }
  if (!overwrite) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c + ldc), c10);
    c11 = f32x4.add(v128.load(c + ldc, 16), c11);
    c20 = f32x4.add(v128.load(c + 2 * ldc), c20);
    c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
    c30 = f32x4.add(v128.load(c + 3 * ldc), c30);
    c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
  }
  if (epilogue) {
    if (bias != 0) {
      const b0 = v128.load(bias);
      const b1 = v128.load(bias, 16);
      c00 = f32x4.add(c00, b0);
      c01 = f32x4.add(c01, b1);
      c10 = f32x4.add(c10, b0);
      c11 = f32x4.add(c11, b1);
      c20 = f32x4.add(c20, b0);
      c21 = f32x4.add(c21, b1);
      c30 = f32x4.add(c30, b0);
      c31 = f32x4.add(c31, b1);
    }
    if (relu) {
      const zero = f32x4.splat(0);
      c00 = reluLanes(c00, zero);
      c01 = reluLanes(c01, zero);
      c10 = reluLanes(c10, zero);
      c11 = reluLanes(c11, zero);
      c20 = reluLanes(c20, zero);
      c21 = reluLanes(c21, zero);
      c30 = reluLanes(c30, zero);
      c31 = reluLanes(c31, zero);
    }
  }
  let r = c;
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
}

/** max(x, 0) per lane as tfjs's ReLU: NaN stays NaN (x > 0 keeps x, else 0; a NaN lane kept by the select). */
// @ts-ignore: decorator
@inline function reluLanes(x: v128, zero: v128): v128 {
  return v128.bitselect(zero, x, f32x4.lt(x, zero));
}

/** The epilogue on a partial tile of C (rows x cols at c; bias at the tile's first column, 0: none). */
function edgeEpilogue(c: usize, ldc: usize, rows: i32, cols: i32, bias: usize, relu: bool): void {
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * ldc;
    for (let j = 0; j < cols; j++) {
      const p = row + (<usize>j << 2);
      let v = load<f32>(p);
      if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      if (relu && v < 0) v = 0;
      store<f32>(p, v);
    }
  }
}
