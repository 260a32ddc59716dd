/*
 * Winograd F(4x4, 3x3) transforms for 3x3 stride-1 convolutions (NHWC), 4 channels per vector
 * (channels must be a multiple of 4). A convolution becomes, per 4x4 output tile t and each of
 * the 36 transform positions xi = 6 * row + column, a product over channels:
 *   V[t][xi][c]  = (B^T d_t B)[xi]               (input transform of the tile's 6x6 input window)
 *   U[xi][c][o]  = (G g G^T)[xi]                 (filter transform; done with a product, ../winogradConv.ts)
 *   M[t][xi][o]  = sum_c V[t][xi][c] U[xi][c][o] (36 matrix products, strided: ../threads.ts)
 *   y_t          = A^T M_t A (+ bias, ReLU)       (output transform)
 * with the interpolation points 0, +-1, +-2 (Lavin & Gray 2016):
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
 * 36 multiply-adds per tile and channel pair instead of 144. The gradients are the transposed
 * transforms: dM_t = A dy_t A^T, and the input gradient B dV_t B^T summed over the (overlapping)
 * windows. Each 2-D transform is two 1-D passes through `scratch` (36 vectors per thread: the
 * caller gives each thread its own). Tiles are numbered (n, ty, tx); each call handles images
 * n0..n1, so threads split by images and every value is computed the same way whatever the split.
 * Positions outside the input (padding, the last tile's overhang) read as 0; outputs outside the
 * output are not written. Transformed tensors are tile-major ([tiles][36][C]): a tile's 36 values
 * are one contiguous block (36 separate planes, one write stream each, made the transforms 2-4x
 * slower). Plain multiplies and adds (no fused multiply-add): same in both builds.
 */

import { codeLanes, poolStore } from './convPool';

