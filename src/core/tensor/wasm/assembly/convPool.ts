/*
 * A stride-1 conv layer with few input channels (an image network's first layer) fused with the
 * 2x2/2 max pooling after it, NHWC, 4 output channels per vector (outC a multiple of 4).
 * Unfused, such a layer streams its full-resolution output several times (im2col patches, the
 * product's output, the pooling's read; backward the pooling gradient, the ReLU/bias gradient and
 * the filter-gradient product over the patches: on the reference CNN's first layer 11 MB each);
 * fused, it reads its input and writes only the pooled output and one byte per pooled value.
 *
 * Forward, per pooled position and 8 channels: the 4 conv outputs of its window (acc[k], k = 2 *
 * row + column) summed over the taps in (fy, fx, ci) order from 0 with multiply-adds, as the
 * im2col product sums them; their first strict maximum; + bias; ReLU. Adding the bias after the
 * maximum gives the same float (rounding is monotonic), so y equals im2col + product + max pool
 * bit for bit. `code` keeps per pooled value which window position won (0-3), or 4 where ReLU
 * passed no gradient (y not > 0).
 * Backward: the filter and bias gradients of images n0..n1, each image's sums (float32, pixel
 * order) into its own block of `acc`; `convPoolGradSum` adds the blocks in image order in
 * float64. The blocks are the same whatever the thread count, so is the result.
 * x is read in place when the layer has no padding; with padding each image is first copied into
 * a zero-bordered `scratch` image, so the inner loops never test bounds.
 */

