import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, placeWindowAt, unpad } from './convPatches';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

/**
 * DepthwiseConv2dNativeBackpropInput (the input gradient of depthwise/separable conv layers),
 * missing on wasm.
 *
 * The forward pass sums, over filter offsets, window(i, j) * filter[i, j] (per channel, then per
 * multiplier). Its adjoint: for each offset, dy weighted by filter[i, j] and summed over the
 * multiplier, placed back at the positions that window read; the placements are added up and
 * the padding cut off.
 */
export const depthwiseConv2dNativeBackpropInputFix: WasmKernelFix = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { strides, dilations, pad, dimRoundingMode, inputShape } =
        args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
      const filterShape = filter.shape as [number, number, number, number];
      const g = convGeometry(inputShape, filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true);
      const [fh, fw, channels, multiplier] = filterShape;

      const dy5d = runWasmKernel(backend, 'Reshape', { x: dy }, {
        shape: [g.batch, g.outHeight, g.outWidth, channels, multiplier],
      });
      const placed: tf.TensorInfo[] = [];
      for (let i = 0; i < fh; i++) {
        for (let j = 0; j < fw; j++) {
          const weights = runWasmKernel(backend, 'Slice', { x: filter }, {
            begin: [i, j, 0, 0], size: [1, 1, channels, multiplier],
          });
          const weights2d = runWasmKernel(backend, 'Reshape', { x: weights }, { shape: [channels, multiplier] });
          const weighted = runWasmKernel(backend, 'Multiply', { a: dy5d, b: weights2d });
          const contribution = multiplier === 1
            ? runWasmKernel(backend, 'Reshape', { x: weighted }, { shape: [g.batch, g.outHeight, g.outWidth, channels] })
            : runWasmKernel(backend, 'Sum', { x: weighted }, { axis: [4], keepDims: false });
          placed.push(placeWindowAt(backend, contribution, g, i, j));
          disposeInfos(backend, weights, weights2d, weighted, contribution);
        }
      }
      const dxPadded = placed.length === 1 ? placed[0] : runWasmKernel(backend, 'AddN', placed);
      const dx = unpad(backend, dxPadded, g);
      disposeInfos(backend, dy5d, ...placed);
      if (dxPadded !== placed[0]) disposeInfos(backend, dxPadded);
      return dx;
    };
  },
};