// @ts-ignore: decorator
@inline function at(ok: bool, p: usize): v128 {
  return ok ? v128.load(p) : f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function times(k: f32, v: v128): v128 {
  return f32x4.mul(f32x4.splat(k), v);
}

/** B^T d for d = (d0..d5): the six results at dst, dst + stride, ... */
// @ts-ignore: decorator
@inline function inputColumn(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, stride: usize): void {
  const e = f32x4.sub(d4, d2);
  v128.store(dst, f32x4.add(f32x4.sub(times(4, d0), times(5, d2)), d4));
  v128.store(dst + stride, f32x4.sub(f32x4.add(d3, d4), times(4, f32x4.add(d1, d2))));
  v128.store(dst + 2 * stride, f32x4.add(times(4, f32x4.sub(d1, d2)), f32x4.sub(d4, d3)));
  v128.store(dst + 3 * stride, f32x4.add(times(2, f32x4.sub(d3, d1)), e));
  v128.store(dst + 4 * stride, f32x4.add(times(2, f32x4.sub(d1, d3)), e));
  v128.store(dst + 5 * stride, f32x4.add(f32x4.sub(times(4, d1), times(5, d3)), d5));
}

/** B v (the input transform's transpose) for v = (v0..v5), at dst, dst + stride, ... */
// @ts-ignore: decorator
@inline function inputGradColumn(v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, dst: usize, stride: usize): void {
  const p = f32x4.add(v1, v2), q = f32x4.sub(v1, v2), r = f32x4.sub(v3, v4), s = f32x4.add(v3, v4);
  v128.store(dst, times(4, v0));
  v128.store(dst + stride, f32x4.add(f32x4.sub(times(-4, q), times(2, r)), times(4, v5)));
  v128.store(dst + 2 * stride, f32x4.sub(f32x4.sub(times(-5, v0), times(4, p)), s));
  v128.store(dst + 3 * stride, f32x4.sub(f32x4.add(q, times(2, r)), times(5, v5)));
  v128.store(dst + 4 * stride, f32x4.add(f32x4.add(v0, p), s));
  v128.store(dst + 5 * stride, v5);
}

/** A g (the output transform's transpose) for g = (g0..g3), at dst, dst + stride, ... */
// @ts-ignore: decorator
@inline function outputGradColumn(g0: v128, g1: v128, g2: v128, g3: v128, dst: usize, stride: usize): void {
  const even = f32x4.add(g0, g2), odd = f32x4.add(g1, g3);
  const even4 = f32x4.add(g0, times(4, g2)), odd2 = f32x4.add(times(2, g1), times(8, g3));
  v128.store(dst, g0);
  v128.store(dst + stride, f32x4.add(even, odd));
  v128.store(dst + 2 * stride, f32x4.sub(even, odd));
  v128.store(dst + 3 * stride, f32x4.add(even4, odd2));
  v128.store(dst + 4 * stride, f32x4.sub(even4, odd2));
  v128.store(dst + 5 * stride, g3);
}

/** Bit i set when position start + i (i < count) lies in 0..size. */
// @ts-ignore: decorator
@inline function inside(start: i32, count: i32, size: i32): i32 {
  let bits = 0;
  for (let i = 0; i < count; i++) if (start + i >= 0 && start + i < size) bits |= 1 << i;
  return bits;
}

// @ts-ignore: decorator
@inline function bit(bits: i32, i: i32): bool {
  return ((bits >> i) & 1) != 0;
}

/** V[t][xi][c] for the tiles of images n0..n1: x [batch, H, W, C]; tiles tilesH x tilesW per image, `tiles` in all. */
export function winogradInput(
  x: usize, v: usize, n0: i32, n1: i32, H: i32, W: i32, C: i32, tilesH: i32, tilesW: i32, padTop: i32, padLeft: i32, tiles: i32, scratch: usize,
): void {
  const plane = <usize>C << 2;
  const pixel = <usize>C << 2;
  const rs = <usize>W * pixel;
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const top = 4 * ty - padTop;
      const rows = inside(top, 6, H);
      for (let tx = 0; tx < tilesW; tx++) {
        const left = 4 * tx - padLeft;
        const cols = inside(left, 6, W);
        // Address of (top, left): only dereferenced where a position is inside the input.
        const corner = x + <usize>(((n * H + top) * W + left) * C) * 4;
        const out = v + <usize>((n * tilesH + ty) * tilesW + tx) * 36 * plane;
        for (let c = 0; c < C; c += 4) {
          const p = corner + (<usize>c << 2);
          // Columns: scratch[a][j] = (B^T d)[a][j].
          for (let j = 0; j < 6; j++) {
            const q = p + <usize>j * pixel;
            if (!bit(cols, j)) {
              const z = f32x4.splat(0);
              inputColumn(z, z, z, z, z, z, scratch + (<usize>j << 4), 96);
              continue;
            }
            inputColumn(at(bit(rows, 0), q), at(bit(rows, 1), q + rs), at(bit(rows, 2), q + 2 * rs),
              at(bit(rows, 3), q + 3 * rs), at(bit(rows, 4), q + 4 * rs), at(bit(rows, 5), q + 5 * rs), scratch + (<usize>j << 4), 96);
          }
          // Rows: V[6a + b] = (scratch[a] B)[b].
          const o = out + (<usize>c << 2);
          for (let a = 0; a < 6; a++) {
            const s = scratch + <usize>a * 96;
            inputColumn(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), v128.load(s, 64), v128.load(s, 80),
              o + <usize>(6 * a) * plane, plane);
          }
        }
      }
    }
  }
}

/**
 * The input gradient: dx (images n0..n1, zeroed first) = sum over tiles of B dV_t B^T placed at
 * the tile's window, in tile order. dV [tiles][36][C].
 */
