/*
 * Winograd F(2x2, 3x3) transforms for 3x3 stride-1 convolutions (NHWC), 4 channels per vector
 * (channels must be a multiple of 4). A convolution becomes, per 2x2 output tile t and each of
 * the 16 transform positions xi, a product over channels:
 *   V[xi][t][c]  = (B^T d_t B)[xi]              (input transform of the tile's 4x4 input window)
 *   U[xi][c][o]  = (G g G^T)[xi]                (filter transform; done with a product, ../winogradConv.ts)
 *   M[xi][t][o]  = sum_c V[xi][t][c] U[xi][c][o] (16 matrix products)
 *   y_t          = A^T M_t A (+ bias, ReLU)      (output transform)
 * with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 * A^T = [1 1 1 0; 0 1 -1 -1] (Lavin & Gray 2016). 16 multiply-adds per tile and channel pair
 * instead of 36. The gradients are the transposed transforms: dM_t = A dy_t A^T, and the input
 * gradient B dV_t B^T summed over the (overlapping) windows. Tiles are numbered (n, ty, tx); each
 * call handles images n0..n1, so threads split by images and every value is computed the same way
 * whatever the split. Positions outside the input (padding, the last tile's overhang) read as 0;
 * outputs outside the output are not written.
 */

// @ts-ignore: decorator
@inline function at(ok: bool, p: usize): v128 {
  return ok ? v128.load(p) : f32x4.splat(0);
}

