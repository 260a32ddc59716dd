import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { RELU_GRAD } from '../../../../src/core/tensor/wasm/reluGrad';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm ReLU gradient (SIMD kernel)', () => {
  before(initWasmWithFixes);

  const reluGrad = (shape: number[], zeros = false) => () => {
    const x = zeros ? tf.round(values(shape, 1)) : values(shape, 1); // rounding gives exact zeros
    const w = values(shape, 2);
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w)))(x);
  };

  it('matches cpu, size a multiple of 4', async () => {
    await assertWasmMatchesCpu(reluGrad([4, 8]), 0);
  });

  it('matches cpu with exact zeros (gradient 0 there) and a size that is not a multiple of 4', async () => {
    await assertWasmMatchesCpu(reluGrad([3, 7], true), 0);
  });

  it('is what the gradient runs on wasm', async () => {
    const x = values([2, 5], 1);
    const { kernels } = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x));
    const names = kernels.map((k) => k.name);
    assert.ok(names.includes(RELU_GRAD), names.join());
    assert.ok(!names.includes('Step'), names.join());
    x.dispose();
  });
});
