import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { biasActivationGrad } from './fusedLayers';
import { disposeInfos } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';
import { nativeConvGemm, nativeMatMulBatch } from './nativeGemm';
import { heapOffset } from './simdKernels';
import {
  matMulBatchThreaded, winogradForwardThreaded, winogradInputGradThreaded, winogradInputThreaded, winogradOutputGradPoolThreaded, winogradOutputGradThreaded,
  winogradOutputThreaded, type StridedProduct, type WinogradGeometry,
} from './threads';

/**
 * A 3x3 stride-1 conv layer (bias, ReLU or none) in training as Winograd F(4x4, 3x3)
 * (assembly/winograd.ts): per 4x4 output tile, 36 products of 6x6-transformed inputs and filters
 * instead of 144 multiply-adds per channel pair, i.e. 4x fewer multiply-adds (3.4x on the
 * reference CNN's 11x11 output, whose tiles cover 12x12) forward, for the input gradient and for
 * the filter gradient (each is the backward pass of the same three linear steps). F(2x2, 3x3)
 * (2.25x fewer) was built first and measured: its transformed tensors are 1.8x larger, and the
 * step saved 13% instead of this one's (docs/performance.md). The layer is three kernels, like the
 * im2col path (fusedLayers.ts):
 * - `WINOGRAD_INPUT`: x -> V [tiles, 36, in], the transformed input windows (kept by the tape for
 *   the filter gradient, as the im2col patches are; 0.33x their size on the reference CNN);
 * - the filter transform U = G g G^T as one small product with a constant [36, 9] matrix
 *   (`tf.matMul`, so its gradient is tfjs's own);
 * - `WINOGRAD_CONV`: 36 products M[., xi] = V[., xi] U[xi] (the SIMD product on strided slices),
 *   then the output transform with the bias and ReLU, in items of a few images whose M stays in
 *   cache (`winogradForwardThreaded`);
 *   backward: ReLU's and the bias's gradient (one pass, as the fused layers), the output
 *   transform's gradient dM (`WINOGRAD_OUTPUT_GRAD`), then dV = dM U^T (`WINOGRAD_DATA_GRAD`) and
 *   dU = V^T dM (`WINOGRAD_FILTER_GRAD`), 36 products each, and the input transform's gradient.
 * The transformed tensors are tile-major ([tiles, 36, C], see assembly/winograd.ts).
 * Rounding differs from im2col + product (transformed values are sums of up to 9 terms), so the
 * layer agrees with tfjs's conv2d to float rounding, not bit for bit (tests state the bound
 * against a float64 reference); results are identical for any thread count (every product is
 * split as the single-thread one sums, and the transforms split by images).
 */
export const WINOGRAD_INPUT = 'ModelLabWinogradInput';
export const WINOGRAD_INPUT_GRAD = 'ModelLabWinogradInputGrad';
export const WINOGRAD_CONV = 'ModelLabWinogradConv2D';
export const WINOGRAD_OUTPUT_GRAD = 'ModelLabWinogradOutputGrad';
export const WINOGRAD_DATA_GRAD = 'ModelLabWinogradDataGrad';
export const WINOGRAD_FILTER_GRAD = 'ModelLabWinogradFilterGrad';
/**
 * The layer with the 2x2/2 max pooling after it (`winogradConvLayer(..., pool)`): every pooling
 * window lies inside one 4x4 output tile, so the output transform pools as it stores, writing only
 * the pooled output and a byte per value naming the window position that won (or that ReLU cut
 * the gradient: assembly/convPool.ts's `poolStore`); the output is the unfused layer's and max
 * pooling's bit for bit. Backward, the output transform's gradient starts from the pooled gradient
 * and the codes (no full-size output gradient, pooling gradient or ReLU/bias gradient pass).
 */
export const WINOGRAD_CONV_POOL = 'ModelLabWinogradConvPool';
export const WINOGRAD_OUTPUT_GRAD_POOL = 'ModelLabWinogradOutputGradPool';