/** V[xi][t][c] for the tiles of images n0..n1: x [batch, H, W, C]; tiles tilesH x tilesW per image, `tiles` in all. */
export function winogradInput(
  x: usize, v: usize, n0: i32, n1: i32, H: i32, W: i32, C: i32, tilesH: i32, tilesW: i32, padTop: i32, padLeft: i32, tiles: i32,
): void {
  const plane = <usize>tiles * C << 2;
  const pixel = C << 2;
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const top = 2 * ty - padTop;
      const r0 = top >= 0 && top < H, r1 = top + 1 >= 0 && top + 1 < H, r2 = top + 2 >= 0 && top + 2 < H, r3 = top + 3 >= 0 && top + 3 < H;
      for (let tx = 0; tx < tilesW; tx++) {
        const left = 2 * tx - padLeft;
        const k0 = left >= 0 && left < W, k1 = left + 1 >= 0 && left + 1 < W, k2 = left + 2 >= 0 && left + 2 < W, k3 = left + 3 >= 0 && left + 3 < W;
        // Address of (top, left): only dereferenced where the position is inside the input.
        const corner = x + <usize>(((n * H + top) * W + left) * C) * 4;
        const rs = <usize>W * pixel;
        const out = v + (<usize>((n * tilesH + ty) * tilesW + tx) * C << 2);
        for (let c = 0; c < C; c += 4) {
          const p = corner + (<usize>c << 2);
          const q0 = p, q1 = p + rs, q2 = p + 2 * rs, q3 = p + 3 * rs;
          // Rows transform (B^T d), column by column.
          let a = at(r0 && k0, q0), b = at(r1 && k0, q1), e = at(r2 && k0, q2), f = at(r3 && k0, q3);
          const t00 = f32x4.sub(a, e), t10 = f32x4.add(b, e), t20 = f32x4.sub(e, b), t30 = f32x4.sub(b, f);
          a = at(r0 && k1, q0 + pixel); b = at(r1 && k1, q1 + pixel); e = at(r2 && k1, q2 + pixel); f = at(r3 && k1, q3 + pixel);
          const t01 = f32x4.sub(a, e), t11 = f32x4.add(b, e), t21 = f32x4.sub(e, b), t31 = f32x4.sub(b, f);
          a = at(r0 && k2, q0 + 2 * pixel); b = at(r1 && k2, q1 + 2 * pixel); e = at(r2 && k2, q2 + 2 * pixel); f = at(r3 && k2, q3 + 2 * pixel);
          const t02 = f32x4.sub(a, e), t12 = f32x4.add(b, e), t22 = f32x4.sub(e, b), t32 = f32x4.sub(b, f);
          a = at(r0 && k3, q0 + 3 * pixel); b = at(r1 && k3, q1 + 3 * pixel); e = at(r2 && k3, q2 + 3 * pixel); f = at(r3 && k3, q3 + 3 * pixel);
          const t03 = f32x4.sub(a, e), t13 = f32x4.add(b, e), t23 = f32x4.sub(e, b), t33 = f32x4.sub(b, f);
          // Columns transform (. B), row by row; position xi = 4 * row + column.
          const o = out + (<usize>c << 2);
          storeRow(o, plane, 0, t00, t01, t02, t03);
          storeRow(o, plane, 4, t10, t11, t12, t13);
          storeRow(o, plane, 8, t20, t21, t22, t23);
          storeRow(o, plane, 12, t30, t31, t32, t33);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow(o: usize, plane: usize, xi: i32, a: v128, b: v128, e: v128, f: v128): void {
  v128.store(o + <usize>xi * plane, f32x4.sub(a, e));
  v128.store(o + <usize>(xi + 1) * plane, f32x4.add(b, e));
  v128.store(o + <usize>(xi + 2) * plane, f32x4.sub(e, b));
  v128.store(o + <usize>(xi + 3) * plane, f32x4.sub(b, f));
}

/**
 * The input gradient: dx (images n0..n1, zeroed first) = sum over tiles of B dV_t B^T placed at
 * the tile's window, in tile order. dV [16][tiles][C].
 */
export function winogradInputGrad(
  dv: usize, dx: usize, n0: i32, n1: i32, H: i32, W: i32, C: i32, tilesH: i32, tilesW: i32, padTop: i32, padLeft: i32, tiles: i32,
): void {
  const image = <usize>H * W * C << 2;
  memory.fill(dx + <usize>n0 * image, 0, <usize>(n1 - n0) * image);
  const plane = <usize>tiles * C << 2;
  const pixel = C << 2;
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const top = 2 * ty - padTop;
      const r0 = top >= 0 && top < H, r1 = top + 1 >= 0 && top + 1 < H, r2 = top + 2 >= 0 && top + 2 < H, r3 = top + 3 >= 0 && top + 3 < H;
      for (let tx = 0; tx < tilesW; tx++) {
        const left = 2 * tx - padLeft;
        const k0 = left >= 0 && left < W, k1 = left + 1 >= 0 && left + 1 < W, k2 = left + 2 >= 0 && left + 2 < W, k3 = left + 3 >= 0 && left + 3 < W;
        const corner = dx + <usize>(((n * H + top) * W + left) * C) * 4;
        const rs = <usize>W * pixel;
        const src = dv + (<usize>((n * tilesH + ty) * tilesW + tx) * C << 2);
        for (let c = 0; c < C; c += 4) {
          const s = src + (<usize>c << 2);
          // Rows (B v): e0 = v0, e1 = v1 - v2 + v3, e2 = v1 + v2 - v0, e3 = -v3, per column.
          let a = v128.load(s), b = v128.load(s + 4 * plane), e = v128.load(s + 8 * plane), f = v128.load(s + 12 * plane);
          const u00 = a, u10 = f32x4.add(f32x4.sub(b, e), f), u20 = f32x4.sub(f32x4.add(b, e), a), u30 = f32x4.neg(f);
          a = v128.load(s + plane); b = v128.load(s + 5 * plane); e = v128.load(s + 9 * plane); f = v128.load(s + 13 * plane);
          const u01 = a, u11 = f32x4.add(f32x4.sub(b, e), f), u21 = f32x4.sub(f32x4.add(b, e), a), u31 = f32x4.neg(f);
          a = v128.load(s + 2 * plane); b = v128.load(s + 6 * plane); e = v128.load(s + 10 * plane); f = v128.load(s + 14 * plane);
          const u02 = a, u12 = f32x4.add(f32x4.sub(b, e), f), u22 = f32x4.sub(f32x4.add(b, e), a), u32 = f32x4.neg(f);
          a = v128.load(s + 3 * plane); b = v128.load(s + 7 * plane); e = v128.load(s + 11 * plane); f = v128.load(s + 15 * plane);
          const u03 = a, u13 = f32x4.add(f32x4.sub(b, e), f), u23 = f32x4.sub(f32x4.add(b, e), a), u33 = f32x4.neg(f);
          // Columns (. B^T), row by row, added into the window.
          const p = corner + (<usize>c << 2);
          if (r0) addRow(p, pixel, k0, k1, k2, k3, u00, u01, u02, u03);
          if (r1) addRow(p + rs, pixel, k0, k1, k2, k3, u10, u11, u12, u13);
          if (r2) addRow(p + 2 * rs, pixel, k0, k1, k2, k3, u20, u21, u22, u23);
          if (r3) addRow(p + 3 * rs, pixel, k0, k1, k2, k3, u30, u31, u32, u33);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function addRow(p: usize, pixel: usize, k0: bool, k1: bool, k2: bool, k3: bool, a: v128, b: v128, e: v128, f: v128): void {
  if (k0) v128.store(p, f32x4.add(v128.load(p), a));
  if (k1) v128.store(p + pixel, f32x4.add(v128.load(p + pixel), f32x4.add(f32x4.sub(b, e), f)));
  if (k2) v128.store(p + 2 * pixel, f32x4.add(v128.load(p + 2 * pixel), f32x4.sub(f32x4.add(b, e), a)));
  if (k3) v128.store(p + 3 * pixel, f32x4.sub(v128.load(p + 3 * pixel), f));
}

/**
 * y (images n0..n1, [batch, outH, outW, C]) = A^T M_t A for every tile, + bias (C floats; 0:
 * none), then ReLU (relu != 0) as tfjs's (NaN stays NaN). M [16][tiles][C].
 */
export function winogradOutput(
  m: usize, y: usize, n0: i32, n1: i32, outH: i32, outW: i32, C: i32, tilesH: i32, tilesW: i32, tiles: i32, bias: usize, relu: i32,
): void {
  const plane = <usize>tiles * C << 2;
  const pixel = <usize>C << 2;
  const rs = <usize>outW * pixel;
  const zero = f32x4.splat(0);
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const second = 2 * ty + 1 < outH;
      for (let tx = 0; tx < tilesW; tx++) {
        const right = 2 * tx + 1 < outW;
        const src = m + (<usize>((n * tilesH + ty) * tilesW + tx) * C << 2);
        const dst = y + <usize>((n * outH + 2 * ty) * outW + 2 * tx) * pixel;
        for (let c = 0; c < C; c += 4) {
          const s = src + (<usize>c << 2);
          // Rows (A^T m), per column: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3.
          let a = v128.load(s), b = v128.load(s + 4 * plane), e = v128.load(s + 8 * plane), f = v128.load(s + 12 * plane);
          const s00 = f32x4.add(f32x4.add(a, b), e), s10 = f32x4.sub(f32x4.sub(b, e), f);
          a = v128.load(s + plane); b = v128.load(s + 5 * plane); e = v128.load(s + 9 * plane); f = v128.load(s + 13 * plane);
          const s01 = f32x4.add(f32x4.add(a, b), e), s11 = f32x4.sub(f32x4.sub(b, e), f);
          a = v128.load(s + 2 * plane); b = v128.load(s + 6 * plane); e = v128.load(s + 10 * plane); f = v128.load(s + 14 * plane);
          const s02 = f32x4.add(f32x4.add(a, b), e), s12 = f32x4.sub(f32x4.sub(b, e), f);
          a = v128.load(s + 3 * plane); b = v128.load(s + 7 * plane); e = v128.load(s + 11 * plane); f = v128.load(s + 15 * plane);
          const s03 = f32x4.add(f32x4.add(a, b), e), s13 = f32x4.sub(f32x4.sub(b, e), f);
          const bv = bias != 0 ? v128.load(bias + (<usize>c << 2)) : zero;
          const p = dst + (<usize>c << 2);
          storeOutput(p, f32x4.add(f32x4.add(s00, s01), s02), bias, bv, relu);
          if (right) storeOutput(p + pixel, f32x4.sub(f32x4.sub(s01, s02), s03), bias, bv, relu);
          if (second) {
            storeOutput(p + rs, f32x4.add(f32x4.add(s10, s11), s12), bias, bv, relu);
            if (right) storeOutput(p + rs + pixel, f32x4.sub(f32x4.sub(s11, s12), s13), bias, bv, relu);
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeOutput(p: usize, value: v128, bias: usize, bv: v128, relu: i32): void {
  let r = bias != 0 ? f32x4.add(value, bv) : value;
  if (relu) r = v128.bitselect(f32x4.splat(0), r, f32x4.lt(r, f32x4.splat(0)));
  v128.store(p, r);
}

/**
 * The output transform's gradient: dM_t = A dy_t A^T (dy [batch, outH, outW, C], 0 past its edge)
 * into dM [16][tiles][C], for images n0..n1. A dy (per column, rows g0, g1): g0, g0 + g1, g0 - g1, -g1.
 */
export function winogradOutputGrad(
  dy: usize, dm: usize, n0: i32, n1: i32, outH: i32, outW: i32, C: i32, tilesH: i32, tilesW: i32, tiles: i32,
): void {
  const plane = <usize>tiles * C << 2;
  const pixel = <usize>C << 2;
  const rs = <usize>outW * pixel;
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const second = 2 * ty + 1 < outH;
      for (let tx = 0; tx < tilesW; tx++) {
        const right = 2 * tx + 1 < outW;
        const src = dy + <usize>((n * outH + 2 * ty) * outW + 2 * tx) * pixel;
        const dst = dm + (<usize>((n * tilesH + ty) * tilesW + tx) * C << 2);
        for (let c = 0; c < C; c += 4) {
          const p = src + (<usize>c << 2);
          const g00 = v128.load(p), g01 = at(right, p + pixel), g10 = at(second, p + rs), g11 = at(second && right, p + rs + pixel);
          // Rows: a_i0 from column 0 (g00, g10), a_i1 from column 1 (g01, g11).
          const a00 = g00, a10 = f32x4.add(g00, g10), a20 = f32x4.sub(g00, g10), a30 = f32x4.neg(g10);
          const a01 = g01, a11 = f32x4.add(g01, g11), a21 = f32x4.sub(g01, g11), a31 = f32x4.neg(g11);
          const o = dst + (<usize>c << 2);
          storeGradRow(o, plane, 0, a00, a01);
          storeGradRow(o, plane, 4, a10, a11);
          storeGradRow(o, plane, 8, a20, a21);
          storeGradRow(o, plane, 12, a30, a31);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeGradRow(o: usize, plane: usize, xi: i32, a: v128, b: v128): void {
  v128.store(o + <usize>xi * plane, a);
  v128.store(o + <usize>(xi + 1) * plane, f32x4.add(a, b));
  v128.store(o + <usize>(xi + 2) * plane, f32x4.sub(a, b));
  v128.store(o + <usize>(xi + 3) * plane, f32x4.neg(b));
}
