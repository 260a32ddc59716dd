import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeInfos, reshapeInfo, runWasmKernel } from './kernelCall';

/**
 * Sums (weight 1) or averages (weight 1/rows) a float32 tensor over its leading axes
 * `0..k-1` as one product `[1, rows] x [rows, rest]` on the fast matmul path, or returns
 * undefined when the reduction is not of that form (the caller then uses the stock kernel).
 *
 * Why: the stock wasm Sum/Mean reduce only innermost axes natively and transpose first
 * otherwise; for the bias gradient of a conv layer (sum of dy [128,26,26,32] over [0,1,2])
 * that took 105 ms against 6.7 ms as a product with a row of ones.
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

  const weights = backend.makeOutput([1, rows], 'float32');
  (backend.typedArrayFromHeap(weights) as Float32Array).fill(mean ? 1 / rows : 1);
  const x2d = reshapeInfo(backend, x, [rows, cols]);
  const product = runWasmKernel(backend, 'BatchMatMul', { a: weights, b: x2d }, { transposeA: false, transposeB: false });
  const out = reshapeInfo(backend, product, keepDims ? [...Array(k).fill(1), ...rest] : rest);
  disposeInfos(backend, weights, x2d, product);
  return out;
}
