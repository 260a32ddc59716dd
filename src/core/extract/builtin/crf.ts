import * as tf from '@tensorflow/tfjs';
import { bilouTags, tagAllowed } from './bilou';

/**
 * Linear-chain CRF over BILOU tags for the built-in tagger: the network's per-token scores
 * (emissions) plus learned tag-to-tag transition, start and end scores; training maximises the
 * log-likelihood of the gold tag sequence (forward algorithm), decoding is Viterbi over the same
 * scores. Transitions that would make an ill-formed BILOU sequence get a fixed large penalty
 * (`crfConstraints`), so the CRF only has to learn the allowed ones and decoding stays well
 * formed.
 *
 * Parameters (per tagger, `<prefix>.crf.*`): `trans` `[T, T]` (from -> to), `start` `[T]`,
 * `end` `[T]`; initialised to 0.
 */

/** Score added to forbidden transitions: large enough that no path uses them, small enough for float32 log-sum-exp. */
export const FORBIDDEN = -1e4;

export interface CrfConstraints {
  /** `[T*T]` row-major (from, to): 0 or FORBIDDEN. */
  trans: Float32Array;
  start: Float32Array;
  end: Float32Array;
}

/** Hard BILOU constraints as additive scores. */
export function crfConstraints(types: string[]): CrfConstraints {
  const tags = bilouTags(types);
  const n = tags.length;
  const trans = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) trans[i * n + j] = tagAllowed(tags[i], tags[j]) ? 0 : FORBIDDEN;
  const start = Float32Array.from(tags, (t) => (tagAllowed('O', t) ? 0 : FORBIDDEN));
  const end = Float32Array.from(tags, (t) => (t === 'O' || t.startsWith('L-') || t.startsWith('U-') ? 0 : FORBIDDEN));
  return { trans, start, end };
}

export interface CrfParams {
  trans: tf.Tensor;
  start: tf.Tensor;
  end: tf.Tensor;
}

/**
 * Mean negative log-likelihood per token of the gold tag sequences.
 * `emissions` `[B, L, T]`; `tags[b]` holds the gold tag ids of sentence b (its length <= L;
 * positions past it are padding and ignored). Differentiable w.r.t. emissions and the CRF
 * parameters (constraints are constants).
 */
export function crfLoss(emissions: tf.Tensor3D, tags: number[][], crf: CrfParams, constraints: CrfConstraints): tf.Scalar {
  return tf.tidy(() => {
    const [batch, length, n] = emissions.shape;
    const lengths = tags.map((t) => t.length);
    if (lengths.some((l) => l < 1 || l > length)) throw new Error('crfLoss: every sentence needs 1..L tags');
    const trans = crf.trans.add(tf.tensor2d(constraints.trans, [n, n]));
    const start = crf.start.add(tf.tensor1d(constraints.start));
    const end = crf.end.add(tf.tensor1d(constraints.end));

    // Forward algorithm: alpha[b, j] = log-sum of the scores of all prefixes ending in tag j.
    const steps = tf.unstack(emissions, 1) as tf.Tensor2D[];
    let alpha = steps[0].add(start) as tf.Tensor2D;
    const transB = trans.expandDims(0);
    for (let t = 1; t < length; t++) {
      const next = tf.logSumExp(alpha.expandDims(2).add(transB), 1).add(steps[t]) as tf.Tensor2D;
      const m = tf.tensor2d(lengths.map((l) => (t < l ? 1 : 0)), [batch, 1]);
      alpha = next.mul(m).add(alpha.mul(tf.scalar(1).sub(m))) as tf.Tensor2D;
    }
    const logZ = tf.logSumExp(alpha.add(end), 1);

    // Score of the gold path.
    const emitMask = new Float32Array(batch * length * n);
    const pairIdx: number[] = [];
    const pairBatch: number[] = [];
    tags.forEach((seq, b) => {
      seq.forEach((y, t) => { emitMask[(b * length + t) * n + y] = 1; });
      for (let t = 1; t < seq.length; t++) { pairIdx.push(seq[t - 1] * n + seq[t]); pairBatch.push(b); }
    });
    const emitScore = emissions.mul(tf.tensor3d(emitMask, [batch, length, n])).sum([1, 2]);
    let transScore: tf.Tensor = tf.zeros([batch]);
    if (pairIdx.length > 0) {
      const perPair = tf.gather(trans.reshape([-1]), tf.tensor1d(pairIdx, 'int32'));
      transScore = tf.unsortedSegmentSum(perPair, tf.tensor1d(pairBatch, 'int32'), batch);
    }
    const startScore = tf.gather(start, tf.tensor1d(tags.map((s) => s[0]), 'int32'));
    const endScore = tf.gather(end, tf.tensor1d(tags.map((s) => s[s.length - 1]), 'int32'));
    const gold = emitScore.add(transScore).add(startScore).add(endScore);
    const tokens = lengths.reduce((a, b) => a + b, 0);
    return logZ.sub(gold).sum().div(tokens) as tf.Scalar;
  });
}

/** Learned CRF scores plus constraints as plain arrays, for `viterbiDecode`. */
export function crfTransitionScores(crf: { trans: Float32Array; start: Float32Array; end: Float32Array }, constraints: CrfConstraints): CrfConstraints {
  return {
    trans: crf.trans.map((v, i) => v + constraints.trans[i]),
    start: crf.start.map((v, i) => v + constraints.start[i]),
    end: crf.end.map((v, i) => v + constraints.end[i]),
  };
}
