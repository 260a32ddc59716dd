import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm Add fix (bias broadcast, SIMD)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('Add'));
  });

  const cases: Array<{ label: string; run: () => tf.Tensor }> = [
    { label: 'conv bias [N,H,W,C] + [C], C a multiple of 4', run: () => tf.add(values([2, 3, 3, 8], 1), values([8], 2)) },
    { label: 'dense bias [N,C] + [C], C not a multiple of 4', run: () => tf.add(values([5, 7], 1), values([7], 2)) },
    { label: 'bias first', run: () => tf.add(values([7], 2), values([5, 7], 1)) },
    { label: 'bias [1,C]', run: () => tf.add(values([5, 6], 1), values([1, 6], 2)) },
    { label: 'scalar', run: () => tf.add(values([5, 6], 1), tf.scalar(0.25)) },
    { label: 'same shapes (stock)', run: () => tf.add(values([5, 6], 1), values([5, 6], 2)) },
    { label: 'outer broadcast [4,1] + [4] (stock)', run: () => tf.add(values([4, 1], 1), values([4], 2)) },
    { label: 'int32 (stock)', run: () => tf.add(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor1d([10, 20], 'int32')) },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(c.run, 0, c.label);
    });
  }
});
