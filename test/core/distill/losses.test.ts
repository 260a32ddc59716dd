import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  activationLoss,
  attentionMse,
  balanceLoss,
  batchNormMatch,
  competitionLoss,
  inputL2,
  labelCrossEntropy,
  mse,
  oneHotLoss,
  projectedMse,
  softCrossEntropy,
  totalVariation,
} from '../../../src/core/distill/losses';
import { useBackend } from '../train/fixtures';

before(useBackend);

const value = (t: tf.Tensor) => t.dataSync()[0];
const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe('distillation losses (values computed by hand)', () => {
  it('soft cross-entropy is -sum p_t log p_s averaged over the batch, at temperature T', () => {
    const s = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const t = tf.tensor2d([[3, 2, 1], [0, 1, 0]]);
    for (const T of [1, 4]) {
      const soft = (row: number[]) => {
        const e = row.map((v) => Math.exp(v / T));
        const z = e.reduce((a, b) => a + b);
        return e.map((v) => v / z);
      };
      const expected =
        [[[1, 2, 3], [3, 2, 1]], [[0, 0, 0], [0, 1, 0]]]
          .map(([sr, tr]) => -soft(tr).reduce((acc, p, k) => acc + p * Math.log(soft(sr)[k]), 0))
          .reduce((a, b) => a + b) / 2;
      close(value(softCrossEntropy(s, t, T)), expected);
    }
    // Its minimum over the student is the teacher's own entropy, at the teacher's logits.
    assert.ok(value(softCrossEntropy(t, t)) < value(softCrossEntropy(s, t)));
  });

  it('label cross-entropy equals -log softmax at the label', () => {
    const logits = tf.tensor2d([[2, 0], [0, 3]]);
    const expected = (-Math.log(Math.exp(2) / (Math.exp(2) + 1)) - Math.log(Math.exp(3) / (Math.exp(3) + 1))) / 2;
    close(value(labelCrossEntropy(logits, tf.tensor1d([0, 1], 'int32'))), expected);
  });

  it('projected MSE maps the student width to the teacher width first', () => {
    const student = tf.tensor3d([[[1, 2]]]); // [1, 1, 2]
    const W = tf.tensor2d([[1, 0, 1], [0, 1, 1]]); // 2 -> 3
    const teacher = tf.tensor3d([[[1, 2, 0]]]);
    // mapped = [1, 2, 3]; squared errors 0, 0, 9 -> mean 3
    close(value(projectedMse(student, W, teacher)), 3);
    close(value(mse(tf.tensor1d([1, 3]), tf.tensor1d([0, 0]))), 5);
  });

  it('attention MSE compares unnormalised scores, treats <= -100 as masked (0), and averages heads when counts differ', () => {
    const s = tf.tensor4d([[[[1, -1000], [0, 2]]]]);
    const t = tf.tensor4d([[[[2, -500], [0, 0]]]]);
    // masked entries become 0 on both sides: diffs -1, 0, 0, 2 -> mean 5/4
    close(value(attentionMse(s, t)), 5 / 4);
    const s2 = tf.tensor4d([[[[1]], [[3]]]]); // 2 heads, mean 2
    const t1 = tf.tensor4d([[[[5]]]]); // 1 head
    close(value(attentionMse(s2, t1)), 9);
  });

  it('attention MSE trains the student scores: gradient 2(s - t)/n where kept, 0 at masked positions', () => {
    const t = tf.tensor4d([[[[2, -500], [0, 0]]]]);
    const grad = tf.grad((s: tf.Tensor) => attentionMse(s as tf.Tensor4D, t))(tf.tensor4d([[[[1, -1000], [0, 2]]]]));
    assert.deepEqual(Array.from(grad.dataSync()), [(2 * (1 - 2)) / 4, 0, 0, (2 * 2) / 4]);
  });

  it('the batch-norm match is ||mean - running mean|| + ||biased var - running var||, per channel over the batch', () => {
    const x = tf.tensor2d([[1, 0], [3, 4]]); // means [2, 2], biased vars [1, 4]
    close(value(batchNormMatch(x, tf.tensor1d([2, 2]), tf.tensor1d([1, 4]))), 0, 1e-4);
    close(value(batchNormMatch(x, tf.tensor1d([0, 2]), tf.tensor1d([1, 1]))), 2 + 3, 1e-4);
  });

  it('total variation sums the L2 norms of neighbour differences (4 directions); constant images have none', () => {
    close(value(totalVariation(tf.ones([2, 3, 3, 1]) as tf.Tensor4D)), 0, 1e-4);
    const img = tf.tensor4d([[[[0], [1]], [[0], [1]]]]); // 2x2, columns 0 | 1
    // right: [-1, -1] -> sqrt 2; down: [0, 0] -> 0; diagonals: (1,0)-(0,1) = -1, (0,0)-(1,1) = -1 -> 1 + 1
    close(value(totalVariation(img)), Math.sqrt(2) + 2, 1e-4);
    close(value(inputL2(tf.tensor2d([[3, 4], [0, 0]]))), 2.5, 1e-4);
  });

  it("DAFL's losses: one-hot is CE with the argmax, activation is -mean|f|, balance is sum p log10 p of the batch mean", () => {
    const logits = tf.tensor2d([[0, 0], [10, 0]]);
    const expectedOneHot = (Math.log(2) + -Math.log(Math.exp(10) / (Math.exp(10) + 1))) / 2;
    close(value(oneHotLoss(logits)), expectedOneHot);
    close(value(activationLoss(tf.tensor2d([[1, -3]]))), -2);
    const pBar = [(0.5 + Math.exp(10) / (Math.exp(10) + 1)) / 2, (0.5 + 1 / (Math.exp(10) + 1)) / 2];
    close(value(balanceLoss(logits)), pBar.reduce((a, p) => a + p * Math.log10(p), 0));
    // A balanced batch has the lowest balance loss (-log10 C).
    close(value(balanceLoss(tf.tensor2d([[5, 0], [0, 5]]))), -Math.log10(2));
  });

  it('every loss has finite gradients, also where the norm-based terms are zero', () => {
    const x = tf.variable(tf.ones([1, 2, 2, 1]));
    const grads = tf.variableGrads(() => tf.add(totalVariation(x as unknown as tf.Tensor4D), batchNormMatch(tf.reshape(x, [4, 1]), tf.ones([1]), tf.zeros([1]))) as tf.Scalar, [x]);
    assert.ok(Array.from(grads.grads[x.name].dataSync()).every(Number.isFinite));
  });

  it("ADI's competition term is 1 - JS(teacher, student) at T: 1 when they agree, 1 - ln 2 when confidently apart", () => {
    const t = tf.tensor2d([[300, 0], [0, 300]]);
    close(value(competitionLoss(t, t)), 1);
    close(value(competitionLoss(t, tf.tensor2d([[0, 300], [300, 0]]))), 1 - Math.LN2, 1e-4);
    // By hand at T = 3 for one pair: p = softmax([3, 0] / 3), q = softmax([0, 0]).
    const p = [Math.E / (Math.E + 1), 1 / (Math.E + 1)];
    const q = [0.5, 0.5];
    const m = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
    const kl = (a: number[]) => a.reduce((sum, v, i) => sum + v * Math.log(v / m[i]), 0);
    close(value(competitionLoss(tf.tensor2d([[3, 0]]), tf.tensor2d([[0, 0]]))), 1 - (kl(p) + kl(q)) / 2, 1e-5);
  });
});
