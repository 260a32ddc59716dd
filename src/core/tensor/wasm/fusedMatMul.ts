import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdMatMul } from './batchMatMul';
import { applyEpilogue, productEpilogue } from './fusedEpilogue';
import type { WasmKernelFix } from './kernelFix';

/**
 * _FusedMatMul (matmul + bias + activation, what dense layers run forward outside training) on
 * the SIMD matrix product, for the reasons in `batchMatMul.ts`; a per-column bias and ReLU in the
 * product's epilogue, other biases and activations after it as the backend's own kernels.
 */
export const fusedMatMulFix: WasmKernelFix = {
  kernelName: '_FusedMatMul',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no _FusedMatMul kernel to build on');
    return (args) => {
      const inputs = args.inputs as unknown as tf._FusedMatMulInputs;
      const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
      const backend = args.backend as BackendWasm;
      const inProduct = productEpilogue({ ...inputs, ...attrs });
      const fused = inProduct && simdMatMul(backend, inputs.a, inputs.b, attrs.transposeA, attrs.transposeB, inProduct);
      if (fused) return fused;
      const product = simdMatMul(backend, inputs.a, inputs.b, attrs.transposeA, attrs.transposeB);
      return product ? applyEpilogue(backend, product, { ...inputs, ...attrs }) : stock.kernelFunc(args);
    };
  },
};
