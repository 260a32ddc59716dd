import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, padInput, toChannelsLast, windowAt } from './convPatches';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

/**
 * Bytes of im2col patches built at once; above this the filter offsets are processed in
 * groups (one matmul per group), so a large batch does not allocate hundreds of MB.
 */
const PATCH_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * Conv2DBackpropFilter (the weight gradient of every conv2d layer), missing on wasm.
 *
 * im2col: the windows each filter offset reads are concatenated along channels into
 * [N*outH*outW, fh*fw*inC] and contracted with dy [N*outH*outW, outC] by one transposed matmul
 * (our fast BatchMatMul), giving [fh*fw*inC, outC] = the filter gradient's layout.
 */
export const conv2DBackpropFilterFix: WasmKernelFix = {
  kernelName: 'Conv2DBackpropFilter',
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
        args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const channelsFirst = dataFormat === 'NCHW';
      const xl = channelsFirst ? toChannelsLast(backend, x) : x;
      const dyl = channelsFirst ? toChannelsLast(backend, dy) : dy;
      const g = convGeometry(xl.shape as [number, number, number, number], filterShape,
        strides, 1, pad, dimRoundingMode, false);
      const [fh, fw, inC, outC] = filterShape;
      const rows = g.batch * g.outHeight * g.outWidth;

      const xPadded = padInput(backend, xl, g);
      const dy2d = runWasmKernel(backend, 'Reshape', { x: dyl }, { shape: [rows, outC] });
      const offsets: Array<[number, number]> = [];
      for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) offsets.push([i, j]);
      const perGroup = Math.max(1, Math.floor(PATCH_BUDGET_BYTES / (rows * inC * 4)));

      const parts: tf.TensorInfo[] = [];
      for (let start = 0; start < offsets.length; start += perGroup) {
        const group = offsets.slice(start, start + perGroup);
        const windows = group.map(([i, j]) => windowAt(backend, xPadded, g, i, j));
        const patches = windows.length === 1
          ? windows[0]
          : runWasmKernel(backend, 'Concat', windows, { axis: 3 });
        const patches2d = runWasmKernel(backend, 'Reshape', { x: patches }, { shape: [rows, group.length * inC] });
        parts.push(runWasmKernel(backend, 'BatchMatMul', { a: patches2d, b: dy2d }, { transposeA: true, transposeB: false }));
        disposeInfos(backend, ...windows, patches2d);
        if (patches !== windows[0]) disposeInfos(backend, patches);
      }
      const stacked = parts.length === 1 ? parts[0] : runWasmKernel(backend, 'Concat', parts, { axis: 0 });
      const dw = runWasmKernel(backend, 'Reshape', { x: stacked }, { shape: [fh, fw, inC, outC] });

      disposeInfos(backend, xPadded, dy2d, ...parts);
      if (stacked !== parts[0]) disposeInfos(backend, stacked);
      if (xl !== x) disposeInfos(backend, xl);
      if (dyl !== dy) disposeInfos(backend, dyl);
      return dw;
    };
  },
};
