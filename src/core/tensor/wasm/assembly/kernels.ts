/*
 * SIMD kernels for the tfjs wasm backend, in AssemblyScript (compiled by scripts/build.mjs to
 * dist/simdKernels.wasm). The module imports the backend's own memory, so every pointer is a
 * tensor's heap offset and nothing is copied. It has no data segments, globals or stack: it
 * never writes outside the buffers it is given (the build checks this).
 *
 * Why these: tfjs-wasm's stock kernels for them are scalar C++ loops or compositions of many
 * kernels, and each is a measurable share of a training step (scripts/bench/kernels.ts).
 */

// Max-pooling gradient (NHWC): for every output position the first maximum of its window
// (row-major, strictly greater, as tfjs's cpu backend) receives the gradient; 4 channels per vector.
export function maxPoolGrad(
  x: usize, dy: usize, dx: usize,
  batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  strideH: i32, strideW: i32, fh: i32, fw: i32, dilH: i32, dilW: i32, padTop: i32, padLeft: i32,
): void {
  memory.fill(dx, 0, <usize>batch * inH * inW * C * 4);
  const rowStride = inW * C;
  const lanes = i32x4(0, 1, 2, 3);
  const C4 = C & ~3;
  for (let b = 0; b < batch; b++) {
    const xBase = b * inH * rowStride;
    for (let oh = 0; oh < outH; oh++) {
      const top = oh * strideH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const left = ow * strideW - padLeft;
        const dyBase = ((b * outH + oh) * outW + ow) * C;
        for (let c = 0; c < C4; c += 4) {
          let best = f32x4.splat(-Infinity);
          let at = i32x4.splat(-1);
          for (let i = 0; i < fh; i += dilH) {
            const h = top + i;
            if (h < 0 || h >= inH) continue;
            for (let j = 0; j < fw; j += dilW) {
              const w = left + j;
              if (w < 0 || w >= inW) continue;
              const p = xBase + h * rowStride + w * C + c;
              const v = v128.load(x + (<usize>p << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              at = v128.bitselect(i32x4.add(i32x4.splat(p), lanes), at, gt);
            }
          }
          for (let k = 0; k < 4; k++) {
            const a = i32x4.extract_lane(at, 0);
            at = v128.shuffle<i32>(at, at, 1, 2, 3, 0);
            if (a >= 0) {
              const q = dx + (<usize>a << 2);
              store<f32>(q, load<f32>(q) + load<f32>(dy + (<usize>(dyBase + c + k) << 2)));
            }
          }
        }
        for (let c = C4; c < C; c++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let i = 0; i < fh; i += dilH) {
            const h = top + i;
            if (h < 0 || h >= inH) continue;
            for (let j = 0; j < fw; j += dilW) {
              const w = left + j;
              if (w < 0 || w >= inW) continue;
              const p = xBase + h * rowStride + w * C + c;
              const v = load<f32>(x + (<usize>p << 2));
              if (v > best) { best = v; at = p; }
            }
          }
          if (at >= 0) {
            const q = dx + (<usize>at << 2);
            store<f32>(q, load<f32>(q) + load<f32>(dy + (<usize>(dyBase + c) << 2)));
          }
        }
      }
    }
  }
}

// Sum over leading axes: out[c] = sum_r x[r * cols + c], float64 accumulators (acc: cols f64).
export function sumRows(x: usize, rows: i32, cols: i32, acc: usize, out: usize, scale: f64): void {
  memory.fill(acc, 0, <usize>cols * 8);
  const cols4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>r * cols << 2);
    for (let c = 0; c < cols4; c += 4) {
      const v = v128.load(row + (<usize>c << 2));
      const a = acc + (<usize>c << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1))));
    }
    for (let c = cols4; c < cols; c++) {
      const a = acc + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(row + (<usize>c << 2)));
    }
  }
  for (let c = 0; c < cols; c++) store<f32>(out + (<usize>c << 2), <f32>(load<f64>(acc + (<usize>c << 3)) * scale));
}

