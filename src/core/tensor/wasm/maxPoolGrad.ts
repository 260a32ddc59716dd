import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { maxPoolGradThreaded, maxPoolThreaded } from './threads';

/**
 * MaxPoolGrad (every max-pooling layer's backward pass) as one SIMD pass over the heap
 * (`assembly/kernels.ts`): each output position's first window maximum, as the cpu backend
 * picks it, receives the gradient; windows that tile the input (2x2 stride 2) take a path
 * without scatter, which reads each window's maximum from the forward output instead of finding
 * it again. The stock kernel took 86 ms for the reference CNN's first
 * pooling layer ([128,26,26,32], 2x2), a fifth of a training step; a JavaScript loop 37 ms.
 */
export const maxPoolGradFix: WasmKernelFix = {
  kernelName: 'MaxPoolGrad',
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, input, output } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
      const c = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      const dx = backend.makeOutput(input.shape, 'float32');
      if (windowsTile(c) && output) {
        maxPoolGradThreaded(backend, true, heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx),
          c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, [c.filterHeight, c.filterWidth, heapOffset(backend, output)]);
        return dx;
      }
      maxPoolGradThreaded(backend, false, heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx),
        c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth,
        [c.strideHeight, c.strideWidth, c.effectiveFilterHeight, c.effectiveFilterWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left]);
      return dx;
    };
  },
};

/**
 * Whether the pooling windows tile the input: stride = filter, no padding or dilation, channels
 * a multiple of 4, and no window past the bottom or right edge ('same' padding of an odd size).
 */
export function windowsTile(c: tf.backend_util.Conv2DInfo): boolean {
  return c.strideHeight === c.effectiveFilterHeight && c.strideWidth === c.effectiveFilterWidth &&
    c.dilationHeight === 1 && c.dilationWidth === 1 && c.padInfo.top === 0 && c.padInfo.left === 0 && c.inChannels % 4 === 0 &&
    c.outHeight * c.filterHeight <= c.inHeight && c.outWidth * c.filterWidth <= c.inWidth;
}

/**
 * MaxPool for windows that tile the input (`windowsTile`; the usual 2x2 stride 2) as one SIMD
 * pass, images shared between the training threads; other windows go to the stock kernel
 * (XNNPACK, one thread). The stock kernel was the only max-pooling step left on one thread.
 */
export const maxPoolFix: WasmKernelFix = {
  kernelName: 'MaxPool',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no MaxPool kernel to build on');
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolAttrs;
      const c = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      if (x.dtype !== 'float32' || !windowsTile(c)) return stock.kernelFunc(args);
      const y = backend.makeOutput(c.outShape, 'float32');
      if (tf.util.sizeFromShape(c.outShape) > 0) {
        maxPoolThreaded(backend, heapOffset(backend, x), heapOffset(backend, y),
          c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.filterHeight, c.filterWidth);
      }
      return y;
    };
  },
};
