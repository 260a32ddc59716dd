import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { reduceLeadingAxes } from './leadingAxesReduction';

/**
 * Mean over leading axes (batch-norm statistics over batch and positions, sequence pooling of
 * a [batch, ...] tensor's leading dims) in one SIMD pass; other reductions keep
 * the stock kernel. See `reduceLeadingAxes`.
 */
export const meanFix: WasmKernelFix = {
  kernelName: 'Mean',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Mean kernel to fall back on');
    return (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.MeanAttrs;
      return reduceLeadingAxes(args.backend as BackendWasm, x, axis, keepDims, true) ?? stock.kernelFunc(args);
    };
  },
};
