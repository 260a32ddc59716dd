import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, padInput, windowAt } from './convPatches';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

/** Same role as in the conv2d filter gradient: caps the bytes of patches built at once. */
export const PATCH_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * DepthwiseConv2dNativeBackpropFilter (the weight gradient of depthwise/separable conv layers),
 * missing on wasm.
 *
 * Per channel c it is an im2col contraction: dW[:, :, c, :] = windows_c^T · dy_c, so all channels
 * run as one batched matmul with the channel as batch axis:
 * [C, offsets, N*outH*outW] x [C, N*outH*outW, multiplier] -> [C, offsets, multiplier].
 */
export const depthwiseConv2dNativeBackpropFilterFix: WasmKernelFix = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  create: () => depthwiseConv2dNativeBackpropFilterKernel(PATCH_BUDGET_BYTES),
};

/** The kernel, building at most `patchBudgetBytes` of patches at once (a parameter for tests). */
export function depthwiseConv2dNativeBackpropFilterKernel(patchBudgetBytes: number): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, dilations, pad, dimRoundingMode, filterShape } =
      args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const g = convGeometry(x.shape as [number, number, number, number], filterShape,
      strides, dilations ?? 1, pad, dimRoundingMode, true);
    const [fh, fw, channels, multiplier] = filterShape;
    const rows = g.batch * g.outHeight * g.outWidth;

    const xPadded = padInput(backend, x, g);
    const dy3d = runWasmKernel(backend, 'Reshape', { x: dy }, { shape: [rows, channels, multiplier] });
    const dyByChannel = runWasmKernel(backend, 'Transpose', { x: dy3d }, { perm: [1, 0, 2] });
    const offsets: Array<[number, number]> = [];
    for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) offsets.push([i, j]);
    const perGroup = Math.max(1, Math.floor(patchBudgetBytes / (rows * channels * 4)));

    const parts: tf.TensorInfo[] = []; // each [C, groupSize, multiplier]
    for (let start = 0; start < offsets.length; start += perGroup) {
      const group = offsets.slice(start, start + perGroup);
      const windows = group.map(([i, j]) => windowAt(backend, xPadded, g, i, j));
      const patches = windows.length === 1 ? windows[0] : runWasmKernel(backend, 'Concat', windows, { axis: 3 });
      const patches3d = runWasmKernel(backend, 'Reshape', { x: patches }, { shape: [rows, group.length, channels] });
      const patchesByChannel = runWasmKernel(backend, 'Transpose', { x: patches3d }, { perm: [2, 1, 0] });
      parts.push(runWasmKernel(backend, 'BatchMatMul', { a: patchesByChannel, b: dyByChannel },
        { transposeA: false, transposeB: false }));
      disposeInfos(backend, ...windows, patches3d, patchesByChannel);
      if (patches !== windows[0]) disposeInfos(backend, patches);
    }
    const byChannel = parts.length === 1 ? parts[0] : runWasmKernel(backend, 'Concat', parts, { axis: 1 });
    const byOffset = runWasmKernel(backend, 'Transpose', { x: byChannel }, { perm: [1, 0, 2] });
    const dw = runWasmKernel(backend, 'Reshape', { x: byOffset }, { shape: [fh, fw, channels, multiplier] });

    disposeInfos(backend, xPadded, dy3d, dyByChannel, ...parts, byOffset);
    if (byChannel !== parts[0]) disposeInfos(backend, byChannel);
    return dw;
  };
}
