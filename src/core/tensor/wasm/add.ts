import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset, simdKernels } from './simdKernels';

/**
 * Add of a bias, x [..., C] + b [C] (every conv and dense layer's bias in training, where tfjs
 * does not fuse it into the convolution), as one SIMD pass. The stock kernel's general
 * broadcasting loop took ~9 ms of CPU per step for the reference CNN's second layer
 * ([128,11,11,64] + [64]). Other adds keep the stock kernel.
 */
export const addFix: WasmKernelFix = {
  kernelName: 'Add',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Add kernel to fall back on');
    return (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const [x, bias] = isBiasOf(b, a) ? [a, b] : isBiasOf(a, b) ? [b, a] : [];
      if (!x || !bias) return stock.kernelFunc(args);
      const backend = args.backend as BackendWasm;
      const out = backend.makeOutput(x.shape, 'float32');
      const cols = tf.util.sizeFromShape(bias.shape);
      simdKernels(backend).addBias(heapOffset(backend, x), heapOffset(backend, bias), heapOffset(backend, out),
        tf.util.sizeFromShape(x.shape) / cols, cols);
      return out;
    };
  },
};

/** Whether `bias` is float32 [C] (or [1, ..., C]) and `x` float32 [..., C] with more than C elements. */
function isBiasOf(bias: tf.TensorInfo, x: tf.TensorInfo): boolean {
  if (bias.dtype !== 'float32' || x.dtype !== 'float32' || x.shape.length === 0) return false;
  const c = x.shape[x.shape.length - 1];
  return bias.shape.length <= x.shape.length && bias.shape.every((d, k) => (k === bias.shape.length - 1 ? d === c : d === 1))
    && tf.util.sizeFromShape(x.shape) > c;
}
