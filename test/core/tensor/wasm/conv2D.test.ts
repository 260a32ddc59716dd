import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm Conv2D and FusedConv2D as im2col + matrix product', () => {
  before(initWasmWithFixes);

  it('are registered in place of the stock kernels', () => {
    assert.ok(isFixRegistered('Conv2D'));
    assert.ok(isFixRegistered('FusedConv2D'));
  });

  for (const pad of ['valid', 'same'] as const) {
    for (const strides of [1, 2, 3]) {
      it(`Conv2D matches cpu: pad ${pad}, stride ${strides}`, async () => {
        await assertWasmMatchesCpu(() => tf.conv2d(values([2, 9, 8, 3], 1) as tf.Tensor4D, values([3, 3, 3, 5], 2) as tf.Tensor4D, strides, pad), 1e-5);
      });
    }
  }

  it('Conv2D matches cpu: non-square 5x2 filter, one input channel, explicit padding', async () => {
    await assertWasmMatchesCpu(() => tf.conv2d(values([3, 10, 7, 1], 1) as tf.Tensor4D, values([5, 2, 1, 6], 2) as tf.Tensor4D,
      [2, 1], [[0, 0], [2, 1], [0, 3], [0, 0]]), 1e-5);
  });

  it('Conv2D matches cpu: the reference CNN second layer shape (batch 4)', async () => {
    await assertWasmMatchesCpu(() => tf.conv2d(values([4, 13, 13, 32], 1) as tf.Tensor4D, values([3, 3, 32, 64], 2) as tf.Tensor4D, 1, 'valid'), 1e-4);
  });

  it('Conv2D with dilation 2 (stock kernel) matches cpu', async () => {
    await assertWasmMatchesCpu(() => tf.conv2d(values([2, 9, 9, 2], 1) as tf.Tensor4D, values([3, 3, 2, 4], 2) as tf.Tensor4D, 1, 'same', 'NHWC', 2), 1e-5);
  });

  for (const activation of ['linear', 'relu', 'sigmoid', 'elu', 'leakyrelu', 'prelu'] as const) {
    it(`FusedConv2D matches cpu: bias + ${activation}`, async () => {
      await assertWasmMatchesCpu(() => tf.fused.conv2d({
        x: values([2, 7, 6, 3], 1) as tf.Tensor4D,
        filter: values([3, 3, 3, 4], 2) as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: values([4], 3),
        activation,
        preluActivationWeights: activation === 'prelu' ? values([4], 4) : undefined,
        leakyreluAlpha: 0.1,
      }), 1e-5, activation);
    });
  }

  it('trains through tf.grad: the input and filter gradients of a fused conv', async () => {
    await assertWasmMatchesCpu(() => {
      const x = values([2, 8, 8, 3], 1) as tf.Tensor4D;
      const target = values([2, 4, 4, 5], 3);
      const loss = (xx: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'same', bias: values([5], 4), activation: 'relu' }), target));
      return tf.grads(loss)([x, values([3, 3, 3, 5], 2)]);
    }, 1e-5);
  });
});