export function winogradInputGrad(
  dv: usize, dx: usize, n0: i32, n1: i32, H: i32, W: i32, C: i32, tilesH: i32, tilesW: i32, padTop: i32, padLeft: i32, tiles: i32, scratch: usize,
): void {
  const image = <usize>H * W * C << 2;
  memory.fill(dx + <usize>n0 * image, 0, <usize>(n1 - n0) * image);
  const plane = <usize>C << 2;
  const pixel = <usize>C << 2;
  const rs = <usize>W * pixel;
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const top = 4 * ty - padTop;
      const rows = inside(top, 6, H);
      for (let tx = 0; tx < tilesW; tx++) {
        const left = 4 * tx - padLeft;
        const cols = inside(left, 6, W);
        const corner = dx + <usize>(((n * H + top) * W + left) * C) * 4;
        const src = dv + <usize>((n * tilesH + ty) * tilesW + tx) * 36 * plane;
        for (let c = 0; c < C; c += 4) {
          const s = src + (<usize>c << 2);
          // Columns: scratch[i][b] = (B dV)[i][b].
          for (let b = 0; b < 6; b++) {
            const q = s + <usize>b * plane;
            inputGradColumn(v128.load(q), v128.load(q + 6 * plane), v128.load(q + 12 * plane), v128.load(q + 18 * plane),
              v128.load(q + 24 * plane), v128.load(q + 30 * plane), scratch + (<usize>b << 4), 96);
          }
          // Rows: (scratch[i] B^T)[j], added into the window where it lies inside the input.
          const p = corner + (<usize>c << 2);
          for (let i = 0; i < 6; i++) {
            if (!bit(rows, i)) continue;
            const r = scratch + <usize>i * 96;
            // The row's six results over the first 6 vectors of scratch's spare row (row 6 is past the 6x6: 576 bytes on).
            const t = scratch + 576;
            inputGradColumn(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), v128.load(r, 64), v128.load(r, 80), t, 16);
            const row = p + <usize>i * rs;
            for (let j = 0; j < 6; j++) {
              if (!bit(cols, j)) continue;
              const d = row + <usize>j * pixel;
              v128.store(d, f32x4.add(v128.load(d), v128.load(t + (<usize>j << 4))));
            }
          }
        }
      }
    }
  }
}

/**
 * y (images n0..n1, [batch, outH, outW, C]) = A^T M_t A for every tile, + bias (C floats; 0:
 * none), then ReLU (relu != 0) as tfjs's (NaN stays NaN). M [tiles][36][C].
 */
export function winogradOutput(
  m: usize, y: usize, n0: i32, n1: i32, outH: i32, outW: i32, C: i32, tilesH: i32, tilesW: i32, tiles: i32, bias: usize, relu: i32, scratch: usize,
): void {
  const plane = <usize>C << 2;
  const pixel = <usize>C << 2;
  const rs = <usize>outW * pixel;
  const zero = f32x4.splat(0);
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const rows = inside(4 * ty, 4, outH);
      for (let tx = 0; tx < tilesW; tx++) {
        const cols = inside(4 * tx, 4, outW);
        const src = m + <usize>((n * tilesH + ty) * tilesW + tx) * 36 * plane;
        const dst = y + <usize>((n * outH + 4 * ty) * outW + 4 * tx) * pixel;
        for (let c = 0; c < C; c += 4) {
          const s = src + (<usize>c << 2);
          // Columns: scratch[p][b] = (A^T M)[p][b].
          for (let b = 0; b < 6; b++) {
            const q = s + <usize>b * plane;
            outputColumn(v128.load(q), v128.load(q + 6 * plane), v128.load(q + 12 * plane), v128.load(q + 18 * plane),
              v128.load(q + 24 * plane), v128.load(q + 30 * plane), scratch + (<usize>b << 4), 96);
          }
          const bv = bias != 0 ? v128.load(bias + (<usize>c << 2)) : zero;
          const d = dst + (<usize>c << 2);
          for (let i = 0; i < 4; i++) {
            if (!bit(rows, i)) continue;
            const r = scratch + <usize>i * 96;
            const t = scratch + 576;
            outputColumn(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), v128.load(r, 64), v128.load(r, 80), t, 16);
            const row = d + <usize>i * rs;
            for (let j = 0; j < 4; j++) {
              if (!bit(cols, j)) continue;
              let value = v128.load(t + (<usize>j << 4));
              if (bias != 0) value = f32x4.add(value, bv);
              if (relu) value = v128.bitselect(zero, value, f32x4.lt(value, zero));
              v128.store(row + <usize>j * pixel, value);
            }
          }
        }
      }
    }
  }
}

