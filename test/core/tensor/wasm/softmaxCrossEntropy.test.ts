import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD, sparseSoftmaxCrossEntropy } from '../../../../src/core/tensor/wasm/softmaxCrossEntropy';
import { meanLoss } from '../../../../src/core/train/forward';
import { computeOn, initWasmWithFixes, values } from '../backendComparison';

/** The one-kernel training loss against tfjs's `losses.softmaxCrossEntropy` on a one-hot. */
describe('softmax cross-entropy kernel (wasm)', () => {
  before(initWasmWithFixes);

  /** Loss and its gradient with respect to the logits. */
  const lossAndGrad = (loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar, rows: number, classes: number, labels: number[]) => () => {
    const logits = tf.mul(values([rows, classes], 7), 8);
    const y = tf.tensor1d(labels, 'int32');
    const { value, grad } = tf.valueAndGrad((l: tf.Tensor) => loss(l, y))(logits);
    return [value, grad];
  };
  const tfjs = (logits: tf.Tensor, labels: tf.Tensor1D) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]!).toFloat(), logits) as tf.Scalar;
  const fused = (logits: tf.Tensor, labels: tf.Tensor1D) => sparseSoftmaxCrossEntropy(logits, labels)!;

  async function assertClose(rows: number, classes: number, labels: number[]): Promise<void> {
    const a = await computeOn('wasm', lossAndGrad(fused, rows, classes, labels));
    const b = await computeOn('wasm', lossAndGrad(tfjs, rows, classes, labels));
    assert.deepEqual(a.shapes, b.shapes);
    a.values.forEach((v, k) => v.forEach((e, i) => {
      const expected = b.values[k][i];
      assert.ok(Math.abs(e - expected) <= 2e-6 * Math.max(1, Math.abs(expected)), `output ${k}[${i}]: ${e} vs ${expected}`);
    }));
  }

  it('matches tfjs (loss and gradient) on a batch of 128 x 10', async () => {
    await assertClose(128, 10, Array.from({ length: 128 }, (_, i) => (i * 7) % 10));
  });

  it('matches tfjs on odd shapes and one row', async () => {
    await assertClose(3, 7, [6, 0, 3]);
    await assertClose(1, 2, [1]);
  });

  it('a label outside the classes counts as an all-zero one-hot row, as tf.oneHot makes it', async () => {
    await assertClose(4, 5, [1, -1, 5, 2]);
  });

  it('is stable for large logits (no overflow)', () => {
    const loss = tf.tidy(() => sparseSoftmaxCrossEntropy(tf.tensor2d([[1000, 0], [0, -1000]]), tf.tensor1d([0, 1], 'int32'))!.dataSync()[0]);
    assert.ok(Math.abs(loss - 500) < 1e-3, String(loss));
  });

  it("is what the trainer's loss runs, one kernel each way", async () => {
    const logits = values([16, 10], 3);
    const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 10), 'int32');
    const { kernels } = await tf.profile(() => tf.grad((l: tf.Tensor) => meanLoss(l, y, 10))(logits));
    const names = kernels.map((k) => k.name);
    assert.deepEqual(names.filter((n) => n.startsWith('ModelLab')), [SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD], names.join());
    assert.ok(!names.includes('OneHot') && !names.includes('Exp'), names.join());
    tf.dispose([logits, y]);
  });
});