/** `MODEL_LAB_WINOGRAD_POOL=0` keeps a Winograd layer and its max pooling apart (A/B measurements). */
export const WINOGRAD_POOL_ENV_VAR = 'MODEL_LAB_WINOGRAD_POOL';

/** The 36 products of a pass on the native product where it applies, else on the wasm threads (same arguments). */
function products(backend: BackendWasm, p: StridedProduct, aStride: number, bStride: number, cStride: number): void {
  const gemm = nativeConvGemm();
  if (gemm) nativeMatMulBatch(gemm, backend, 36, p, aStride, bStride, cStride);
  else matMulBatchThreaded(backend, 36, p, aStride, bStride, cStride);
}

/**
 * Tiles per chunk of the native forward pass: the 36 products of a chunk's tiles, then its output
 * transform, while that part of M (2.3 MB on the reference CNN's second layer) is still in cache.
 * Over all tiles at once (M 10.6 MB) the forward took 0.57 / 0.75 CPU-ms more on 1 / 2 threads
 * (5.71 / 6.32 against 5.14 / 5.57, medians of 14, load 5.5-6.8); chunks of 72-144 tiles were no
 * better on 1 thread and worse on 2 (two dispatches per chunk). Fixed by the shape, not the thread count.
 */
const NATIVE_FORWARD_TILES = 256;

/**
 * The forward pass after the input transform: the 36 products, then the output transform (+ bias,
 * ReLU; pooled with `pooled`). On the wasm product both run per few images while M is in cache
 * (`winogradForwardThreaded`); on the native one per chunk of `NATIVE_FORWARD_TILES` tiles (whole images).
 */
function forward(
  backend: BackendWasm, v: number, u: number, m: number, y: number, g: WinogradGeometry, bias: number, relu: boolean,
  pooled?: { code: number; ph: number; pw: number },
): void {
  const gemm = nativeConvGemm();
  if (!gemm) {
    winogradForwardThreaded(backend, v, u, m, y, g, bias, relu, pooled);
    return;
  }
  const perImage = g.tilesH * g.tilesW;
  const chunk = Math.max(1, Math.floor(NATIVE_FORWARD_TILES / perImage));
  for (let n0 = 0; n0 < g.batch; n0 += chunk) {
    const images = Math.min(chunk, g.batch - n0);
    const t0 = n0 * perImage;
    nativeMatMulBatch(gemm, backend, 36, {
      m: images * perImage, n: g.outC, k: g.inC, a: v + t0 * 36 * g.inC * 4, aRow: 36 * g.inC * 4, aK: 4, b: u, bTransposed: false, ldb: 0,
      c: m + t0 * 36 * g.outC * 4, ldc: 36 * g.outC * 4,
    }, g.inC * 4, g.inC * g.outC * 4, g.outC * 4);
    winogradOutputThreaded(backend, m, y, g, bias, relu, pooled, n0, n0 + images);
  }
}

/**
 * Input channels from which a layer runs as Winograd. The 36 products have the input channels as
 * depth (forward) and the output channels as depth (input gradient): with a handful of channels
 * they are mostly packing and stores, and the transforms cost more than the multiply-adds saved
 * (the reference CNN's first layer, one channel, stays on im2col).
 */
export const WINOGRAD_MIN_CHANNELS = 8;

/** `MODEL_LAB_WINOGRAD=0` runs every conv layer as im2col + product (exactly tfjs's conv2d; A/B measurements). */
export const WINOGRAD_ENV_VAR = 'MODEL_LAB_WINOGRAD';

/**
 * Whether `winogradConvLayer` applies: 3x3 filter, stride 1, channels (in >= WINOGRAD_MIN_CHANNELS,
 * out) multiples of 4, the Winograd kernels registered, and not turned off by WINOGRAD_ENV_VAR.
 */
export function winogradApplies(filterShape: number[], strides: [number, number]): boolean {
  const [fh, fw, inC, outC] = filterShape;
  return process.env[WINOGRAD_ENV_VAR] !== '0' && tf.getKernel(WINOGRAD_CONV, tf.getBackend()) != null && fh === 3 && fw === 3 && strides[0] === 1 && strides[1] === 1 &&
    inC >= WINOGRAD_MIN_CHANNELS && inC % 4 === 0 && outC % 4 === 0;
}

