import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { transposedMatMul } from './batchMatMul';
import type { WasmKernelFix } from './kernelFix';

/**
 * _FusedMatMul (matmul + bias + activation, what dense layers run forward) with transposes done
 * explicitly first, for the same reason as the BatchMatMul fix: the stock kernel's transposed
 * paths are many times slower than a transpose plus its plain path.
 */
export const fusedMatMulFix: WasmKernelFix = {
  kernelName: '_FusedMatMul',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no _FusedMatMul kernel to build on');
    const fused = stock.kernelFunc;
    return (args) => {
      const inputs = args.inputs as unknown as tf._FusedMatMulInputs;
      const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
      if (!attrs.transposeA && !attrs.transposeB) return fused(args);
      const backend = args.backend as BackendWasm;
      const plainAttrs = { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap;
      const mul = (a: tf.TensorInfo, b: tf.TensorInfo) =>
        fused({ inputs: { ...inputs, a, b }, backend, attrs: plainAttrs }) as tf.TensorInfo;
      return transposedMatMul(backend, inputs.a, inputs.b, attrs.transposeA, attrs.transposeB, mul, false);
    };
  },
};