/** a * b + c: one fused multiply-add in the relaxed-SIMD build, else two instructions (as matMul.ts's). */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The 4 code bytes at p as i32 lanes. */
// @ts-ignore: decorator
@inline export function codeLanes(p: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

/** Image n of x, zero-bordered (padTop/padLeft before, the rest after) when the layer pads: Hp x Wp pixels. */
// @ts-ignore: decorator
@inline function paddedImage(x: usize, n: i32, H: i32, W: i32, C: i32, Hp: i32, Wp: i32, padTop: i32, padLeft: i32, scratch: usize): usize {
  const image = x + <usize>(n * H * W * C) * 4;
  if (Hp == H && Wp == W) return image;
  memory.fill(scratch, 0, <usize>(Hp * Wp * C) * 4);
  for (let r = 0; r < H; r++) {
    memory.copy(scratch + <usize>(((r + padTop) * Wp + padLeft) * C) * 4, image + <usize>(r * W * C) * 4, <usize>(W * C) * 4);
  }
  return scratch;
}

/**
 * The window's maximum (first strict, k = 2 * row + column), + bias, ReLU: stores y's vector and
 * its 4 code bytes (also winograd.ts's pooled output transform).
 */
// @ts-ignore: decorator
@inline export function poolStore(a0: v128, a1: v128, a2: v128, a3: v128, bias: v128, relu: bool, y: usize, code: usize): void {
  let m = a0;
  let k = i32x4.splat(0);
  let gt = f32x4.gt(a1, m);
  m = v128.bitselect(a1, m, gt);
  k = v128.bitselect(i32x4.splat(1), k, gt);
  gt = f32x4.gt(a2, m);
  m = v128.bitselect(a2, m, gt);
  k = v128.bitselect(i32x4.splat(2), k, gt);
  gt = f32x4.gt(a3, m);
  m = v128.bitselect(a3, m, gt);
  k = v128.bitselect(i32x4.splat(3), k, gt);
  let v = f32x4.add(m, bias);
  if (relu) {
    const zero = f32x4.splat(0);
    k = v128.bitselect(k, i32x4.splat(4), f32x4.gt(v, zero));
    v = v128.bitselect(zero, v, f32x4.lt(v, zero));
  }
  v128.store(y, v);
  const half = i16x8.narrow_i32x4_u(k, k);
  v128.store32_lane(code, i8x16.narrow_i16x8_u(half, half), 0);
}

/**
 * y [batch, ph, pw, outC] and code (bytes, same order) for images n0..n1. x [batch, H, W, inC];
 * f [fh, fw, inC, outC]; bias (outC floats); the conv output's row r, column c reads x from
 * (r - padTop, c - padLeft). scratch: the padded image (Hp x Wp x inC floats) when padding.
 */
export function convPool(
  x: usize, f: usize, bias: usize, y: usize, code: usize, n0: i32, n1: i32,
  H: i32, W: i32, inC: i32, fh: i32, fw: i32, outC: i32, ph: i32, pw: i32, padTop: i32, padLeft: i32, Hp: i32, Wp: i32, relu: i32,
  scratch: usize,
): void {
  const pixel = <usize>inC << 2;
  const rowBytes = <usize>Wp * pixel;
  const tapBytes = <usize>outC << 2;
  const zero = f32x4.splat(0);
  for (let n = n0; n < n1; n++) {
    const image = paddedImage(x, n, H, W, inC, Hp, Wp, padTop, padLeft, scratch);
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const corner = image + <usize>(2 * py) * rowBytes + <usize>(2 * px) * pixel;
        const out = <usize>((n * ph + py) * pw + px) * outC;
        // Eight channels at a time (the last four twice when outC is not a multiple of 8).
        for (let c = 0; c < outC; c += 8) {
          const second: usize = c + 4 < outC ? 16 : 0;
          let a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
          let w = f + (<usize>c << 2);
          for (let fy = 0; fy < fh; fy++) {
            let p = corner + <usize>fy * rowBytes;
            for (let t = 0; t < fw * inC; t++) {
              const w0 = v128.load(w);
              const w1 = v128.load(w + second);
              const x0 = v128.load32_splat(p);
              a00 = madd(x0, w0, a00);
              a01 = madd(x0, w1, a01);
              const x1 = v128.load32_splat(p + pixel);
              a10 = madd(x1, w0, a10);
              a11 = madd(x1, w1, a11);
              const x2 = v128.load32_splat(p + rowBytes);
              a20 = madd(x2, w0, a20);
              a21 = madd(x2, w1, a21);
              const x3 = v128.load32_splat(p + rowBytes + pixel);
              a30 = madd(x3, w0, a30);
              a31 = madd(x3, w1, a31);
              p += 4;
              w += tapBytes;
            }
          }
          const o = out + c;
          poolStore(a00, a10, a20, a30, v128.load(bias + (<usize>c << 2)), relu != 0, y + (<usize>o << 2), code + <usize>o);
          if (second != 0) poolStore(a01, a11, a21, a31, v128.load(bias + (<usize>c << 2), 16), relu != 0, y + (<usize>o << 2) + 16, code + <usize>o + 4);
        }
      }
    }
  }
}

/**
 * The filter and bias gradients of images n0..n1: image n's sums into acc + n * (taps + 1) * outC
 * floats ([taps][outC] then [outC]; taps = fh * fw * inC). dy [batch, ph, pw, outC] (the pooled
 * output's gradient), code as `convPool` wrote it. Each pooled value's gradient goes to one window
 * position, so per tap and 4 channels one multiply-add: the tap's 4 window values in a vector,
 * each lane picking the one its code names (a byte shuffle; code 4 picks 0). scratch: the padded
 * image when padding, then 2 * outC floats (the masked gradients and shuffle indices of a position).
 */