/** A^T m for m = (m0..m5): four results at dst, dst + stride, ... */
// @ts-ignore: decorator
@inline function outputColumn(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, dst: usize, stride: usize): void {
  const p = f32x4.add(m1, m2), q = f32x4.sub(m1, m2), r = f32x4.add(m3, m4), s = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, p), r));
  v128.store(dst + stride, f32x4.add(q, times(2, s)));
  v128.store(dst + 2 * stride, f32x4.add(p, times(4, r)));
  v128.store(dst + 3 * stride, f32x4.add(f32x4.add(q, times(8, s)), m5));
}

/**
 * The output transform's gradient: dM_t = A dy_t A^T (dy [batch, outH, outW, C], 0 past its edge)
 * into dM [tiles][36][C], for images n0..n1.
 */
export function winogradOutputGrad(
  dy: usize, dm: usize, n0: i32, n1: i32, outH: i32, outW: i32, C: i32, tilesH: i32, tilesW: i32, tiles: i32, scratch: usize,
): void {
  const plane = <usize>C << 2;
  const pixel = <usize>C << 2;
  const rs = <usize>outW * pixel;
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      const rows = inside(4 * ty, 4, outH);
      for (let tx = 0; tx < tilesW; tx++) {
        const cols = inside(4 * tx, 4, outW);
        const src = dy + <usize>((n * outH + 4 * ty) * outW + 4 * tx) * pixel;
        const dst = dm + <usize>((n * tilesH + ty) * tilesW + tx) * 36 * plane;
        for (let c = 0; c < C; c += 4) {
          const p = src + (<usize>c << 2);
          // Columns: scratch[a][j] = (A dy)[a][j], j < 4.
          for (let j = 0; j < 4; j++) {
            const q = p + <usize>j * pixel;
            const ok = bit(cols, j);
            outputGradColumn(at(ok && bit(rows, 0), q), at(ok && bit(rows, 1), q + rs), at(ok && bit(rows, 2), q + 2 * rs),
              at(ok && bit(rows, 3), q + 3 * rs), scratch + (<usize>j << 4), 96);
          }
          // Rows: dM[6a + b] = (scratch[a] A^T)[b].
          const o = dst + (<usize>c << 2);
          for (let a = 0; a < 6; a++) {
            const s = scratch + <usize>a * 96;
            outputGradColumn(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), o + <usize>(6 * a) * plane, plane);
          }
        }
      }
    }
  }
}

/**
 * `winogradOutput` followed by a 2x2/2 max pooling (the reference CNN's second conv layer and its
 * pooling): tiles are 4x4 and start at multiples of 4, so every pooling window lies in one tile.
 * For images n0..n1 writes only the pooled y [batch, ph, pw, C] (ph = floor(outH / 2), ...) and a
 * code byte per value as convPool.ts's `poolStore`: the window's maximum of A^T M_t A, + bias,
 * ReLU, i.e. what `winogradOutput` then max pooling give, bit for bit.
 */
export function winogradOutputPool(
  m: usize, y: usize, code: usize, n0: i32, n1: i32, C: i32, tilesH: i32, tilesW: i32, ph: i32, pw: i32, bias: usize, relu: i32, scratch: usize,
): void {
  const plane = <usize>C << 2;
  const pixel = <usize>C << 2;
  const zero = f32x4.splat(0);
  for (let n = n0; n < n1; n++) {
    for (let ty = 0; ty < tilesH; ty++) {
      for (let tx = 0; tx < tilesW; tx++) {
        const src = m + <usize>((n * tilesH + ty) * tilesW + tx) * 36 * plane;
        for (let c = 0; c < C; c += 4) {
          const s = src + (<usize>c << 2);
          for (let b = 0; b < 6; b++) {
            const q = s + <usize>b * plane;
            outputColumn(v128.load(q), v128.load(q + 6 * plane), v128.load(q + 12 * plane), v128.load(q + 18 * plane),
              v128.load(q + 24 * plane), v128.load(q + 30 * plane), scratch + (<usize>b << 4), 96);
          }
          const bv = bias != 0 ? v128.load(bias + (<usize>c << 2)) : zero;
          // Output rows 2i and 2i + 1 of the tile (t: 4 vectors each), then their two windows.
          for (let i = 0; i < 2; i++) {
            const py = 2 * ty + i;
            if (py >= ph) break;
            const t = scratch + 576;
            for (let h = 0; h < 2; h++) {
              const r = scratch + <usize>(2 * i + h) * 96;
              outputColumn(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), v128.load(r, 64), v128.load(r, 80), t + (<usize>h << 6), 16);
            }
            for (let j = 0; j < 2; j++) {
              const px = 2 * tx + j;
              if (px >= pw) break;
              const w = t + (<usize>j << 5);
              const o = <usize>((n * ph + py) * pw + px) * C + c;
              poolStore(v128.load(w), v128.load(w, 16), v128.load(w, 64), v128.load(w, 80), bv, relu != 0, y + (o << 2), code + o);
            }
          }
        }
      }
    }
  }
}

