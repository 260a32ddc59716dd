import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simdKernels';

/**
 * Sums or averages a float32 tensor over its leading axes `0..k-1` in one SIMD pass over the
 * heap with float64 accumulators (`assembly/kernels.ts`), or returns undefined when the
 * reduction is not of that form (the caller then uses the stock kernel).
 *
 * Why: the stock wasm Sum/Mean reduce only innermost axes natively and transpose first
 * otherwise; for the bias gradient of a conv layer (sum of dy [128,26,26,32] over [0,1,2])
 * that took 105 ms. A product with a row of ones took 6.7 ms alone but ~27 ms inside a
 * training step (XNNPACK re-packs the fresh [86528,32] operand on every call).
 */
export function reduceLeadingAxes(
  backend: BackendWasm,
  x: tf.TensorInfo,
  axis: number | number[],
  keepDims: boolean,
  mean: boolean,
): tf.TensorInfo | undefined {
  if (x.dtype !== 'float32') return undefined;
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  const k = axes.length;
  if (k === 0 || k >= rank || axes.some((a, i) => a !== i)) return undefined;
  const rows = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const rest = x.shape.slice(k);
  const cols = rest.reduce((p, d) => p * d, 1);
  if (rows === 0 || cols === 0) return undefined;

  const out = backend.makeOutput(keepDims ? [...Array(k).fill(1), ...rest] : rest, 'float32');
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(pointer: number): void };
  const scratch = heap._malloc(cols * 8);
  try {
    simdKernels(backend).sumRows(heapOffset(backend, x), rows, cols, scratch, heapOffset(backend, out), mean ? 1 / rows : 1);
  } finally {
    heap._free(scratch);
  }
  return out;
}
