import * as tf from '@tensorflow/tfjs';

/**
 * A kernel this project registers on the wasm backend, either replacing a slow stock kernel
 * or supplying one the backend lacks.
 */
export interface WasmKernelFix {
  kernelName: string;
  /** Runs on this project's SIMD module (`simdKernels.ts`): registered only when it was built. */
  simd?: boolean;
  /** Builds the kernel; `stock` is the wasm backend's own kernel of that name, if it has one. */
  create(stock: tf.KernelConfig | undefined): tf.KernelFunc;
}

/**
 * Key under which a registered fix remembers the stock kernel it replaced (null: there was none).
 * Keeping it on the registry entry makes registration idempotent and reversible without any
 * module state; `Symbol.for` so that two copies of this module (bundle + tests) agree.
 */
const STOCK = Symbol.for('model-lab.wasm.stockKernel');

type FixConfig = tf.KernelConfig & { [STOCK]?: tf.KernelConfig | null };

function registered(kernelName: string): FixConfig | undefined {
  return tf.getKernel(kernelName, 'wasm') as FixConfig | undefined;
}

/** Registers `fix` unless it already is; returns its kernel name. */
export function registerFix(fix: WasmKernelFix): string {
  const current = registered(fix.kernelName);
  if (current && STOCK in current) return fix.kernelName;
  const config: FixConfig = {
    kernelName: fix.kernelName,
    backendName: 'wasm',
    kernelFunc: fix.create(current),
    // Keeps the stock kernel's wasm function binding working if the backend is re-created.
    setupFunc: current?.setupFunc,
    [STOCK]: current ?? null,
  };
  if (current) tf.unregisterKernel(fix.kernelName, 'wasm');
  tf.registerKernel(config);
  return fix.kernelName;
}

/** Puts the stock kernel back (or none, if the backend had none). For benchmarks and tests. */
export function unregisterFix(fix: WasmKernelFix): void {
  const current = registered(fix.kernelName);
  if (!current || !(STOCK in current)) return;
  const stock = current[STOCK];
  tf.unregisterKernel(fix.kernelName, 'wasm');
  if (stock) tf.registerKernel(stock);
}

export function isFixRegistered(kernelName: string): boolean {
  const current = registered(kernelName);
  return current != null && STOCK in current;
}
