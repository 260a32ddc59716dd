import * as tf from '@tensorflow/tfjs';
import { type ForwardPlan, runLayers } from './forward';

/**
 * Outputs of the frozen prefix (layers `0..boundary-1`, inference mode) for every example of
 * the training split (and, lazily, the test split), so each step starts from cached activations (a `tf.gather`
 * of the batch rows) instead of recomputing the prefix.
 *
 * Valid because the input pipeline is deterministic (no augmentation) and the frozen prefix
 * runs in inference mode (dropout off, batch-norm on moving statistics), so its output per
 * example never changes until the prefix grows — then the loop drops this cache and builds a
 * new one. Kept as tensors on the backend (no copy through JS each step). Memory: the caller
 * checks `cacheBytes` against a budget first (`DEFAULT_CACHE_BUDGET_BYTES`, 512 MiB rather than
 * 1 GiB because the wasm backend keeps every tensor in one heap capped at a few GiB, and
 * building needs about twice the final size for a moment: the batches, then their concat).
 */
export interface PrefixCache {
  boundary: number;
  train: tf.Tensor;
  /** Built lazily at the first evaluation (its cost is evaluation time, not training time). */
  test?: tf.Tensor;
}

export const DEFAULT_CACHE_BUDGET_BYTES = 512 * 1024 * 1024;

/** Examples per batch when filling the cache or evaluating. */
const INFERENCE_BATCH = 256;

/** Bytes the cache would take: float32 prefix outputs for every train and test example. */
export function cacheBytes(plan: ForwardPlan, boundary: number, examples: number): number {
  const shape = plan.layers[boundary - 1].outputShape as (number | null)[];
  const perExample = shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  return 4 * perExample * examples;
}

/**
 * Whether building a training-set cache pays off: filling it costs one inference pass of the
 * prefix over the training set, and each later step saves the prefix's forward pass for its
 * batch, so it must serve clearly more than one epoch's worth of examples (1.5x, leaving
 * room for the gathers and the transient memory).
 */
export function cachePaysOff(remainingExamples: number, trainExamples: number): boolean {
  return remainingExamples >= 1.5 * trainExamples;
}

export function disposePrefixCache(cache: PrefixCache | undefined): void {
  if (cache) tf.dispose(cache.test ? [cache.train, cache.test] : [cache.train]);
}

/**
 * The outputs of layers `from..boundary-1` (inference mode) for every row of `x`, which holds
 * the inputs of layer `from` (the data for 0; a smaller prefix's cached outputs when the frozen
 * prefix grows, so the layers already cached are not run again). Computed in batches;
 * `stopRequested` is asked before each, and undefined is returned (nothing kept) when it says stop.
 */
export async function prefixOutputs(
  plan: ForwardPlan,
  from: number,
  boundary: number,
  x: tf.Tensor,
  stopRequested: () => Promise<boolean> = async () => false,
): Promise<tf.Tensor | undefined> {
  const n = x.shape[0];
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < n; start += INFERENCE_BATCH) {
    if (await stopRequested()) {
      tf.dispose(parts);
      return undefined;
    }
    const size = Math.min(INFERENCE_BATCH, n - start);
    parts.push(tf.tidy(() => runLayers(plan, sliceRows(x, start, size), from, boundary, false, 0)));
  }
  if (parts.length === 0) {
    const shape = (plan.layers[boundary - 1].outputShape as (number | null)[]).slice(1) as number[];
    return tf.zeros([0, ...shape]);
  }
  const out = parts.length === 1 ? parts[0] : tf.concat(parts);
  if (parts.length > 1) tf.dispose(parts);
  return out;
}

/** Rows `start..start+size-1` of a tensor of any rank. */
export function sliceRows(x: tf.Tensor, start: number, size: number): tf.Tensor {
  const begin = x.shape.map((_, i) => (i === 0 ? start : 0));
  const sizes = x.shape.map((d, i) => (i === 0 ? size : d));
  return tf.slice(x, begin, sizes);
}

export { INFERENCE_BATCH };
