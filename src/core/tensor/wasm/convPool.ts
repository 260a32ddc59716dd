import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { COL2IM } from './fusedLayers';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { convPoolExpandThreaded, convPoolGradThreaded, convPoolThreaded, type ConvPoolGeometry } from './threads';
import { winogradApplies } from './winogradConv';

/**
 * A stride-1 conv layer with few input channels (bias, ReLU or none) and the 2x2/2 max pooling
 * after it as one kernel in training (assembly/convPool.ts). An image network's first layer is
 * cheap in multiply-adds (one channel in: 9 per output value on the reference CNN) but its
 * full-resolution output is large (11 MB at batch 128), and unfused that output is streamed by
 * six kernels: im2col, the product, the pooling, and backward the pooling's gradient, ReLU's and
 * the bias's, and the filter gradient's product over the patches. Fused, the forward pass writes
 * only the pooled output and a byte per pooled value saying which window position won (or that
 * ReLU cut the gradient), and the backward pass reads those and the input:
 * - `CONV_POOL`: {x, filter, b} -> [y, code]; y equals im2col + product + max pool bit for bit
 *   (same sums in the same order; the bias added after the maximum rounds the same);
 * - `CONV_POOL_GRAD`: {x, dy, code} -> [dFilter, db], each image's sums in order, the images'
 *   added in float64 in image order: the same for any thread count, within float rounding of the
 *   unfused gradients (tests state the bound against float64);
 * - `CONV_POOL_EXPAND`: {dy, code} -> the conv output's gradient, only when the layer's input
 *   needs a gradient (not the first layer): then the product with the filter and col2im, as the
 *   im2col layer's input gradient.
 */
export const CONV_POOL = 'ModelLabConvPool';
export const CONV_POOL_GRAD = 'ModelLabConvPoolGrad';
export const CONV_POOL_EXPAND = 'ModelLabConvPoolExpand';

/** `MODEL_LAB_CONV_POOL=0` runs such layers unfused (im2col conv layer, then max pooling; A/B measurements). */
export const CONV_POOL_ENV_VAR = 'MODEL_LAB_CONV_POOL';

/**
 * Input channels up to which a conv layer is fused with its pooling: the kernel loops over taps
 * with one broadcast input value per tap, efficient while the taps are few (grayscale or RGB
 * images); wider layers are products (im2col or Winograd).
 */
export const CONV_POOL_MAX_CHANNELS = 4;

export interface ConvPoolAttrs {
  relu: boolean;
  pad: 'valid' | 'same';
}

/**
 * Whether `convPoolLayer` applies to a conv layer (before its 2x2/2 'valid' max pooling): stride 1,
 * at most CONV_POOL_MAX_CHANNELS input channels, output channels a multiple of 4, a pooled output
 * of at least one value, not a Winograd layer, the kernels registered and not turned off by
 * CONV_POOL_ENV_VAR.
 */
export function convPoolApplies(xShape: number[], filterShape: number[], strides: [number, number], pad: 'valid' | 'same'): boolean {
  const [, , inC, outC] = filterShape;
  if (process.env[CONV_POOL_ENV_VAR] === '0' || tf.getKernel(CONV_POOL, tf.getBackend()) == null) return false;
  if (strides[0] !== 1 || strides[1] !== 1 || inC > CONV_POOL_MAX_CHANNELS || outC % 4 !== 0 || winogradApplies(filterShape, strides)) return false;
  const g = geometry(xShape, filterShape, pad);
  return g.ph >= 1 && g.pw >= 1;
}

function convInfo(xShape: number[], filterShape: number[], pad: 'valid' | 'same') {
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number],
    1, 1, pad, undefined, false, 'channelsLast');
}

function geometry(xShape: number[], filterShape: number[], pad: 'valid' | 'same'): ConvPoolGeometry {
  const c = convInfo(xShape, filterShape, pad);
  const [batch, H, W, inC] = xShape;
  const [fh, fw, , outC] = filterShape;
  return {
    batch, H, W, inC, fh, fw, outC, ph: Math.floor(c.outHeight / 2), pw: Math.floor(c.outWidth / 2),
    padTop: c.padInfo.top, padLeft: c.padInfo.left, Hp: H + c.padInfo.top + c.padInfo.bottom, Wp: W + c.padInfo.left + c.padInfo.right,
  };
}

