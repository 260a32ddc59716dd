import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, toChannelsFirst, toChannelsLast } from './convPatches';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

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
