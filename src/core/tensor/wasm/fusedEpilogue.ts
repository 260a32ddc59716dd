import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ProductEpilogue } from './batchMatMul';
import { disposeInfos, runWasmKernel } from './kernelCall';

/** What a fused kernel (_FusedMatMul, FusedConv2D) applies after its product. */
export interface Epilogue {
  bias?: tf.TensorInfo;
  activation?: tf.fused.Activation;
  leakyreluAlpha?: number;
  preluActivationWeights?: tf.TensorInfo;
}

/**
 * `activation(x + bias)` as the wasm backend's own kernels, one cheap pass each over the output;
 * takes ownership of `x` (disposed when replaced).
 */
export function applyEpilogue(backend: BackendWasm, x: tf.TensorInfo, e: Epilogue): tf.TensorInfo {
  let out = x;
  const then = (next: tf.TensorInfo) => {
    disposeInfos(backend, out);
    out = next;
  };
  if (e.bias) then(runWasmKernel(backend, 'Add', { a: out, b: e.bias }));
  switch (e.activation) {
    case undefined:
    case 'linear':
      break;
    case 'relu':
      then(runWasmKernel(backend, 'Relu', { x: out }));
      break;
    case 'relu6':
      then(runWasmKernel(backend, 'Relu6', { x: out }));
      break;
    case 'elu':
      then(runWasmKernel(backend, 'Elu', { x: out }));
      break;
    case 'sigmoid':
      then(runWasmKernel(backend, 'Sigmoid', { x: out }));
      break;
    case 'leakyrelu':
      then(runWasmKernel(backend, 'LeakyRelu', { x: out }, { alpha: e.leakyreluAlpha ?? 0.2 }));
      break;
    case 'prelu':
      if (!e.preluActivationWeights) throw new Error('prelu activation without its weights');
      then(runWasmKernel(backend, 'Prelu', { x: out, alpha: e.preluActivationWeights }));
      break;
    default:
      throw new Error(`unsupported fused activation '${e.activation as string}'`);
  }
  return out;
}

/**
 * The epilogue as the product's own (bias, ReLU: applied to each tile as it is stored, no extra
 * pass), or undefined when it needs the backend's kernels (other activations).
 */
export function productEpilogue(e: Epilogue): ProductEpilogue | undefined {
  if (e.activation !== undefined && e.activation !== 'linear' && e.activation !== 'relu') return undefined;
  return { bias: e.bias, relu: e.activation === 'relu' };
}
