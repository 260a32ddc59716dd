import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convByProduct } from './conv2D';
import { simdMatMul } from './batchMatMul';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { biasActivationGradThreaded } from './threads';

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
      const out = simdMatMul(backend, x, w, false, false, { bias: b, relu: (args.attrs as unknown as FusedLayerAttrs).relu });
      if (!out) throw new Error(`${DENSE_LAYER}: float32 operands only`);
      return out;
    };
  },
};

/** Inputs {x NHWC, filter, b [out]} -> relu?(conv(x, filter) + b), dilation 1. */
export const convLayerKernel: WasmKernelFix = {
  kernelName: CONV_LAYER,
  simd: true,
  create() {
    return (args) => {
      const { x, filter, b } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; b: tf.TensorInfo };
      const { strides, pad, relu } = args.attrs as unknown as FusedConvAttrs;
      const out = convByProduct(args.backend as BackendWasm, x, filter, { strides, pad, dataFormat: 'NHWC', dilations: 1 }, { bias: b, relu });
      if (!out) throw new Error(`${CONV_LAYER}: unsupported convolution`);
      return out;
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
function biasActivationGrad(dy: tf.Tensor, y: tf.Tensor, relu: boolean): [tf.Tensor, tf.Tensor] {
  const outs = tf.engine().runKernel(BIAS_ACTIVATION_GRAD, { dy, y }, { relu } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return relu ? [outs[0], outs[1]] : [dy, outs[0]];
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
        x: () => tf.matMul(dz, w, false, true),
        w: () => tf.matMul(x, dz, true, false),
        b: () => db,
      };
    },
  },
  {
    kernelName: CONV_LAYER,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const { strides, pad, relu } = attrs as unknown as FusedConvAttrs;
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, relu);
      const conv = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        b: () => db,
      };
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

/** relu?(conv2d(x, filter) + b), NHWC, dilation 1, one kernel (see `DENSE_LAYER`). */
export function convLayer(x: tf.Tensor, filter: tf.Tensor, b: tf.Tensor, attrs: FusedConvAttrs): tf.Tensor {
  return tf.engine().runKernel(CONV_LAYER, { x, filter, b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
