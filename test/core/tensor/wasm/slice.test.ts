import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm Slice fix (block copies)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('Slice'));
  });

  const cases: Array<{ label: string; run: () => tf.Tensor }> = [
    { label: 'leading rows of images (cache fill, evaluation batches)', run: () => tf.slice(values([9, 4, 4, 1], 1), [3, 0, 0, 0], [4, 4, 4, 1]) },
    { label: 'a window in the middle axes (runs per row)', run: () => tf.slice(values([3, 6, 5, 8], 2), [1, 2, 1, 0], [2, 3, 3, 8]) },
    { label: 'inner axis partially (run of 3 columns x 4: stock below 8)', run: () => tf.slice(values([4, 7, 4], 3), [0, 2, 0], [4, 3, 4]) },
    { label: 'last axis only (short runs: stock)', run: () => tf.slice(values([5, 6], 4), [1, 2], [3, 2]) },
    { label: 'the whole tensor', run: () => tf.slice(values([3, 5], 5), [0, 0], [-1, -1]) },
    { label: 'empty', run: () => tf.slice(values([3, 5], 6), [1, 0], [0, 5]) },
    { label: 'int32', run: () => tf.slice(tf.tensor2d(Int32Array.from({ length: 40 }, (_, k) => k), [4, 10], 'int32'), [1, 0], [2, 10]) },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(c.run, 0, c.label);
    });
  }
});
