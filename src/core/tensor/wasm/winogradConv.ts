import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdMatMul } from './batchMatMul';
import { biasActivationGrad } from './fusedLayers';
import { disposeInfos } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import {
  winogradInputGradThreaded, winogradInputThreaded, winogradOutputGradThreaded, winogradOutputThreaded, type WinogradGeometry,
} from './threads';

/**
 * A 3x3 stride-1 conv layer (bias, ReLU or none) in training as Winograd F(2x2, 3x3)
 * (assembly/winograd.ts): per 2x2 output tile, 16 products of 4x4-transformed inputs and filters
 * instead of 36 multiply-adds per channel pair, i.e. 2.25x fewer multiply-adds forward, for the
 * input gradient and for the filter gradient (each is the backward pass of the same three linear
 * steps). The layer is three kernels, like the im2col path (fusedLayers.ts):
 * - `WINOGRAD_INPUT`: x -> V [16, tiles, in], the transformed input windows (kept by the tape for
 *   the filter gradient, as the im2col patches are; 0.44x their size for a 3x3 filter);
 * - the filter transform U = G g G^T as one small product with a constant [16, 9] matrix
 *   (`tf.matMul`, so its gradient is tfjs's own);
 * - `WINOGRAD_CONV`: 16 products M = V U (the SIMD product, threaded), then the output transform
 *   with the bias and ReLU; backward: ReLU's and the bias's gradient (one pass, as the fused
 *   layers), the output transform's gradient dM, then dV = dM U^T and dU = V^T dM (16 products
 *   each) and the input transform's gradient (threaded by images).
 * Rounding differs from im2col + product (transformed values are sums of up to 9 terms), so the
 * layer agrees with tfjs's conv2d to float rounding, not bit for bit (tests state the bound
 * against a float64 reference); results are identical for any thread count (every product is
 * split as the single-thread one sums, and the transforms split by images).
 */
export const WINOGRAD_INPUT = 'ModelLabWinogradInput';
export const WINOGRAD_INPUT_GRAD = 'ModelLabWinogradInputGrad';
export const WINOGRAD_CONV = 'ModelLabWinogradConv2D';
export const WINOGRAD_OUTPUT_GRAD = 'ModelLabWinogradOutputGrad';

/**
 * Input channels from which a layer runs as Winograd. The 16 products have the input channels as
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

/** G (4 x 3) of F(2x2, 3x3); the filter transform is (G kron G) [16, 9] times the filter as [9, in * out]. */
const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
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

const tiles = (out: number) => Math.ceil(out / 2);

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

/** Inputs {x NHWC}, attrs InputAttrs -> V [16, tiles, C]. */
export const winogradInputKernel: WasmKernelFix = {
  kernelName: WINOGRAD_INPUT,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x } = args.inputs as { x: tf.TensorInfo };
      const g = geometry(x.shape, args.attrs as unknown as InputAttrs, 0);
      const v = backend.makeOutput([16, tileCount(g), g.inC], 'float32');
      winogradInputThreaded(backend, heapOffset(backend, x), heapOffset(backend, v), g);
      return v;
    };
  },
};

/** Inputs {dv [16, tiles, C]}, attrs InputAttrs + inputShape -> dx: the input transform's gradient. */
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

/** Inputs {v [16, tiles, in], u [16, in, out], b [out]}, attrs ConvAttrs -> relu?(conv + b) [batch, outH, outW, out]. */
export const winogradConvKernel: WasmKernelFix = {
  kernelName: WINOGRAD_CONV,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { v, u, b } = args.inputs as { v: tf.TensorInfo; u: tf.TensorInfo; b: tf.TensorInfo };
      const { relu, outShape } = args.attrs as unknown as ConvAttrs;
      const m = simdMatMul(backend, v, u, false, false);
      if (!m) throw new Error(`${WINOGRAD_CONV}: float32 operands only`);
      const y = backend.makeOutput(outShape, 'float32');
      winogradOutputThreaded(backend, heapOffset(backend, m), heapOffset(backend, y), outputGeometry(outShape), heapOffset(backend, b), relu);
      disposeInfos(backend, m);
      return y;
    };
  },
};

/** Inputs {dy [batch, outH, outW, out]} -> dM [16, tiles, out]: the output transform's gradient. */
export const winogradOutputGradKernel: WasmKernelFix = {
  kernelName: WINOGRAD_OUTPUT_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy } = args.inputs as { dy: tf.TensorInfo };
      const g = outputGeometry(dy.shape);
      const dm = backend.makeOutput([16, tileCount(g), g.outC], 'float32');
      winogradOutputGradThreaded(backend, heapOffset(backend, dy), heapOffset(backend, dm), g);
      return dm;
    };
  },
};

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: WINOGRAD_CONV,
    inputsToSave: ['v', 'u'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [v, u, y] = saved;
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, (attrs as unknown as ConvAttrs).relu);
      const dm = tf.engine().runKernel(WINOGRAD_OUTPUT_GRAD, { dy: dz }) as tf.Tensor;
      return {
        v: () => tf.matMul(dm, u, false, true),
        u: () => tf.matMul(v, dm, true, false),
        b: () => db,
      };
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
 * relu?(conv2d(x, filter, stride 1, pad) + b) for a 3x3 filter, NHWC, as Winograd F(2x2, 3x3)
 * (see `winogradApplies` for when; the caller checks).
 */
export function winogradConvLayer(x: tf.Tensor, filter: tf.Tensor, b: tf.Tensor, pad: 'valid' | 'same', relu: boolean): tf.Tensor {
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    1, 1, pad, undefined, false, 'channelsLast');
  const [, , inC, outC] = filter.shape;
  return tf.tidy(() => {
    const inputAttrs: InputAttrs = { padTop: c.padInfo.top, padLeft: c.padInfo.left, outH: c.outHeight, outW: c.outWidth };
    const v = tf.engine().runKernel(WINOGRAD_INPUT, { x }, inputAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const u = tf.reshape(tf.matMul(tf.tensor2d(FILTER_TRANSFORM, [16, 9]), tf.reshape(filter, [9, inC * outC])), [16, inC, outC]);
    const outShape = [c.batchSize, c.outHeight, c.outWidth, outC];
    return tf.engine().runKernel(WINOGRAD_CONV, { v, u, b }, { relu, outShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}
