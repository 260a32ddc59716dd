import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { reduceLeadingAxes } from './leadingAxesReduction';

/**
 * Sum over leading axes (every layer's bias gradient: dy summed over batch and positions) in one
 * SIMD pass; other reductions keep the stock kernel. See `reduceLeadingAxes`.
 */
export const sumFix: WasmKernelFix = {
  kernelName: 'Sum',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Sum kernel to fall back on');
    return (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      return reduceLeadingAxes(args.backend as BackendWasm, x, axis, keepDims, false) ?? stock.kernelFunc(args);
    };
  },
};