export function convPoolGrad(
  x: usize, dy: usize, code: usize, acc: usize, n0: i32, n1: i32,
  H: i32, W: i32, inC: i32, fh: i32, fw: i32, outC: i32, ph: i32, pw: i32, padTop: i32, padLeft: i32, Hp: i32, Wp: i32,
  scratch: usize,
): void {
  const pixel = <usize>inC << 2;
  const rowBytes = <usize>Wp * pixel;
  const row = <usize>outC << 2;
  const taps = fh * fw * inC;
  const padded: usize = Hp == H && Wp == W ? 0 : <usize>(Hp * Wp * inC) * 4;
  const g = scratch + padded;
  const pick = g + row;
  const four = i32x4.splat(4);
  const bytes = i32x4.splat(0x04040404);
  const lanes = i32x4.splat(0x03020100);
  for (let n = n0; n < n1; n++) {
    const image = paddedImage(x, n, H, W, inC, Hp, Wp, padTop, padLeft, scratch);
    const sums = acc + <usize>(n * (taps + 1)) * row;
    const db = sums + <usize>taps * row;
    memory.fill(sums, 0, <usize>(taps + 1) * row);
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const at = <usize>((n * ph + py) * pw + px) * outC;
        // g: dy where ReLU passed it; pick: per lane the bytes of window position `code` (code 4: >= 16, picks 0).
        for (let c: usize = 0; c < row; c += 16) {
          const k = codeLanes(code + at + (c >> 2));
          const d = v128.and(v128.load(dy + (at << 2) + c), i32x4.lt_u(k, four));
          v128.store(g + c, d);
          v128.store(pick + c, i32x4.add(i32x4.mul(k, bytes), lanes));
          v128.store(db + c, f32x4.add(v128.load(db + c), d));
        }
        const corner = image + <usize>(2 * py) * rowBytes + <usize>(2 * px) * pixel;
        let s = sums;
        for (let fy = 0; fy < fh; fy++) {
          let p = corner + <usize>fy * rowBytes;
          for (let t = 0; t < fw * inC; t++) {
            // The tap's value at the 4 window positions (k = 2 * row + column).
            let window = v128.load32_zero(p);
            window = v128.load32_lane(p + pixel, window, 1);
            window = v128.load32_lane(p + rowBytes, window, 2);
            window = v128.load32_lane(p + rowBytes + pixel, window, 3);
            for (let c: usize = 0; c < row; c += 16) {
              v128.store(s + c, madd(i8x16.swizzle(window, v128.load(pick + c)), v128.load(g + c), v128.load(s + c)));
            }
            p += 4;
            s += row;
          }
        }
      }
    }
  }
}

/** df (taps * outC floats) and db (outC) = the images' blocks of acc added in image order, in float64. */
export function convPoolGradSum(acc: usize, batch: i32, taps: i32, outC: i32, df: usize, db: usize): void {
  const cols = (taps + 1) * outC;
  for (let j = 0; j < cols; j++) {
    let sum: f64 = 0;
    for (let n = 0; n < batch; n++) sum += <f64>load<f32>(acc + (<usize>(n * cols + j) << 2));
    store<f32>(j < taps * outC ? df + (<usize>j << 2) : db + (<usize>(j - taps * outC) << 2), <f32>sum);
  }
}

/**
 * The conv output's gradient (before ReLU's and the bias's) from the pooled one, images n0..n1:
 * dz [batch, convH, convW, outC] = dy at the position `code` names, 0 elsewhere (rows and columns
 * no window covers too). For the input gradient, which then goes as through im2col's (col2im).
 */
export function convPoolExpand(dy: usize, code: usize, dz: usize, n0: i32, n1: i32, convH: i32, convW: i32, outC: i32, ph: i32, pw: i32): void {
  const row = <usize>outC << 2;
  const image = <usize>(convH * convW) * row;
  memory.fill(dz + <usize>n0 * image, 0, <usize>(n1 - n0) * image);
  for (let n = n0; n < n1; n++) {
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const at = <usize>((n * ph + py) * pw + px) * outC;
        const top = dz + <usize>n * image + <usize>((2 * py) * convW + 2 * px) * row;
        for (let c: usize = 0; c < row; c += 16) {
          const d = v128.load(dy + (at << 2) + c);
          const k = codeLanes(code + at + (c >> 2));
          v128.store(top + c, v128.and(d, i32x4.eq(k, i32x4.splat(0))));
          v128.store(top + row + c, v128.and(d, i32x4.eq(k, i32x4.splat(1))));
          v128.store(top + <usize>convW * row + c, v128.and(d, i32x4.eq(k, i32x4.splat(2))));
          v128.store(top + <usize>convW * row + row + c, v128.and(d, i32x4.eq(k, i32x4.splat(3))));
        }
      }
    }
  }
}
