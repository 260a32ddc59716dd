import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, toChannelsFirst, toChannelsLast } from './convPatches';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset, simdKernels, simdKernelsPath } from './simdKernels';

/**
 * Conv2DBackpropInput (the input gradient of every conv2d layer but the first) on the wasm
 * backend's native (XNNPACK) Conv2D kernel instead of the stock backprop kernel, a plain loop:
 * measured 1083 ms vs. 142 ms for the reference CNN's second layer at batch 128.
 *
 * The input gradient is a "full" convolution of dy with the filter rotated by 180 degrees and
 * its in/out channels swapped; a forward stride becomes zeros inserted between dy's rows and
 * columns. Padding the (zero-interleaved) dy by `filter - 1 - padBefore` in front and whatever
 * makes the output the input's size behind gives exactly dx. Geometries where that padding
 * would be negative (padding larger than the filter) keep the stock kernel.
 */
export const conv2DBackpropInputFix: WasmKernelFix = {
  kernelName: 'Conv2DBackpropInput',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Conv2DBackpropInput kernel to fall back on');
    const simd = simdKernelsPath() !== undefined;
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
        args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const channelsFirst = dataFormat === 'NCHW';
      const nhwcShape = (channelsFirst
        ? [inputShape[0], inputShape[2], inputShape[3], inputShape[1]]
        : inputShape) as [number, number, number, number];
      const filterShape = filter.shape as [number, number, number, number];
      if (simd && !channelsFirst) return productInputGrad(backend, dy, filter, nhwcShape, strides, pad, dimRoundingMode);
      const g = convGeometry(nhwcShape, filterShape, strides, 1, pad, dimRoundingMode, false);
      const [fh, fw] = filterShape;
      const spreadHeight = (g.outHeight - 1) * g.strideHeight + 1;
      const spreadWidth = (g.outWidth - 1) * g.strideWidth + 1;
      const top = fh - 1 - g.padTop;
      const left = fw - 1 - g.padLeft;
      const bottom = g.inHeight + fh - 1 - spreadHeight - top;
      const right = g.inWidth + fw - 1 - spreadWidth - left;
      if (top < 0 || left < 0 || bottom < 0 || right < 0) return stock.kernelFunc(args);

      const dyl = channelsFirst ? toChannelsLast(backend, dy) : dy;
      const spread = g.strideHeight > 1 || g.strideWidth > 1 ? interleaveZeros(backend, dyl, g.strideHeight, g.strideWidth) : dyl;
      const flipped = runWasmKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
      const rotated = runWasmKernel(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
      const dx = runWasmKernel(backend, 'Conv2D', { x: spread, filter: rotated }, {
        strides: [1, 1],
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]] as unknown as tf.NamedAttrMap[string],
        dataFormat: 'NHWC',
        dilations: [1, 1],
      });
      disposeInfos(backend, flipped, rotated);
      if (spread !== dyl) disposeInfos(backend, spread);
      if (dyl !== dy) disposeInfos(backend, dyl);
      if (!channelsFirst) return dx;
      const dxFirst = toChannelsFirst(backend, dx);
      disposeInfos(backend, dx);
      return dxFirst;
    };
  },
};

/** [N, h, w, C] -> [N, (h-1)*sh + 1, (w-1)*sw + 1, C] with sh-1 / sw-1 zeros between rows / columns. */
function interleaveZeros(backend: BackendWasm, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  const expanded = runWasmKernel(backend, 'Reshape', { x }, { shape: [n, h, 1, w, 1, c] });
  const padded = runWasmKernel(backend, 'PadV2', { x: expanded }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  });
  const flat = runWasmKernel(backend, 'Reshape', { x: padded }, { shape: [n, h * sh, w * sw, c] });
  const cropped = runWasmKernel(backend, 'Slice', { x: flat }, {
    begin: [0, 0, 0, 0], size: [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c],
  });
  disposeInfos(backend, expanded, padded, flat);
  return cropped;
}

/**
 * dx as a matrix product and a scatter-add: cols = dy [positions, out] x filter^T [out, taps*in]
 * (fast matmul path; the packed operand is the small filter), then `col2im` adds every
 * position's taps into dx, skipping the padding. The convolution formulation above also
 * multiplies the zeros around dy (a 3x3 "full" convolution of an 11x11 map computes 13x13
 * outputs over 15x15 inputs); measured on the reference CNN's second layer at batch 128:
 * 44 ms that way, 36 ms this way.
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
  const dy3 = runWasmKernel(backend, 'Reshape', { x: dy }, { shape: [1, positions, c.outChannels] });
  const w3 = runWasmKernel(backend, 'Reshape', { x: filter }, { shape: [1, taps, c.outChannels] });
  const cols = runWasmKernel(backend, 'BatchMatMul', { a: dy3, b: w3 }, { transposeA: false, transposeB: true });
  const dx = backend.makeOutput(inputShape, 'float32');
  simdKernels(backend).col2im(heapOffset(backend, cols), heapOffset(backend, dx),
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, c.filterHeight, c.filterWidth, c.padInfo.top, c.padInfo.left);
  disposeInfos(backend, dy3, w3, cols);
  return dx;
}
