import * as tf from '@tensorflow/tfjs';
import { forward } from '../../distill/forward';
import { UserError } from '../../errors';
import { modelLayers } from '../../model/flops';
import { layerNorm } from '../../model/layerNorm';
import { createRng } from '../../util/random';
import { type StageSpec, TrainingSession } from '../loop';
import { type MaskedBatch, maskTokens } from './masking';
import { maskRowProblem } from './problems';

/** Settings of masked-LM pretraining (a train experiment's `pretrain` section, defaults applied). */
export interface MlmSettings {
  /** Epochs over the training text (ignored when `steps` is set). */
  epochs: number;
  /** A budget in optimizer steps instead of epochs. */
  steps?: number;
  batchSize: number;
  learningRate: number;
  /** Share of real tokens selected for prediction (BERT: 0.15). */
  maskProbability: number;
  seed: number;
}

/** Token ids, `count` rows of `length`. */
export interface TokenSet {
  x: Int32Array;
  count: number;
}

/** One pretraining run, ready to run in its session. */
export interface MlmPlan {
  session: TrainingSession;
  /** The encoder being pretrained (the caller's model; the session trains it in place). */
  encoder: tf.LayersModel;
  stages: StageSpec[];
  /** Masked-LM loss and accuracy on the held-out rows, with a mask fixed once (off the tape). */
  evaluate(): { loss: number; accuracy: number };
  dispose(): void;
}

/** Held-out rows the evaluation masks (a fixed subset: the same every time it runs). */
const EVAL_ROWS = 1000;
const EVAL_BATCH = 250;

/**
 * Masked-language-model pretraining of a text encoder (BERT's objective, without next-sentence
 * prediction): batches of the training text, 15% of the real tokens selected by the 80/10/10
 * rule (`maskTokens`, `[MASK]` = id `vocabSize`), the encoder's last hidden state at the selected
 * positions through BERT's prediction head (dense, GELU, layer norm), decoded with the input
 * embedding table (tied weights, as BERT) plus a bias, and cross-entropy against the original
 * words. One `TrainingSession` (seeded minibatches, masks drawn from its checkpointed generator,
 * seeded dropout), so a stopped run resumes bit-identically. The embedding needs `vocabSize + 1`
 * rows (one for `[MASK]`; fewer: a `UserError` at its `inputDim`, `maskRowProblem`). Reports
 * `loss` and `accuracy` (of the masked positions) per step, and `testLoss` / `testAccuracy` on
 * `heldOut` after each epoch (a `steps` budget: at the end).
 */
export function planMlm(encoder: tf.LayersModel, train: TokenSet, heldOut: TokenSet, length: number, vocabSize: number, s: MlmSettings): MlmPlan {
  const emb = modelLayers(encoder).find((l) => l.getClassName() === 'Embedding');
  if (!emb) throw new Error('masked-LM pretraining needs an embedding layer');
  const [rows, d] = emb.weights[0].shape as number[];
  const maskRow = maskRowProblem(rows, vocabSize);
  if (maskRow) throw new UserError(maskRow.message, maskRow.pointer);
  if (train.count === 0) throw new Error('masked-LM pretraining needs training text');
  const session = new TrainingSession({ seed: s.seed });
  const optimizer = { type: 'adam' as const, learningRate: s.learningRate };
  session.addNetwork('encoder', encoder, { optimizer });
  const init = createRng(s.seed * 7 + 1);
  const head = session.addVariables(
    'head',
    {
      kernel: tf.initializers.glorotUniform({ seed: init.int(1 << 30) }).apply([d, d]) as tf.Tensor,
      bias: tf.zeros([d]),
      gamma: tf.ones([d]),
      beta: tf.zeros([d]),
      outputBias: tf.zeros([rows]),
    },
    { optimizer },
  );
  const table = emb.weights[0];
  const masking = { probability: s.maskProbability, maskId: vocabSize, vocabSize };

  /** Logits over the embedding's rows at the masked positions. */
  const logitsAt = (m: MaskedBatch, n: number, opts: { training?: boolean; seed?: number }): tf.Tensor2D => {
    const { hidden } = forward(encoder, tf.tensor2d(m.input, [n, length], 'int32'), opts);
    const h = hidden[hidden.length - 1];
    const picked = tf.gather(tf.reshape(h, [n * length, d]), tf.tensor1d(m.positions, 'int32')) as tf.Tensor2D;
    const t = layerNorm(gelu(tf.add(tf.matMul(picked, head.kernel), head.bias)), head.gamma, head.beta, 1e-6);
    return tf.add(tf.matMul(t, table.read() as tf.Tensor2D, false, true), head.outputBias) as tf.Tensor2D;
  };
  const crossEntropy = (logits: tf.Tensor2D, targets: Int32Array) =>
    tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(targets, 'int32'), rows), tf.logSoftmax(logits)), -1))) as tf.Scalar;
  const hits = (logits: tf.Tensor2D, targets: Int32Array) =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(targets, 'int32')), 'float32')) as tf.Scalar;

  // The evaluation's mask, drawn once from its own generator: every evaluation scores the same positions.
  const evalRows = Math.min(EVAL_ROWS, heldOut.count);
  const evalRng = createRng(s.seed * 7919 + 17);
  const evalBatches: { m: MaskedBatch; n: number }[] = [];
  for (let i = 0; i < evalRows; i += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, evalRows - i);
    evalBatches.push({ m: maskTokens(heldOut.x.subarray(i * length, (i + n) * length), n, length, masking, evalRng), n });
  }
  const evaluate = () => {
    let loss = 0;
    let correct = 0;
    let count = 0;
    for (const { m, n } of evalBatches) {
      const [l, c] = tf.tidy(() => {
        const logits = logitsAt(m, n, {});
        return [crossEntropy(logits, m.targets).dataSync()[0], hits(logits, m.targets).dataSync()[0]];
      });
      loss += l * m.targets.length;
      correct += c;
      count += m.targets.length;
    }
    return count === 0 ? { loss: Number.NaN, accuracy: Number.NaN } : { loss: loss / count, accuracy: correct / count };
  };
  const report = () => {
    const r = evaluate();
    session.report('testLoss', r.loss);
    session.report('testAccuracy', r.accuracy);
  };

  const stepsPerEpoch = Math.max(1, Math.ceil(train.count / s.batchSize));
  const stage: StageSpec = {
    name: 'pretrain',
    ...(s.steps !== undefined ? { steps: s.steps, end: report } : { epochs: s.epochs, stepsPerEpoch, epochEnd: report }),
    trainable: ['encoder', 'head'],
    loss: (c) => {
      const idx = c.batch(train.count, s.batchSize);
      const x = new Int32Array(idx.length * length);
      idx.forEach((r, k) => x.set(train.x.subarray(r * length, (r + 1) * length), k * length));
      const m = maskTokens(x, idx.length, length, masking, session.rng);
      const logits = logitsAt(m, idx.length, { training: true, seed: session.nextSeed() });
      const loss = crossEntropy(logits, m.targets);
      return { loss, accuracy: tf.div(hits(logits, m.targets), m.targets.length) };
    },
  };
  return { session, encoder, stages: [stage], evaluate, dispose: () => session.dispose() };
}

/** GELU, tanh form (BERT's `gelu` as in the original TensorFlow code). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}