// A dense or conv layer's bias-and-activation gradient in one pass over columns c0..c1 of
// dy [rows, cols]: with `relu`, dz = y > 0 ? dy : 0 (y the layer's ReLU output; dz written),
// else dz = dy (not written); db[c] = sum over rows of dz[r, c] with float64 accumulators (acc:
// cols f64), in row order, then rounded once: exactly `reluGrad` followed by `sumRows`. Whole
// columns per call, so several threads (disjoint column ranges) give one thread's result.
export function biasActivationGrad(
  dy: usize, y: usize, dz: usize, rows: i32, cols: i32, c0: i32, c1: i32, acc: usize, db: usize, relu: i32,
): void {
  memory.fill(acc + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  activationGradRows(dy, y, dz, 0, rows, cols, c0, c1, acc, relu);
  for (let c = c0; c < c1; c++) store<f32>(db + (<usize>c << 2), <f32>(load<f64>(acc + (<usize>c << 3)) * 1.0));
}

// The same pass over rows r0..r1 and every column, the column sums of those rows going to acc
// (cols f64, overwritten) and not yet to db: layers too narrow to share columns between threads
// share fixed blocks of rows this way, then `sumBlocks` adds the blocks' sums in order, so the
// result does not depend on the thread count.
export function biasActivationGradRows(dy: usize, y: usize, dz: usize, r0: i32, r1: i32, cols: i32, acc: usize, relu: i32): void {
  memory.fill(acc, 0, <usize>cols << 3);
  activationGradRows(dy, y, dz, r0, r1, cols, 0, cols, acc, relu);
}

// db[c] = sum over blocks of acc[block][c] (float64, in block order), rounded once.
export function sumBlocks(acc: usize, blocks: i32, cols: i32, db: usize): void {
  for (let c = 0; c < cols; c++) {
    let sum: f64 = 0;
    for (let b = 0; b < blocks; b++) sum += load<f64>(acc + ((<usize>b * cols + c) << 3));
    store<f32>(db + (<usize>c << 2), <f32>sum);
  }
}

// dz (with relu) for rows r0..r1, columns c0..c1, and acc[c] += dz[r, c] in row order.
// @ts-ignore: decorator
@inline function activationGradRows(dy: usize, y: usize, dz: usize, r0: i32, r1: i32, cols: i32, c0: i32, c1: i32, acc: usize, relu: i32): void {
  const v1 = c0 + ((c1 - c0) & ~3);
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const at = <usize>r * cols << 2;
    for (let c = c0; c < v1; c += 4) {
      const o = at + (<usize>c << 2);
      let v = v128.load(dy + o);
      if (relu) {
        v = v128.and(v, f32x4.gt(v128.load(y + o), zero));
        v128.store(dz + o, v);
      }
      const a = acc + (<usize>c << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1))));
    }
    for (let c = v1; c < c1; c++) {
      const o = at + (<usize>c << 2);
      let v = load<f32>(dy + o);
      if (relu) {
        v = load<f32>(y + o) > 0 ? v : 0;
        store<f32>(dz + o, v);
      }
      const a = acc + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + <f64>v);
    }
  }
}

// ReLU gradient: dx = x > 0 ? dy : 0.
export function reluGrad(dy: usize, x: usize, dx: usize, n: i32): void {
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  for (let k = 0; k < n4; k += 4) {
    const o = <usize>k << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero)));
  }
  for (let k = n4; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(dx + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

// One Adam step for one variable: the same float32 operations, in the same order, as tfjs's
// AdamOptimizer (1 - beta comes from the caller, rounded once as tfjs rounds it):
// m' = b1 m + (1-b1) g; v' = b2 v + (1-b2) g^2; w' = w - lr (m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps).
export function adam(
  w: usize, g: usize, m: usize, v: usize, wOut: usize, mOut: usize, vOut: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, epsilon: f32,
  oneMinusAccBeta1: f32, oneMinusAccBeta2: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(oneMinusBeta1);
  const c2 = f32x4.splat(oneMinusBeta2);
  const d1 = f32x4.splat(oneMinusAccBeta1);
  const d2 = f32x4.splat(oneMinusAccBeta2);
  const eps = f32x4.splat(epsilon);
  const step = f32x4.splat(-lr);
  const n4 = n & ~3;
  for (let k = 0; k < n4; k += 4) {
    const o = <usize>k << 2;
    const gk = v128.load(g + o);
    const mk = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gk, c1));
    const vk = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(gk, gk), c2));
    const update = f32x4.div(f32x4.div(mk, d1), f32x4.add(f32x4.sqrt(f32x4.div(vk, d2)), eps));
    v128.store(mOut + o, mk);
    v128.store(vOut + o, vk);
    v128.store(wOut + o, f32x4.add(f32x4.mul(update, step), v128.load(w + o)));
  }
  for (let k = n4; k < n; k++) {
    const o = <usize>k << 2;
    const gk = load<f32>(g + o);
    const mk = load<f32>(m + o) * beta1 + gk * oneMinusBeta1;
    const vk = load<f32>(v + o) * beta2 + gk * gk * oneMinusBeta2;
    const update = (mk / oneMinusAccBeta1) / (<f32>Mathf.sqrt(vk / oneMinusAccBeta2) + epsilon);
    store<f32>(mOut + o, mk);
    store<f32>(vOut + o, vk);
    store<f32>(wOut + o, update * -lr + load<f32>(w + o));
  }
}