/** Inputs {x, filter, b}, attrs ConvPoolAttrs -> [y [batch, ph, pw, outC], code (int32 [y.size / 4]: one byte per value of y)]. */
export const convPoolKernel: WasmKernelFix = {
  kernelName: CONV_POOL,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x, filter, b } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; b: tf.TensorInfo };
      const { relu, pad } = args.attrs as unknown as ConvPoolAttrs;
      const g = geometry(x.shape, filter.shape, pad);
      const y = backend.makeOutput([g.batch, g.ph, g.pw, g.outC], 'float32');
      const code = backend.makeOutput([(g.batch * g.ph * g.pw * g.outC) / 4], 'int32');
      convPoolThreaded(backend, heapOffset(backend, x), heapOffset(backend, filter), heapOffset(backend, b), heapOffset(backend, y),
        heapOffset(backend, code), g, relu);
      return [y, code];
    };
  },
};

/** Inputs {x, dy, code}, attrs {pad, filterShape} -> [dFilter, db]. */
export const convPoolGradKernel: WasmKernelFix = {
  kernelName: CONV_POOL_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x, dy, code } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo; code: tf.TensorInfo };
      const { pad, filterShape } = args.attrs as unknown as GradAttrs;
      const df = backend.makeOutput(filterShape, 'float32');
      const db = backend.makeOutput([filterShape[3]], 'float32');
      convPoolGradThreaded(backend, heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, code), heapOffset(backend, df),
        heapOffset(backend, db), geometry(x.shape, filterShape, pad));
      return [df, db];
    };
  },
};

interface GradAttrs {
  pad: 'valid' | 'same';
  filterShape: number[];
  /** CONV_POOL_EXPAND only. */
  inputShape: number[];
}

/** Inputs {dy, code}, attrs {pad, filterShape, inputShape} -> dz [batch, convH, convW, outC] (the conv output's gradient). */
export const convPoolExpandKernel: WasmKernelFix = {
  kernelName: CONV_POOL_EXPAND,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, code } = args.inputs as { dy: tf.TensorInfo; code: tf.TensorInfo };
      const { pad, filterShape, inputShape } = args.attrs as unknown as GradAttrs;
      const c = convInfo(inputShape, filterShape, pad);
      const dz = backend.makeOutput([c.batchSize, c.outHeight, c.outWidth, c.outChannels], 'float32');
      convPoolExpandThreaded(backend, heapOffset(backend, dy), heapOffset(backend, code), heapOffset(backend, dz),
        geometry(inputShape, filterShape, pad), c.outHeight, c.outWidth);
      return dz;
    };
  },
};

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: CONV_POOL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (dys as tf.Tensor[])[0];
      const [x, filter, code] = saved;
      const { pad } = attrs as unknown as ConvPoolAttrs;
      const gradAttrs = { pad, filterShape: filter.shape, inputShape: x.shape } as unknown as tf.NamedAttrMap;
      const [df, db] = tf.engine().runKernel(CONV_POOL_GRAD, { x, dy, code }, gradAttrs) as tf.Tensor[];
      return {
        x: () => {
          const dz = tf.engine().runKernel(CONV_POOL_EXPAND, { dy, code }, gradAttrs) as tf.Tensor;
          const [fh, fw, inC, outC] = filter.shape;
          const cols = tf.matMul(tf.reshape(dz, [-1, outC]), tf.reshape(filter, [fh * fw * inC, outC]), false, true);
          return tf.engine().runKernel(COL2IM, { cols }, { strides: [1, 1], pad, filterShape: filter.shape, inputShape: x.shape }) as tf.Tensor;
        },
        filter: () => df,
        b: () => db,
      };
    },
  },
];

export function registerConvPoolGradients(): void {
  for (const g of GRADIENTS) tf.registerGradient(g);
}

/**
 * maxPool2x2(relu?(conv2d(x, filter, stride 1, pad) + b)), NHWC, one kernel (see `convPoolApplies`
 * for when; the caller checks).
 */
export function convPoolLayer(x: tf.Tensor, filter: tf.Tensor, b: tf.Tensor, pad: 'valid' | 'same', relu: boolean): tf.Tensor {
  const attrs: ConvPoolAttrs = { relu, pad };
  const [y, code] = tf.engine().runKernel(CONV_POOL, { x, filter, b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  code.dispose();
  return y;
}
