import * as tf from '@tensorflow/tfjs';

/**
 * Test helper: the float64 direct convolution the conv layers are measured against
 * (winogradConv.test.ts; convPool.test.ts and winogradConv.test.ts through pooledReference.ts).
 * Stride 1, NHWC input [N, H, W, C], filter [fh, fw, C, O]:
 * y[n, p, q, o] = b[o] + sum over i, j, c of x[n, p+i-pt, q+j-pl, c] f[i, j, c, o] (what falls
 * outside the input is padding: 0), and the gradients of sum(dz * y).
 */

/** Shapes, padding and output size of a stride-1 convolution. */
export interface ConvGeometry {
  xs: number[];
  fs: number[];
  /** Padding above and to the left. */
  pt: number;
  pl: number;
  oh: number;
  ow: number;
}

export function convGeometry(xs: number[], fs: number[], pad: 'valid' | 'same'): ConvGeometry {
  const c = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], 1, 1, pad);
  return { xs, fs, pt: c.padInfo.top, pl: c.padInfo.left, oh: c.outHeight, ow: c.outWidth };
}

/** Every product of the convolution as (output, input, filter) indices, in the order n, p, q, i, j, c, o. */
function visit(g: ConvGeometry, cb: (yi: number, xi: number, fi: number) => void): void {
  const [N, H, W, C] = g.xs;
  const [fh, fw, , O] = g.fs;
  const { pt, pl, oh, ow } = g;
  for (let n = 0; n < N; n++) for (let p = 0; p < oh; p++) for (let q = 0; q < ow; q++) {
    for (let i = 0; i < fh; i++) {
      const h = p + i - pt;
      if (h < 0 || h >= H) continue;
      for (let j = 0; j < fw; j++) {
        const w = q + j - pl;
        if (w < 0 || w >= W) continue;
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) cb(((n * oh + p) * ow + q) * O + o, ((n * H + h) * W + w) * C + c, ((i * fw + j) * C + c) * O + o);
      }
    }
  }
}

/** y [N, oh, ow, O], in float64. */
export function conv64(x: Float32Array, f: Float32Array, b: Float32Array, g: ConvGeometry): Float64Array {
  const O = g.fs[3];
  const y = new Float64Array(g.xs[0] * g.oh * g.ow * O);
  for (let k = 0; k < y.length; k++) y[k] = b[k % O];
  visit(g, (yi, xi, fi) => {
    y[yi] += x[xi] * f[fi];
  });
  return y;
}

/** [dx, df, db] of sum(dz * y) for a float64 dz shaped like y. */
export function convGradients64(dz: Float64Array, x: Float32Array, f: Float32Array, g: ConvGeometry): Float64Array[] {
  const O = g.fs[3];
  const dx = new Float64Array(x.length);
  const df = new Float64Array(f.length);
  const db = new Float64Array(O);
  visit(g, (yi, xi, fi) => {
    dx[xi] += dz[yi] * f[fi];
    df[fi] += dz[yi] * x[xi];
  });
  for (let k = 0; k < dz.length; k++) db[k % O] += dz[k];
  return [dx, df, db];
}