/** G (6 x 3) of F(4x4, 3x3); the filter transform is (G kron G) [36, 9] times the filter as [9, in * out]. */
const G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]];
const FILTER_TRANSFORM = G.flatMap((ga) => G.flatMap((gb) => ga.flatMap((gi) => gb.map((gj) => gi * gj))));

interface InputAttrs {
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

interface ConvAttrs {
  relu: boolean;
  /** [batch, outH, outW, out]. */
  outShape: [number, number, number, number];
}

const tiles = (out: number) => Math.ceil(out / 4);

function geometry(xShape: number[], a: InputAttrs, outC: number): WinogradGeometry {
  const [batch, H, W, inC] = xShape;
  return { batch, H, W, inC, outH: a.outH, outW: a.outW, outC, tilesH: tiles(a.outH), tilesW: tiles(a.outW), padTop: a.padTop, padLeft: a.padLeft };
}

/** Output geometry only (the output transforms): input sizes are not used there. */
function outputGeometry(outShape: number[]): WinogradGeometry {
  const [batch, outH, outW, outC] = outShape;
  return { batch, H: 0, W: 0, inC: 0, outH, outW, outC, tilesH: tiles(outH), tilesW: tiles(outW), padTop: 0, padLeft: 0 };
}

const tileCount = (g: WinogradGeometry) => g.batch * g.tilesH * g.tilesW;

/** Inputs {x NHWC}, attrs InputAttrs -> V [tiles, 36, C]. */
export const winogradInputKernel: WasmKernelFix = {
  kernelName: WINOGRAD_INPUT,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x } = args.inputs as { x: tf.TensorInfo };
      const g = geometry(x.shape, args.attrs as unknown as InputAttrs, 0);
      const v = backend.makeOutput([tileCount(g), 36, g.inC], 'float32');
      winogradInputThreaded(backend, heapOffset(backend, x), heapOffset(backend, v), g);
      return v;
    };
  },
};

/** Inputs {dv [tiles, 36, C]}, attrs InputAttrs + inputShape -> dx: the input transform's gradient. */
export const winogradInputGradKernel: WasmKernelFix = {
  kernelName: WINOGRAD_INPUT_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dv } = args.inputs as { dv: tf.TensorInfo };
      const attrs = args.attrs as unknown as InputAttrs & { inputShape: number[] };
      const dx = backend.makeOutput(attrs.inputShape, 'float32');
      winogradInputGradThreaded(backend, heapOffset(backend, dv), heapOffset(backend, dx), geometry(attrs.inputShape, attrs, 0));
      return dx;
    };
  },
};

/** Inputs {v [tiles, 36, in], u [36, in, out], b [out]}, attrs ConvAttrs -> relu?(conv + b) [batch, outH, outW, out]. */
export const winogradConvKernel: WasmKernelFix = {
  kernelName: WINOGRAD_CONV,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { v, u, b } = args.inputs as { v: tf.TensorInfo; u: tf.TensorInfo; b: tf.TensorInfo };
      const { relu, outShape } = args.attrs as unknown as ConvAttrs;
      const [tileTotal, , inC] = v.shape;
      const outC = outShape[3];
      const m = backend.makeOutput([tileTotal, 36, outC], 'float32');
      const y = backend.makeOutput(outShape, 'float32');
      forward(backend, heapOffset(backend, v), heapOffset(backend, u), heapOffset(backend, m), heapOffset(backend, y),
        { ...outputGeometry(outShape), inC }, heapOffset(backend, b), relu);
      disposeInfos(backend, m);
      return y;
    };
  },
};