// Max pooling when the windows tile the input without overlap (stride = filter, no padding, no
// dilation; the usual 2x2/2): y = the maximum of each window, in vectors of 4 channels.
// Channels must be a multiple of 4. Rows and columns no window covers are not read. pmax (one
// x86 maxps: a NaN after the window's first value is skipped) and not max: V8 lowers f32x4.max
// to a chain of 8 instructions (wasm's NaN and -0 rules).
export function maxPoolTiled(
  x: usize, y: usize,
  batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32, fh: i32, fw: i32,
): void {
  // Row by row: each input row is read once, in order (one stream), into the output row, which
  // stays in L1. Reading the 2x2 windows one by one ran 2.5x slower on inputs not in cache.
  const pixel = <usize>C << 2;
  const span = <usize>(outW * fw) * pixel;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const yRow = y + <usize>((b * outH + oh) * outW) * pixel;
      for (let i = 0; i < fh; i++) {
        const xRow = x + <usize>((b * inH + oh * fh + i) * inW) * pixel;
        let q = yRow;
        for (let p: usize = 0; p < span; p += <usize>fw * pixel) {
          for (let j = 0; j < fw; j++) {
            const src = xRow + p + <usize>j * pixel;
            if (i == 0 && j == 0) memory.copy(q, src, pixel);
            else {
              for (let c: usize = 0; c < pixel; c += 16) v128.store(q + c, f32x4.pmax(v128.load(q + c), v128.load(src + c)));
            }
          }
          q += pixel;
        }
      }
    }
  }
}

// Max-pooling gradient when the windows tile the input without overlap (stride = filter, no
// padding, no dilation; the usual 2x2/2): each window's first maximum (y, the forward output,
// is that maximum) gets dy, the rest 0, all in vectors of 4 channels with no scatter. Positions
// no window covers (a last odd row or column) are zeroed first. Channels must be a multiple of 4.
export function maxPoolGradTiled(
  x: usize, dy: usize, dx: usize,
  batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32, fh: i32, fw: i32, y: usize,
): void {
  if (outH * fh != inH || outW * fw != inW) memory.fill(dx, 0, <usize>batch * inH * inW * C * 4);
  // Row by row, so x is read and dx written in order (one stream each; window by window ran
  // 2x slower on inputs not in cache); whether a window's earlier rows already hold its first
  // maximum is read again from those rows (in cache: one input row back).
  const pixel = <usize>C << 2;
  const rowBytes = <usize>inW * pixel;
  const negInf = f32x4.splat(-Infinity);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const at = <usize>((b * outH + oh) * outW) * pixel;
      const top = <usize>(b * inH + oh * fh) * rowBytes;
      for (let i = 0; i < fh; i++) {
        const row = top + <usize>i * rowBytes;
        for (let ow = 0; ow < outW; ow++) {
          const window = <usize>(ow * fw) * pixel;
          const out = at + <usize>ow * pixel;
          for (let c: usize = 0; c < pixel; c += 16) {
            const best = v128.load(y + out + c);
            // Windows of -Infinity only get no gradient, as on the cpu backend.
            let open = f32x4.gt(best, negInf);
            for (let ii = 0; ii < i; ii++) {
              for (let j = 0; j < fw; j++) {
                open = v128.andnot(open, f32x4.eq(v128.load(x + top + <usize>ii * rowBytes + window + <usize>j * pixel + c), best));
              }
            }
            const grad = v128.load(dy + out + c);
            for (let j = 0; j < fw; j++) {
              const o = row + window + <usize>j * pixel + c;
              const first = v128.and(f32x4.eq(v128.load(x + o), best), open);
              open = v128.andnot(open, first);
              v128.store(dx + o, v128.and(grad, first));
            }
          }
        }
      }
    }
  }
}