/**
 * `winogradOutputGrad` from the pooled output's gradient: dy [batch, ph, pw, C] and the code bytes
 * of `winogradOutputPool` give each tile's output gradient (dy at the window position the code
 * names, 0 elsewhere and where ReLU cut it), then dM_t = A dz_t A^T, for images n0..n1. Image n's
 * bias gradient (C floats, its pooled positions in order) into acc + n * C floats.
 */
export function winogradOutputGradPool(
  dy: usize, code: usize, dm: usize, acc: usize, n0: i32, n1: i32, C: i32, tilesH: i32, tilesW: i32, ph: i32, pw: i32, scratch: usize,
): void {
  const plane = <usize>C << 2;
  const four = i32x4.splat(4);
  const zero = f32x4.splat(0);
  // The tile's output gradient, 4x4 vectors, after the transform's 36 (+ 6) in scratch.
  const z = scratch + 672;
  for (let n = n0; n < n1; n++) {
    const db = acc + <usize>(n * C) * 4;
    memory.fill(db, 0, plane);
    for (let p = 0; p < ph * pw; p++) {
      const at = <usize>(n * ph * pw + p) * C;
      for (let c: usize = 0; c < plane; c += 16) {
        v128.store(db + c, f32x4.add(v128.load(db + c), v128.and(v128.load(dy + (at << 2) + c), i32x4.lt_u(codeLanes(code + at + (c >> 2)), four))));
      }
    }
    for (let ty = 0; ty < tilesH; ty++) {
      for (let tx = 0; tx < tilesW; tx++) {
        const dst = dm + <usize>((n * tilesH + ty) * tilesW + tx) * 36 * plane;
        for (let c = 0; c < C; c += 4) {
          // Each pooled value's window (2x2 of the tile): dy where its code names the position.
          for (let i = 0; i < 2; i++) {
            const py = 2 * ty + i;
            for (let j = 0; j < 2; j++) {
              const px = 2 * tx + j;
              const w = z + <usize>(8 * i + 2 * j) * 16;
              if (py >= ph || px >= pw) {
                v128.store(w, zero);
                v128.store(w, zero, 16);
                v128.store(w, zero, 64);
                v128.store(w, zero, 80);
                continue;
              }
              const o = <usize>((n * ph + py) * pw + px) * C + c;
              const d = v128.load(dy + (o << 2));
              const k = codeLanes(code + o);
              v128.store(w, v128.and(d, i32x4.eq(k, i32x4.splat(0))));
              v128.store(w, v128.and(d, i32x4.eq(k, i32x4.splat(1))), 16);
              v128.store(w, v128.and(d, i32x4.eq(k, i32x4.splat(2))), 64);
              v128.store(w, v128.and(d, i32x4.eq(k, i32x4.splat(3))), 80);
            }
          }
          // Columns: scratch[a][j] = (A dz)[a][j]; rows: dM[6a + b] = (scratch[a] A^T)[b].
          for (let j = 0; j < 4; j++) {
            const q = z + <usize>j * 16;
            outputGradColumn(v128.load(q), v128.load(q, 64), v128.load(q, 128), v128.load(q, 192), scratch + (<usize>j << 4), 96);
          }
          const o = dst + (<usize>c << 2);
          for (let a = 0; a < 6; a++) {
            const s = scratch + <usize>a * 96;
            outputGradColumn(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), o + <usize>(6 * a) * plane, plane);
          }
        }
      }
    }
  }
}
