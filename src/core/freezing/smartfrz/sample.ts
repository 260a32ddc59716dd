import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../util/random';

/**
 * "Layer tailoring": a fixed random sample of a kernel's flattened values, so kernels of any
 * size give the predictor the same input width. The indices depend only on (seed, kernel size),
 * so a resumed run samples the same positions. Kernels smaller than the sample are sampled
 * with replacement (the predictor only sees sorted quantiles, so repeats are harmless).
 */
export function sampleIndices(kernelSize: number, sampleSize: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const next = (): number => rng.next();
  const out = new Int32Array(sampleSize);
  if (kernelSize <= sampleSize) {
    for (let i = 0; i < sampleSize; i++) out[i] = i < kernelSize ? i : Math.floor(next() * kernelSize);
    return out;
  }
  // Partial Fisher-Yates over a virtual permutation: distinct positions without an O(n) array.
  const swapped = new Map<number, number>();
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(next() * (kernelSize - i));
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    out[i] = vj;
    swapped.set(j, vi);
  }
  return out;
}

/**
 * Gathers the sampled values of several kernels into one tensor and reads it once
 * (one small async read per snapshot instead of one per layer).
 */
export async function readSamples(kernels: tf.Tensor[], indices: Int32Array[]): Promise<Float32Array[]> {
  if (kernels.length === 0) return [];
  const all = tf.tidy(() => tf.concat(kernels.map((k, i) => tf.gather(k.reshape([-1]), tf.tensor1d(indices[i], 'int32')))));
  const flat = (await all.data()) as Float32Array;
  all.dispose();
  const out: Float32Array[] = [];
  let off = 0;
  for (const idx of indices.slice(0, kernels.length)) {
    out.push(flat.slice(off, off + idx.length));
    off += idx.length;
  }
  return out;
}
