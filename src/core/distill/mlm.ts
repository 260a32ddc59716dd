import * as tf from '@tensorflow/tfjs';
import { PAD_ID, UNK_ID } from '../data/textVocab';
import type { Rng } from '../util/random';
import { forward } from './forward';
import { labelCrossEntropy } from './losses';

/**
 * Masked-language-model pretraining of a transformer encoder on unlabelled text (BERT's
 * objective): the teacher of TinyBERT's general distillation. It gives the teacher knowledge
 * its labels do not carry, which is what the layer-wise losses can pass on (docs/distillation.md).
 * The encoder's embedding has one row more than the vocabulary: the [MASK] token.
 */
export interface MaskSettings {
  /** Share of (non-padding) tokens predicted per text (BERT: 0.15). */
  probability: number;
  /** Id of [MASK] (= the vocabulary size). */
  maskId: number;
  /** Ids drawn for random replacements: [2, vocabSize). */
  vocabSize: number;
}

export interface MaskedBatch {
  /** The inputs with masked tokens replaced. */
  x: Int32Array;
  /** Flat positions (row * length + column) of the tokens to predict. */
  positions: Int32Array;
  /** Their original ids. */
  labels: Int32Array;
}

/**
 * BERT's masking of a batch of token-id rows: each real token is chosen with `probability`; a
 * chosen token becomes [MASK] 80% of the time, a random word 10%, and stays 10%. At least one
 * token per batch is chosen, so every step has something to predict.
 */
export function maskTokens(x: Int32Array, length: number, s: MaskSettings, rng: Rng): MaskedBatch {
  const out = Int32Array.from(x);
  const positions: number[] = [];
  const labels: number[] = [];
  const real: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] === PAD_ID) continue;
    real.push(i);
    if (rng.next() < s.probability) positions.push(i);
  }
  if (positions.length === 0 && real.length > 0) positions.push(real[rng.int(real.length)]);
  for (const i of positions) {
    labels.push(x[i]);
    const r = rng.next();
    if (r < 0.8) out[i] = s.maskId;
    else if (r < 0.9) out[i] = UNK_ID + 1 + rng.int(Math.max(1, s.vocabSize - UNK_ID - 1));
  }
  void length;
  return { x: out, positions: Int32Array.from(positions), labels: Int32Array.from(labels) };
}

/** The masked-LM head's variables for an encoder of width `d` over `vocab` ids (tied decoder: the embedding). */
export function mlmHeadInit(d: number, vocab: number, seed: number): Record<string, tf.Tensor> {
  return {
    transform: tf.initializers.glorotUniform({ seed }).apply([d, d]) as tf.Tensor,
    transformBias: tf.zeros([d]),
    gamma: tf.ones([d]),
    beta: tf.zeros([d]),
    outputBias: tf.zeros([vocab]),
  };
}

/**
 * The masked-LM loss of one batch: the encoder's last hidden states at the masked positions,
 * through the head (dense + GELU + layer norm), scored against every token by the transposed
 * embedding matrix (weight tying, as BERT), cross-entropy with the original ids.
 */
export function mlmLoss(
  encoder: tf.LayersModel,
  embedding: tf.Tensor2D,
  head: Record<string, tf.Tensor>,
  batch: MaskedBatch,
  rows: number,
  length: number,
  opts: { seed?: number } = {},
): tf.Scalar {
  const x = tf.tensor2d(batch.x, [rows, length], 'int32');
  const out = forward(encoder, x, { training: true, seed: opts.seed });
  const h = out.hidden[out.hidden.length - 1];
  const d = h.shape[h.shape.length - 1];
  const picked = tf.gather(tf.reshape(h, [-1, d]), tf.tensor1d(batch.positions, 'int32')) as tf.Tensor2D;
  const t = tf.add(tf.matMul(picked, head.transform as tf.Tensor2D), head.transformBias);
  const g = gelu(t);
  const { mean, variance } = tf.moments(g, -1, true);
  const normed = tf.add(tf.mul(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, 1e-6))), head.gamma), head.beta) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(normed, embedding, false, true), head.outputBias);
  return labelCrossEntropy(logits, tf.tensor1d(batch.labels, 'int32'));
}

/** GELU (tanh approximation, as BERT's). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}