/** Inputs {v, u, b}, attrs ConvAttrs (outShape: the conv output's) -> [y [batch, outH / 2, outW / 2, out] (floor), code (int32 [y.size / 4])]. */
export const winogradConvPoolKernel: WasmKernelFix = {
  kernelName: WINOGRAD_CONV_POOL,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { v, u, b } = args.inputs as { v: tf.TensorInfo; u: tf.TensorInfo; b: tf.TensorInfo };
      const { relu, outShape } = args.attrs as unknown as ConvAttrs;
      const [tileTotal, , inC] = v.shape;
      const [batch, outH, outW, outC] = outShape;
      const [ph, pw] = [Math.floor(outH / 2), Math.floor(outW / 2)];
      const m = backend.makeOutput([tileTotal, 36, outC], 'float32');
      const y = backend.makeOutput([batch, ph, pw, outC], 'float32');
      const code = backend.makeOutput([(batch * ph * pw * outC) / 4], 'int32');
      forward(backend, heapOffset(backend, v), heapOffset(backend, u), heapOffset(backend, m), heapOffset(backend, y),
        { ...outputGeometry(outShape), inC }, heapOffset(backend, b), relu, { code: heapOffset(backend, code), ph, pw });
      disposeInfos(backend, m);
      return [y, code];
    };
  },
};

/** Inputs {dy [batch, ph, pw, out] (pooled), code}, attrs {outShape} -> [dM [tiles, 36, out], db [out]]. */
export const winogradOutputGradPoolKernel: WasmKernelFix = {
  kernelName: WINOGRAD_OUTPUT_GRAD_POOL,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, code } = args.inputs as { dy: tf.TensorInfo; code: tf.TensorInfo };
      const g = outputGeometry((args.attrs as unknown as ConvAttrs).outShape);
      const dm = backend.makeOutput([tileCount(g), 36, g.outC], 'float32');
      const db = backend.makeOutput([g.outC], 'float32');
      winogradOutputGradPoolThreaded(backend, heapOffset(backend, dy), heapOffset(backend, code), heapOffset(backend, dm), heapOffset(backend, db),
        g, dy.shape[1], dy.shape[2]);
      return [dm, db];
    };
  },
};

/** Inputs {dy [batch, outH, outW, out]} -> dM [tiles, 36, out]: the output transform's gradient. */
export const winogradOutputGradKernel: WasmKernelFix = {
  kernelName: WINOGRAD_OUTPUT_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy } = args.inputs as { dy: tf.TensorInfo };
      const g = outputGeometry(dy.shape);
      const dm = backend.makeOutput([tileCount(g), 36, g.outC], 'float32');
      winogradOutputGradThreaded(backend, heapOffset(backend, dy), heapOffset(backend, dm), g);
      return dm;
    };
  },
};

/** Inputs {dm [tiles, 36, out], u [36, in, out]} -> dV [tiles, 36, in]: dV[., xi] = dM[., xi] U[xi]^T. */
export const winogradDataGradKernel: WasmKernelFix = {
  kernelName: WINOGRAD_DATA_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dm, u } = args.inputs as { dm: tf.TensorInfo; u: tf.TensorInfo };
      const [tileTotal, , outC] = dm.shape;
      const inC = u.shape[1];
      const dv = backend.makeOutput([tileTotal, 36, inC], 'float32');
      products(backend, {
        m: tileTotal, n: inC, k: outC, a: heapOffset(backend, dm), aRow: 36 * outC * 4, aK: 4,
        b: heapOffset(backend, u), bTransposed: true, ldb: 0, c: heapOffset(backend, dv), ldc: 36 * inC * 4,
      }, outC * 4, inC * outC * 4, inC * 4);
      return dv;
    };
  },
};

/** Inputs {v [tiles, 36, in], dm [tiles, 36, out]} -> dU [36, in, out]: dU[xi] = V[., xi]^T dM[., xi]. */
export const winogradFilterGradKernel: WasmKernelFix = {
  kernelName: WINOGRAD_FILTER_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { v, dm } = args.inputs as { v: tf.TensorInfo; dm: tf.TensorInfo };
      const [tileTotal, , inC] = v.shape;
      const outC = dm.shape[2];
      const du = backend.makeOutput([36, inC, outC], 'float32');
      products(backend, {
        m: inC, n: outC, k: tileTotal, a: heapOffset(backend, v), aRow: 4, aK: 36 * inC * 4,
        b: heapOffset(backend, dm), bTransposed: false, ldb: 36 * outC * 4, c: heapOffset(backend, du), ldc: 0,
      }, inC * 4, outC * 4, inC * outC * 4);
      return du;
    };
  },
};

