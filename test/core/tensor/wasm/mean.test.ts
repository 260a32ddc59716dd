import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm Mean fix (leading axes as a product with 1/rows)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('Mean'));
  });

  const cases: Array<{ label: string; shape: number[]; axis: number | number[]; keepDims?: boolean }> = [
    { label: 'batch-norm statistics: [N,H,W,C] over [0,1,2], keepDims', shape: [4, 6, 5, 7], axis: [0, 1, 2], keepDims: true },
    { label: 'axis 0', shape: [33, 10], axis: 0 },
    { label: 'inner axis (stock)', shape: [6, 9], axis: 1 },
    { label: 'all axes (stock)', shape: [3, 4], axis: [0, 1] },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(() => tf.mean(values(c.shape, 1), c.axis, c.keepDims), 1e-5, c.label);
    });
  }

  it('matches cpu for batch-norm moments and their gradient', async () => {
    await assertWasmMatchesCpu(() => {
      const x = values([3, 4, 4, 5], 2);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.moments(t, [0, 1, 2]).variance, values([5], 3))))(x);
      return [mean, variance, grad];
    }, 1e-5);
  });
});
