import * as tf from '@tensorflow/tfjs';
import type { ForwardResult, ModelAnatomy } from './forward';
import type { LayerPairs } from './layerMap';
import { attentionMse, projectedMse } from './losses';

/** Weights of TinyBERT's intermediate (Transformer-layer and embedding) losses; the official code uses 1 for each. */
export interface IntermediateWeights {
  embedding: number;
  hidden: number;
  attention: number;
}

/**
 * Initial values of the learned projections `W` (student width -> teacher width), one per
 * hidden pair (the paper has one `W_e` for embeddings and one `W_h` shared by the layers; one
 * per pair also covers students and teachers whose hidden widths differ from layer to layer).
 * Glorot-uniform, seeded.
 */
export function projectionInit(pairs: LayerPairs, student: ModelAnatomy, teacher: ModelAnatomy, seed: number): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  pairs.hidden.forEach(([s, t], i) => {
    const shape: [number, number] = [student.hiddenWidths[s], teacher.hiddenWidths[t]];
    out[`W${i}`] = tf.initializers.glorotUniform({ seed: seed + 17 * i }).apply(shape) as tf.Tensor;
  });
  return out;
}

/**
 * TinyBERT's intermediate loss for one batch: `embedding * MSE(E_S W_0, E_T) + hidden * sum_m
 * MSE(H_S^m W_m, H_T^g(m)) + attention * sum_m MSE(A_S^m, A_T^g(m))`, with the parts reported
 * (`pairTerms`: each hidden pair's MSE, in `pairs.hidden` order, for the per-layer hints).
 */
export function intermediateLoss(
  s: ForwardResult,
  t: ForwardResult,
  pairs: LayerPairs,
  projections: Record<string, tf.Tensor>,
  w: IntermediateWeights,
): { loss: tf.Scalar; embedding: tf.Scalar; hidden: tf.Scalar; attention: tf.Scalar; pairTerms: tf.Scalar[] } {
  const zero = () => tf.scalar(0);
  let embedding: tf.Scalar = zero();
  const hiddenTerms: tf.Scalar[] = [];
  const pairTerms: tf.Scalar[] = [];
  pairs.hidden.forEach(([si, ti], i) => {
    const term = projectedMse(s.hidden[si], projections[`W${i}`] as tf.Tensor2D, t.hidden[ti]);
    pairTerms.push(term);
    if (i === 0 && pairs.embedding) embedding = term;
    else hiddenTerms.push(term);
  });
  const hidden = hiddenTerms.length > 0 ? (tf.addN(hiddenTerms) as tf.Scalar) : zero();
  const attention = pairs.attention.length > 0 ? (tf.addN(pairs.attention.map(([si, ti]) => attentionMse(s.scores[si], t.scores[ti]))) as tf.Scalar) : zero();
  const loss = tf.addN([tf.mul(embedding, w.embedding), tf.mul(hidden, w.hidden), tf.mul(attention, w.attention)]) as tf.Scalar;
  return { loss, embedding, hidden, attention, pairTerms };
}