/** The gradients of the 36 products and the bias, from dM. */
const productGradients = (v: tf.Tensor, u: tf.Tensor, dm: tf.Tensor, db: tf.Tensor) => ({
  v: () => tf.engine().runKernel(WINOGRAD_DATA_GRAD, { dm, u }) as tf.Tensor,
  u: () => tf.engine().runKernel(WINOGRAD_FILTER_GRAD, { v, dm }) as tf.Tensor,
  b: () => db,
});

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: WINOGRAD_CONV,
    inputsToSave: ['v', 'u'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [v, u, y] = saved;
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, (attrs as unknown as ConvAttrs).relu);
      return productGradients(v, u, tf.engine().runKernel(WINOGRAD_OUTPUT_GRAD, { dy: dz }) as tf.Tensor, db);
    },
  },
  {
    kernelName: WINOGRAD_CONV_POOL,
    inputsToSave: ['v', 'u'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [v, u, code] = saved;
      const [dm, db] = tf.engine().runKernel(WINOGRAD_OUTPUT_GRAD_POOL, { dy: (dys as tf.Tensor[])[0], code }, attrs) as tf.Tensor[];
      return productGradients(v, u, dm, db);
    },
  },
  {
    kernelName: WINOGRAD_INPUT,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      return { x: () => tf.engine().runKernel(WINOGRAD_INPUT_GRAD, { dv: dy as tf.Tensor }, { ...attrs, inputShape: x.shape }) as tf.Tensor };
    },
  },
];

export function registerWinogradGradients(): void {
  for (const g of GRADIENTS) tf.registerGradient(g);
}

/**
 * relu?(conv2d(x, filter, stride 1, pad) + b) for a 3x3 filter, NHWC, as Winograd F(4x4, 3x3)
 * (see `winogradApplies` for when; the caller checks); with `pool`, then a 2x2/2 'valid' max
 * pooling, fused (`WINOGRAD_CONV_POOL`; the caller checks `winogradPoolApplies`).
 */
export function winogradConvLayer(x: tf.Tensor, filter: tf.Tensor, b: tf.Tensor, pad: 'valid' | 'same', relu: boolean, pool = false): tf.Tensor {
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    1, 1, pad, undefined, false, 'channelsLast');
  const [, , inC, outC] = filter.shape;
  return tf.tidy(() => {
    const inputAttrs: InputAttrs = { padTop: c.padInfo.top, padLeft: c.padInfo.left, outH: c.outHeight, outW: c.outWidth };
    const v = tf.engine().runKernel(WINOGRAD_INPUT, { x }, inputAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const u = tf.reshape(tf.matMul(tf.tensor2d(FILTER_TRANSFORM, [36, 9]), tf.reshape(filter, [9, inC * outC])), [36, inC, outC]);
    const outShape = [c.batchSize, c.outHeight, c.outWidth, outC];
    const attrs = { relu, outShape } as unknown as tf.NamedAttrMap;
    if (!pool) return tf.engine().runKernel(WINOGRAD_CONV, { v, u, b }, attrs) as tf.Tensor;
    const [y, code] = tf.engine().runKernel(WINOGRAD_CONV_POOL, { v, u, b }, attrs) as tf.Tensor[];
    code.dispose();
    return y;
  });
}

/** Whether a Winograd layer (`winogradApplies`) on x may take its 2x2 max pooling: a 2x2 output or more, not off by WINOGRAD_POOL_ENV_VAR. */
export function winogradPoolApplies(xShape: number[], filterShape: number[], pad: 'valid' | 'same'): boolean {
  if (process.env[WINOGRAD_POOL_ENV_VAR] === '0' || tf.getKernel(WINOGRAD_CONV_POOL, tf.getBackend()) == null) return false;
  const c = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], 1, 1, pad);
  return c.outHeight >= 2 && c.outWidth >= 2;
}
