import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { maxPoolTiledThreaded } from './threads';

/**
 * MaxPool forward on the training threads when the windows tile the input (stride = window, no
 * padding: the usual 2x2/2), SIMD over 4 channels at a time; other poolings keep the stock
 * kernel (XNNPACK, one thread). A maximum is exact, so any split gives the same result. On the
 * reference CNN the first pooling layer ([128,26,26,32]) was 2-3% of a step on one thread.
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
      const tiled = x.dtype === 'float32' && c.dataFormat === 'channelsLast' && c.strideHeight === c.filterHeight && c.strideWidth === c.filterWidth &&
        c.padInfo.top === 0 && c.padInfo.left === 0 && c.inChannels % 4 === 0 &&
        c.outHeight * c.filterHeight <= c.inHeight && c.outWidth * c.filterWidth <= c.inWidth;
      if (!tiled) return stock.kernelFunc(args);
      const y = backend.makeOutput(c.outShape, 'float32');
      if (tf.util.sizeFromShape(c.outShape) > 0) {
        maxPoolTiledThreaded(backend, heapOffset(backend, x), heapOffset(backend, y),
          c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.filterHeight, c.filterWidth);
      }
      return y;
    };
  },
};
