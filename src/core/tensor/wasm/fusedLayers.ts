import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { patchGeometry, patchMatrix } from './conv2D';
import { disposeInfos, reshapeInfo } from './kernelCall';
import { NATIVE_ATTR, simdMatMul } from './batchMatMul';
import type { WasmKernelFix } from './kernelFix';
import { nativeConvGemm } from './nativeGemm';
import { heapOffset } from './simdKernels';
import { biasActivationGradThreaded, col2imThreaded } from './threads';

/**
 * A dense or conv layer with a bias and ReLU (or no activation) as ONE kernel in training, with
 * a gradient of its own. tfjs computes such a layer unfused whenever it records gradients
 * (`shouldFuse` in tfjs-core: a fused ReLU has no gradient there): a product, a broadcasting
 * bias add and a ReLU forward, each a pass over the activation, an allocation and a tape entry;
 * backward `dy * step(y)` and a `Sum`. Here the bias and ReLU are the product's epilogue (applied
 * to each tile as it is stored, `assembly/matMul.ts`), and backward one threaded pass gives ReLU's
 * gradient and the bias gradient together (`BIAS_ACTIVATION_GRAD`), then the two products. The
 * float32 operations are the unfused ones, in the same order, so results are identical to
 * tfjs's unfused layer on this backend (tested), and identical for any thread count.
 */
export const DENSE_LAYER = 'ModelLabDense';
export const CONV_LAYER = 'ModelLabConv2D';
export const BIAS_ACTIVATION_GRAD = 'ModelLabBiasActivationGrad';
export const IM2COL = 'ModelLabIm2col';
export const COL2IM = 'ModelLabCol2im';

export interface FusedLayerAttrs {
  /** ReLU after the bias (else none). */
  relu: boolean;
}

export interface FusedConvAttrs extends FusedLayerAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
}

/** Inputs {x [m, k], w [k, n], b [n]} -> relu?(x w + b). */
export const denseLayerKernel: WasmKernelFix = {
  kernelName: DENSE_LAYER,
  simd: true,
  create() {
    return (args) => {
      const { x, w, b } = args.inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b: tf.TensorInfo };
      const backend = args.backend as BackendWasm;
      const out = simdMatMul(backend, x, w, false, false, { bias: b, relu: (args.attrs as unknown as FusedLayerAttrs).relu, native: true });
      if (!out) throw new Error(`${DENSE_LAYER}: float32 operands only`);
      return out;
    };
  },
};

/**
 * Inputs {patches [positions, taps], filter [fh, fw, in, out], b [out]}, attrs {relu, outShape}
 * -> relu?(patches filter + b) as [batch, outH, outW, out]. A conv layer is `IM2COL` then this:
 * the patches are what the filter gradient multiplies (patches^T dz), so the tape keeps them for
 * the backward pass instead of building them again; and the input gradient becomes the product
 * dz filter^T here and `COL2IM` (im2col's gradient), exactly what Conv2DBackpropInput computes.
 */
export const convLayerKernel: WasmKernelFix = {
  kernelName: CONV_LAYER,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { patches, filter, b } = args.inputs as { patches: tf.TensorInfo; filter: tf.TensorInfo; b: tf.TensorInfo };
      const { relu, outShape } = args.attrs as unknown as ConvProductAttrs;
      const w = reshapeInfo(backend, filter, [patches.shape[1], outShape[3]]);
      const product = simdMatMul(backend, patches, w, false, false, { bias: b, relu, native: nativeConvGemm() !== undefined });
      disposeInfos(backend, w);
      if (!product) throw new Error(`${CONV_LAYER}: float32 operands only`);
      const out = reshapeInfo(backend, product, outShape);
      disposeInfos(backend, product);
      return out;
    };
  },
};

interface ConvProductAttrs {
  relu: boolean;
  outShape: [number, number, number, number];
}

interface PatchAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
  /** [fh, fw, in, out] (out is not used). */
  filterShape: [number, number, number, number];
}

const convInfo = (xShape: number[], a: PatchAttrs) => tf.backend_util.computeConv2DInfo(
  xShape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, undefined, false, 'channelsLast');

/** Inputs {x NHWC} -> im2col patches [positions, fh*fw*in] (`patchMatrix`, threaded by images). */
export const im2colKernel: WasmKernelFix = {
  kernelName: IM2COL,
  simd: true,
  create() {
    return (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      return patchMatrix(args.backend as BackendWasm, x, convInfo(x.shape, args.attrs as unknown as PatchAttrs));
    };
  },
};

/** Inputs {cols [positions, fh*fw*in]}, attrs + inputShape -> dx NHWC: im2col's gradient (col2im, threaded by images). */
export const col2imKernel: WasmKernelFix = {
  kernelName: COL2IM,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { cols } = args.inputs as { cols: tf.TensorInfo };
      const attrs = args.attrs as unknown as PatchAttrs & { inputShape: number[] };
      const dx = backend.makeOutput(attrs.inputShape, 'float32');
      col2imThreaded(backend, heapOffset(backend, cols), heapOffset(backend, dx), patchGeometry(convInfo(attrs.inputShape, attrs)));
      return dx;
    };
  },
};

