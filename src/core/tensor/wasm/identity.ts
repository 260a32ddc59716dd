import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';

/**
 * Identity (tf.clone, same-dtype casts, many gradients) sharing the input's buffer, as the cpu
 * backend does and as the wasm backend's own Reshape does: tensors are immutable and buffers
 * reference-counted. The stock kernel copies; a CNN step made seven such copies of activations
 * (up to 11 MB each). Strings keep the stock kernel.
 */
export const identityFix: WasmKernelFix = {
  kernelName: 'Identity',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Identity kernel to fall back on');
    return (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return stock.kernelFunc(args);
      const backend = args.backend as BackendWasm;
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    };
  },
};
