import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './simdKernels';

/**
 * Calls a kernel registered for the wasm backend directly, the way backends compose their own
 * kernels: no engine bookkeeping and no gradient tape (a kernel's gradient is defined for the
 * kernel as a whole). Looked up at call time, so a patched kernel (e.g. our BatchMatMul) is used.
 * The caller must `disposeInfos` every intermediate result.
 */
export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel == null) throw new Error(`kernel '${kernelName}' is not registered for backend wasm`);
  const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs });
  if (Array.isArray(out)) throw new Error(`kernel '${kernelName}' returned several tensors; expected one`);
  return out;
}

/** Releases intermediate results (reference-counted: reshapes share their input's buffer). */
export function disposeInfos(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * Runs `use` with `floats` float32 of scratch in the wasm heap (passed its byte offset), released
 * afterwards whatever happens.
 */
export function withScratch<T>(backend: BackendWasm, floats: number, use: (offset: number) => T): T {
  const scratch = backend.makeOutput([floats], 'float32');
  try {
    return use(heapOffset(backend, scratch));
  } finally {
    disposeInfos(backend, scratch);
  }
}

export function reshapeInfo(backend: BackendWasm, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return runWasmKernel(backend, 'Reshape', { x }, { shape });
}