/**
 * Inputs {dy, y} (y: the layer's output), attrs {relu} -> [dz, db] with relu (dz = y > 0 ? dy : 0),
 * [db] without (dz is dy); db sums dz over every axis but the last.
 */
export const biasActivationGradKernel: WasmKernelFix = {
  kernelName: BIAS_ACTIVATION_GRAD,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
      const { relu } = args.attrs as unknown as FusedLayerAttrs;
      const cols = dy.shape[dy.shape.length - 1];
      const rows = tf.util.sizeFromShape(dy.shape) / cols;
      const dz = relu ? backend.makeOutput(dy.shape, 'float32') : undefined;
      const db = backend.makeOutput([cols], 'float32');
      const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(pointer: number): void };
      const acc = heap._malloc(cols * 8);
      try {
        biasActivationGradThreaded(backend, heapOffset(backend, dy), heapOffset(backend, y), dz ? heapOffset(backend, dz) : 0,
          rows, cols, acc, heapOffset(backend, db), relu);
      } finally {
        heap._free(acc);
      }
      return dz ? [dz, db] : [db];
    };
  },
};

/** [dz, db] for a layer's output gradient dy (dz is dy itself without ReLU). */
export function biasActivationGrad(dy: tf.Tensor, y: tf.Tensor, relu: boolean): [tf.Tensor, tf.Tensor] {
  const outs = tf.engine().runKernel(BIAS_ACTIVATION_GRAD, { dy, y }, { relu } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return relu ? [outs[0], outs[1]] : [dy, outs[0]];
}

/**
 * A dense layer's gradient product: tf.matMul (BatchMatMul, with its gradient) on the native
 * product where it loaded (`NATIVE_ATTR`), like the layer's forward product.
 */
function denseLayerGradProduct(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA, transposeB, [NATIVE_ATTR]: true } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** An im2col conv layer's gradient product: BatchMatMul, on the native product where conv layers take it (`nativeConvGemm`). */
function convLayerGradProduct(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA, transposeB, [NATIVE_ATTR]: nativeConvGemm() !== undefined } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Gradients of the fused kernels: each input's closure runs only when tfjs needs that input's gradient. */
const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: DENSE_LAYER,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved;
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, (attrs as unknown as FusedLayerAttrs).relu);
      return {
        x: () => denseLayerGradProduct(dz, w, false, true),
        w: () => denseLayerGradProduct(x, dz, true, false),
        b: () => db,
      };
    },
  },
  {
    kernelName: CONV_LAYER,
    inputsToSave: ['patches', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [patches, filter, y] = saved;
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, (attrs as unknown as ConvProductAttrs).relu);
      const [positions, taps] = patches.shape as [number, number];
      const dz2 = () => tf.reshape(dz, [positions, -1]);
      return {
        patches: () => convLayerGradProduct(dz2(), tf.reshape(filter, [taps, -1]), false, true),
        filter: () => tf.reshape(convLayerGradProduct(patches, dz2(), true, false), filter.shape),
        b: () => db,
      };
    },
  },
  {
    kernelName: IM2COL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      return { x: () => tf.engine().runKernel(COL2IM, { cols: dy as tf.Tensor }, { ...attrs, inputShape: x.shape }) as tf.Tensor };
    },
  },
];

export function registerFusedLayerGradients(): void {
  for (const g of GRADIENTS) tf.registerGradient(g);
}

/** Whether the active backend runs the fused layers (wasm with this project's SIMD kernels). */
export function fusedLayersAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(DENSE_LAYER, backend) != null && tf.getKernel(CONV_LAYER, backend) != null;
}

/** relu?(x w + b), one kernel (see `DENSE_LAYER`); x [m, k], w [k, n], b [n], float32. */
export function denseLayer(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, relu: boolean): tf.Tensor {
  return tf.engine().runKernel(DENSE_LAYER, { x, w, b }, { relu } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** relu?(conv2d(x, filter) + b), NHWC, dilation 1: im2col, then one product kernel (see `CONV_LAYER`). */
export function convLayer(x: tf.Tensor, filter: tf.Tensor, b: tf.Tensor, attrs: FusedConvAttrs): tf.Tensor {
  const patchAttrs: PatchAttrs = { strides: attrs.strides, pad: attrs.pad, filterShape: filter.shape as PatchAttrs['filterShape'] };
  const c = convInfo(x.shape, patchAttrs);
  return tf.tidy(() => {
    const patches = tf.engine().runKernel(IM2COL, { x }, patchAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const outShape = [c.batchSize, c.outHeight, c.outWidth, c.outChannels];
    return tf.engine().runKernel(CONV_LAYER, { patches, filter, b }, { relu: attrs.relu, outShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}
