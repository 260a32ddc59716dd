import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * This project's SIMD kernels (`assembly/kernels.ts`, compiled by the build to
 * `dist/simdKernels.wasm`), instantiated on the wasm backend's own memory so that they read and
 * write tensors in place: every pointer argument is a tensor's heap offset.
 */
export interface SimdKernels {
  maxPoolGrad(
    x: number, dy: number, dx: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number,
    strideH: number, strideW: number, filterH: number, filterW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number,
  ): void;
  conv2dFilterGrad(
    x: number, dy: number, dw: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number, outChannels: number,
    strideH: number, strideW: number, filterH: number, filterW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number,
  ): void;
  maxPoolGradTiled(
    x: number, dy: number, dx: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number, filterH: number, filterW: number,
  ): void;
  col2im(
    cols: number, dx: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number,
    strideH: number, strideW: number, filterH: number, filterW: number, padTop: number, padLeft: number,
  ): void;
  sumRows(x: number, rows: number, cols: number, scratch: number, out: number, scale: number): void;
  reluGrad(dy: number, x: number, dx: number, n: number): void;
  adam(
    w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    lr: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, epsilon: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number,
  ): void;
}

export const SIMD_KERNELS_FILE = 'simdKernels.wasm';

/**
 * Where the compiled module is: next to the bundle (dist/), or, running from sources (tests,
 * tsx), in the repository's dist/ after `npm run build`. Undefined when it was not built.
 */
export function simdKernelsPath(): string | undefined {
  const candidates = [path.join(__dirname, SIMD_KERNELS_FILE), path.resolve(__dirname, '../../../../dist', SIMD_KERNELS_FILE)];
  return candidates.find((f) => existsSync(f));
}

/** Instance per backend, kept on the backend object (no module state; `Symbol.for`: bundle + tests agree). */
const INSTANCE = Symbol.for('model-lab.wasm.simdKernels');

type WithKernels = BackendWasm & { [INSTANCE]?: SimdKernels };

/** The kernels bound to `backend`'s memory; throws if the module was not built. */
export function simdKernels(backend: BackendWasm): SimdKernels {
  const holder = backend as WithKernels;
  const existing = holder[INSTANCE];
  if (existing) return existing;
  const file = simdKernelsPath();
  if (!file) throw new Error(`${SIMD_KERNELS_FILE} not found: run npm run build`);
  const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } });
  const kernels = instance.exports as unknown as SimdKernels;
  holder[INSTANCE] = kernels;
  return kernels;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
