import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { maxPoolGradThreaded } from './threads';

/**
 * MaxPoolGrad (every max-pooling layer's backward pass) as one SIMD pass over the heap
 * (`assembly/kernels.ts`): each output position's first window maximum, as the cpu backend
 * picks it, receives the gradient; windows that tile the input (2x2 stride 2) take a path
 * without scatter. The stock kernel took 86 ms for the reference CNN's first
 * pooling layer ([128,26,26,32], 2x2), a fifth of a training step; a JavaScript loop 37 ms.
 */
export const maxPoolGradFix: WasmKernelFix = {
  kernelName: 'MaxPoolGrad',
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
      const c = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      const dx = backend.makeOutput(input.shape, 'float32');
      const tiled = c.strideHeight === c.effectiveFilterHeight && c.strideWidth === c.effectiveFilterWidth &&
        c.dilationHeight === 1 && c.dilationWidth === 1 && c.padInfo.top === 0 && c.padInfo.left === 0 && c.inChannels % 4 === 0 &&
        // No window past the bottom or right edge ('same' padding of an odd size): the tiled kernel reads whole windows.
        c.outHeight * c.filterHeight <= c.inHeight && c.outWidth * c.filterWidth <= c.inWidth;
      if (tiled) {
        maxPoolGradThreaded(backend, true, heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx),
          c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, [c.filterHeight, c.filterWidth]);
        return dx;
      }
      maxPoolGradThreaded(backend, false, heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx),
        c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth,
        [c.strideHeight, c.strideWidth, c.effectiveFilterHeight, c.effectiveFilterWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left]);
      return dx;
    };
  },
};