// col2im: adds each output position's patch of input gradients, cols [positions, fh*fw*C] (the
// product dy x filter^T), into dx (NHWC), skipping taps that fall in the padding.
export function col2im(
  cols: usize, dx: usize,
  batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  strideH: i32, strideW: i32, fh: i32, fw: i32, padTop: i32, padLeft: i32,
): void {
  memory.fill(dx, 0, <usize>batch * inH * inW * C * 4);
  const C4 = C & ~3;
  const patch = fh * fw * C;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const row = cols + (<usize>((n * outH + oh) * outW + ow) * patch << 2);
        for (let i = 0; i < fh; i++) {
          const h = oh * strideH + i - padTop;
          if (h < 0 || h >= inH) continue;
          for (let j = 0; j < fw; j++) {
            const w = ow * strideW + j - padLeft;
            if (w < 0 || w >= inW) continue;
            const target = dx + (<usize>((n * inH + h) * inW + w) * C << 2);
            const source = row + (<usize>(i * fw + j) * C << 2);
            for (let c = 0; c < C4; c += 4) {
              const o = <usize>c << 2;
              v128.store(target + o, f32x4.add(v128.load(target + o), v128.load(source + o)));
            }
            for (let c = C4; c < C; c++) {
              const o = <usize>c << 2;
              store<f32>(target + o, load<f32>(target + o) + load<f32>(source + o));
            }
          }
        }
      }
    }
  }
}

// im2col, col2im's adjoint: each output position's patch of x (NHWC) as one row of cols
// [positions, fh*fw*C], zero where a tap falls in the padding; a convolution and its filter
// gradient are then matrix products with it. The taps of one filter row read consecutive input
// columns, so their in-range run is one copy (vector moves: runs are short, 3 floats for a
// single-channel 3x3 filter, and memory.copy's call costs more than such a copy).
export function im2col(
  x: usize, cols: usize,
  batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  strideH: i32, strideW: i32, fh: i32, fw: i32, padTop: i32, padLeft: i32,
): void {
  const tapRow = fw * C;
  let row = cols;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const left = ow * strideW - padLeft;
        const j0 = max(0, -left);
        const j1 = min(fw, inW - left);
        for (let i = 0; i < fh; i++) {
          const dst = row + (<usize>(i * tapRow) << 2);
          const h = oh * strideH + i - padTop;
          if (h < 0 || h >= inH || j0 >= j1) {
            zeroFloats(dst, tapRow);
            continue;
          }
          zeroFloats(dst, j0 * C);
          copyFloats(dst + (<usize>(j0 * C) << 2), x + (<usize>(((n * inH + h) * inW + left + j0) * C) << 2), (j1 - j0) * C);
          zeroFloats(dst + (<usize>(j1 * C) << 2), (fw - j1) * C);
        }
        row += <usize>(fh * tapRow) << 2;
      }
    }
  }
}

// @ts-ignore: decorator
@inline function copyFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function zeroFloats(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), i32x4.splat(0));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// The float32 matrix product behind MatMul and the dense layers (own file: it is a GEMM).
export { matMul, matMulBlock, matMulScratch } from './matMul';

// Winograd F(4x4, 3x3) transforms for 3x3 stride-1 convolutions (own file).
export { winogradInput, winogradInputGrad, winogradOutput, winogradOutputGrad, winogradOutputGradPool, winogradOutputPool } from './winograd';

// A stride-1 conv layer with few input channels fused with the 2x2/2 max pooling after it (own file).
export { convPool, convPoolExpand, convPoolGrad, convPoolGradSum } from './convPool';
