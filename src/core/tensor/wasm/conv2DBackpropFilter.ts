import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, padInput, toChannelsLast } from './convPatches';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset, simdKernels, simdKernelsPath } from './simdKernels';

/**
 * Up to this many filter inputs (in channels x filter height x width), the direct SIMD kernel
 * is used; above, the convolution formulation. Set from `scripts/bench/kernels.ts`: for the
 * reference CNN's first layer (3x3x1, 32 filters) direct took 11 ms of CPU time against ~42 ms.
 */
export const DIRECT_MAX_FILTER_INPUTS = 64;

/**
 * Conv2DBackpropFilter (the weight gradient of every conv2d layer), missing on wasm.
 *
 * The weight gradient is itself a convolution, so it runs on the wasm backend's native
 * (XNNPACK) Conv2D kernel:
 *   dW[i, j, c, o] = sum_{n, oh, ow} xPadded[n, oh*s + i, ow*s + j, c] * dy[n, oh, ow, o]
 * is a valid convolution of xPadded seen as [batch C, H, W, channels N] with dy seen as a filter
 * [outH, outW, in N, out O], dilated by the forward stride. Measured on the reference CNN's second
 * layer (x [128,13,13,32], 3x3x32x64): this is ~5x faster than im2col (slices + concat +
 * matmul) and ~50x faster than running it as the wasm Conv3DBackpropFilterV2 kernel.
 */
export const conv2DBackpropFilterFix: WasmKernelFix = {
  kernelName: 'Conv2DBackpropFilter',
  create() {
    const simd = simdKernelsPath() !== undefined;
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
        args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const channelsFirst = dataFormat === 'NCHW';
      if (simd && !channelsFirst && filterShape[0] * filterShape[1] * filterShape[2] <= DIRECT_MAX_FILTER_INPUTS) {
        return directFilterGrad(backend, x, dy, filterShape, strides, pad, dimRoundingMode);
      }
      const xl = channelsFirst ? toChannelsLast(backend, x) : x;
      const dyl = channelsFirst ? toChannelsLast(backend, dy) : dy;
      const g = convGeometry(xl.shape as [number, number, number, number], filterShape,
        strides, 1, pad, dimRoundingMode, false);
      const [fh, fw, inC, outC] = filterShape;

      const xPadded = padInput(backend, xl, g);
      const xByChannel = runWasmKernel(backend, 'Transpose', { x: xPadded }, { perm: [3, 1, 2, 0] });
      const dyAsFilter = runWasmKernel(backend, 'Transpose', { x: dyl }, { perm: [1, 2, 0, 3] });
      const product = runWasmKernel(backend, 'Conv2D', { x: xByChannel, filter: dyAsFilter }, {
        strides: [1, 1],
        pad: 'valid',
        dataFormat: 'NHWC',
        dilations: [g.strideHeight, g.strideWidth],
      }); // [inC, >= fh, >= fw, outC]: the padding may leave rows past the filter's reach
      const cropped = product.shape[1] === fh && product.shape[2] === fw
        ? product
        : runWasmKernel(backend, 'Slice', { x: product }, { begin: [0, 0, 0, 0], size: [inC, fh, fw, outC] });
      const dw = runWasmKernel(backend, 'Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });

      disposeInfos(backend, xPadded, xByChannel, dyAsFilter, product);
      if (cropped !== product) disposeInfos(backend, cropped);
      if (xl !== x) disposeInfos(backend, xl);
      if (dyl !== dy) disposeInfos(backend, dyl);
      return dw;
    };
  },
};

function directFilterGrad(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode: tf.Conv2DBackpropFilterAttrs['dimRoundingMode'],
): tf.TensorInfo {
  const c = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const dw = backend.makeOutput(filterShape, 'float32');
  simdKernels(backend).conv2dFilterGrad(
    heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dw),
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.strideHeight, c.strideWidth, c.filterHeight, c.filterWidth, c.dilationHeight, c.dilationWidth,
    c.padInfo.top, c.padInfo.left,
  );
  return dw;
}
