// AssemblyScript (compiled into dist/gemm64.wasm through gemm64.ts's re-export).
/*
 * The pairwise stage of a reward distance matrix in WebAssembly SIMD: for n arrays and every
 * pair i < j, acc(i, j) (+)= sum_e f(x_i[e] - x_j[e]) (or max_e), one block of entries at a
 * time. Loader: ../pairwiseWasm.ts.
 *
 * Vectorised across pairs, not across entries: the block is stored transposed (entry-major,
 * xt[e * ld + r]), so for one entry the values of all n arrays are contiguous, and an f64x2
 * lane holds pair (i, j) or (i, j + 1). Each pair then still sums its entries one by one in
 * order, which is exactly the order of `normOfDifference` (norms.ts): the results are
 * bit-identical to it, with every array read from memory once instead of once per pair.
 *
 * kind: 0 sum |d|, 1 sum d^2, 2 max |d|, 3 sum w|d|, 4 sum (w d) d, 5 max w|d|
 * (d = x_i - x_j, w the entry's weight), the same float64 operations as norms.ts.
 */

/**
 * xt[e * ld + r] = raw[r * m + e] * scales[r] for r < n, e < m (scale 0: exactly 0, a trivial
 * reward). raw holds n rows of m entries (copied in by the loader); ld >= n.
 */
export function scaleTranspose(n: i32, ld: i32, m: i32, raw: usize, scales: usize, xt: usize): void {
  const ldBytes = <usize>ld << 3;
  for (let r = 0; r < n; r++) {
    const k = load<f64>(scales + (<usize>r << 3));
    const src = raw + ((<usize>r * <usize>m) << 3);
    let dst = xt + (<usize>r << 3);
    if (k == 0) {
      for (let e = 0; e < m; e++) {
        store<f64>(dst, 0.0);
        dst += ldBytes;
      }
    } else {
      for (let e = 0; e < m; e++) {
        store<f64>(dst, load<f64>(src + (<usize>e << 3)) * k);
        dst += ldBytes;
      }
    }
  }
}

/**
 * acc(i, j) (+)= block terms for all 0 <= i < n - 1 and the j > i (acc row-major n x ld, ld
 * even; entries acc(i, j) with j <= i or j >= n are scratch). xt: m x ld (see scaleTranspose),
 * w: m weights (kinds 3-5).
 */
export function pairBlock(kind: i32, n: i32, ld: i32, m: i32, xt: usize, w: usize, acc: usize): void {
  switch (kind) {
    case 0: rows(0, n, ld, m, xt, w, acc); break;
    case 1: rows(1, n, ld, m, xt, w, acc); break;
    case 2: rows(2, n, ld, m, xt, w, acc); break;
    case 3: rows(3, n, ld, m, xt, w, acc); break;
    case 4: rows(4, n, ld, m, xt, w, acc); break;
    default: rows(5, n, ld, m, xt, w, acc);
  }
}

// `kind` is a constant in each inlined copy, so the optimiser drops the other branches.

// @ts-ignore: decorator
@inline function rows(kind: i32, n: i32, ld: i32, m: i32, xt: usize, w: usize, acc: usize): void {
  for (let i = 0; i < n - 1; i++) {
    // Lanes come in aligned pairs of columns; a lane with j == i is scratch.
    let j = (i + 1) & ~1;
    for (; j + 8 <= ld; j += 8) tile4(kind, i, j, ld, m, xt, w, acc + ((<usize>i * <usize>ld + <usize>j) << 3));
    for (; j < ld; j += 2) tile1(kind, i, j, ld, m, xt, w, acc + ((<usize>i * <usize>ld + <usize>j) << 3));
  }
}

// @ts-ignore: decorator
@inline function term(kind: i32, d: v128, wv: v128): v128 {
  if (kind == 0 || kind == 2) return f64x2.abs(d);
  if (kind == 1) return f64x2.mul(d, d);
  if (kind == 4) return f64x2.mul(f64x2.mul(wv, d), d);
  return f64x2.mul(wv, f64x2.abs(d));
}

/** pmax(a, t) = a < t ? t : a: the running max of norms.ts (`if (d > acc) acc = d`), one instruction. */
// @ts-ignore: decorator
@inline function combine(kind: i32, a: v128, t: v128): v128 {
  return kind == 2 || kind == 5 ? f64x2.pmax(a, t) : f64x2.add(a, t);
}

/** Pairs (i, j .. j + 8): four accumulator vectors. */
// @ts-ignore: decorator
@inline function tile4(kind: i32, i: i32, j: i32, ld: i32, m: i32, xt: usize, w: usize, out: usize): void {
  let a0 = v128.load(out);
  let a1 = v128.load(out, 16);
  let a2 = v128.load(out, 32);
  let a3 = v128.load(out, 48);
  const ldBytes = <usize>ld << 3;
  let pi = xt + (<usize>i << 3);
  let pj = xt + (<usize>j << 3);
  let wv = f64x2.splat(0);
  for (let e = 0; e < m; e++) {
    const xi = v128.load64_splat(pi);
    if (kind >= 3) wv = v128.load64_splat(w + (<usize>e << 3));
    a0 = combine(kind, a0, term(kind, f64x2.sub(xi, v128.load(pj)), wv));
    a1 = combine(kind, a1, term(kind, f64x2.sub(xi, v128.load(pj, 16)), wv));
    a2 = combine(kind, a2, term(kind, f64x2.sub(xi, v128.load(pj, 32)), wv));
    a3 = combine(kind, a3, term(kind, f64x2.sub(xi, v128.load(pj, 48)), wv));
    pi += ldBytes;
    pj += ldBytes;
  }
  v128.store(out, a0);
  v128.store(out, a1, 16);
  v128.store(out, a2, 32);
  v128.store(out, a3, 48);
}

/** Pairs (i, j), (i, j + 1). */
// @ts-ignore: decorator
@inline function tile1(kind: i32, i: i32, j: i32, ld: i32, m: i32, xt: usize, w: usize, out: usize): void {
  let a0 = v128.load(out);
  const ldBytes = <usize>ld << 3;
  let pi = xt + (<usize>i << 3);
  let pj = xt + (<usize>j << 3);
  let wv = f64x2.splat(0);
  for (let e = 0; e < m; e++) {
    const xi = v128.load64_splat(pi);
    if (kind >= 3) wv = v128.load64_splat(w + (<usize>e << 3));
    a0 = combine(kind, a0, term(kind, f64x2.sub(xi, v128.load(pj)), wv));
    pi += ldBytes;
    pj += ldBytes;
  }
  v128.store(out, a0);
}
