import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdMatMul, type ProductEpilogue } from './batchMatMul';
import { applyEpilogue, productEpilogue } from './fusedEpilogue';
import { disposeInfos, reshapeInfo } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { im2colThreaded, type PatchGeometry } from './threads';

/**
 * Conv2D and FusedConv2D (conv + bias + activation, what conv layers run forward) as im2col and
 * the SIMD matrix product: patches [positions, fh*fw*in] x filter [fh*fw*in, out]. XNNPACK's
 * convolution, which the stock kernels call, measured 26.6 ms for the reference CNN's second
 * layer (x [128,13,13,32], 3x3x32x64) and 13.6 ms for its first (a single input channel, 3.7
 * GFLOP/s). Channels-first data and dilations other than 1 stay with the stock kernels.
 */
export const conv2DFix: WasmKernelFix = {
  kernelName: 'Conv2D',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Conv2D kernel to build on');
    return (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      return convByProduct(args.backend as BackendWasm, x, filter, args.attrs as unknown as tf.Conv2DAttrs) ?? stock.kernelFunc(args);
    };
  },
};

export const fusedConv2DFix: WasmKernelFix = {
  kernelName: 'FusedConv2D',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no FusedConv2D kernel to build on');
    return (args) => {
      const inputs = args.inputs as unknown as tf.FusedConv2DInputs;
      const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
      const backend = args.backend as BackendWasm;
      const inProduct = productEpilogue({ ...inputs, ...attrs });
      if (inProduct) {
        const fused = convByProduct(backend, inputs.x, inputs.filter, attrs, inProduct);
        if (fused) return fused;
      }
      const out = convByProduct(backend, inputs.x, inputs.filter, attrs);
      return out ? applyEpilogue(backend, out, { ...inputs, ...attrs }) : stock.kernelFunc(args);
    };
  },
};

/** im2col + product (+ `epilogue` in the product), or undefined where this does not apply. */
export function convByProduct(
  backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs, epilogue: ProductEpilogue = {},
): tf.TensorInfo | undefined {
  const dilations = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : attrs.dilations ?? [1, 1];
  if (attrs.dataFormat === 'NCHW' || dilations[0] !== 1 || dilations[1] !== 1) return undefined;
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const cols = patchMatrix(backend, x, c);
  const w = reshapeInfo(backend, filter, [cols.shape[1], c.outChannels]);
  const product = simdMatMul(backend, cols, w, false, false, epilogue);
  const out = product && reshapeInfo(backend, product, [c.batchSize, c.outHeight, c.outWidth, c.outChannels]);
  disposeInfos(backend, cols, w, ...(product ? [product] : []));
  return out;
}

/** im2col/col2im's shape arguments for a convolution. */
export function patchGeometry(c: tf.backend_util.Conv2DInfo): PatchGeometry {
  return {
    batch: c.batchSize, inH: c.inHeight, inW: c.inWidth, C: c.inChannels, outH: c.outHeight, outW: c.outWidth,
    strideH: c.strideHeight, strideW: c.strideWidth, fh: c.filterHeight, fw: c.filterWidth, padTop: c.padInfo.top, padLeft: c.padInfo.left,
  };
}

/** im2col: [positions, fh*fw*in], one row per output position (n, oh, ow), taps in (i, j, c) order. */
export function patchMatrix(backend: BackendWasm, x: tf.TensorInfo, c: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const cols = backend.makeOutput([c.batchSize * c.outHeight * c.outWidth, c.filterHeight * c.filterWidth * c.inChannels], 'float32');
  im2colThreaded(backend, heapOffset(backend, x), heapOffset(backend, cols), patchGeometry(c));
  return cols;
}
