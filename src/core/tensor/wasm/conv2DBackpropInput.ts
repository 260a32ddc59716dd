import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { toChannelsFirst, toChannelsLast } from './convPatches';
import { simdMatMul } from './batchMatMul';
import { disposeInfos, reshapeInfo } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';
import { patchGeometry } from './conv2D';
import { heapOffset } from './simdKernels';
import { col2imThreaded } from './threads';

/**
 * Conv2DBackpropInput (the input gradient of every conv2d layer but the first) as a matrix
 * product and a scatter-add (below) instead of the stock kernel, a plain loop: 1083 ms for the
 * reference CNN's second layer at batch 128. Channels-first data is transposed around it.
 */
export const conv2DBackpropInputFix: WasmKernelFix = {
  kernelName: 'Conv2DBackpropInput',
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
        args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      if (dataFormat !== 'NCHW') return productInputGrad(backend, dy, filter, inputShape, strides, pad, dimRoundingMode);
      const dyl = toChannelsLast(backend, dy);
      const nhwcShape: [number, number, number, number] = [inputShape[0], inputShape[2], inputShape[3], inputShape[1]];
      const dx = productInputGrad(backend, dyl, filter, nhwcShape, strides, pad, dimRoundingMode);
      const dxFirst = toChannelsFirst(backend, dx);
      disposeInfos(backend, dyl, dx);
      return dxFirst;
    };
  },
};

/**
 * dx as a matrix product and a scatter-add: cols = dy [positions, out] x filter^T [out, taps*in]
 * (the SIMD product reads the filter transposed in place), then `col2im` adds every
 * position's taps into dx, skipping the padding (any padding, any stride). Expressed instead as
 * a "full" convolution of dy on XNNPACK (as it was before), it also multiplies the zeros around
 * dy: on the reference CNN's second layer at batch 128 that took 44 ms against 36 ms this way.
 */
function productInputGrad(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: tf.Conv2DBackpropInputAttrs['pad'],
  dimRoundingMode: tf.Conv2DBackpropInputAttrs['dimRoundingMode'],
): tf.TensorInfo {
  const c = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const positions = c.batchSize * c.outHeight * c.outWidth;
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  const dy2 = reshapeInfo(backend, dy, [positions, c.outChannels]);
  const w2 = reshapeInfo(backend, filter, [taps, c.outChannels]);
  const cols = simdMatMul(backend, dy2, w2, false, true)!;
  const dx = backend.makeOutput(inputShape, 'float32');
  col2imThreaded(backend, heapOffset(backend, cols), heapOffset(backend, dx), patchGeometry(c));
  disposeInfos(backend, dy2, w2, cols);
  return dx;
}
