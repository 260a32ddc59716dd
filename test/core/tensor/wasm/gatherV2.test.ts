import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm GatherV2 fix (block copies)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('GatherV2'));
  });

  const idx = (...v: number[]) => tf.tensor1d(v, 'int32');
  const cases: Array<{ label: string; run: () => tf.Tensor }> = [
    { label: 'a training batch: image rows, repeated and unordered indices', run: () => tf.gather(values([9, 4, 4, 1], 1), idx(8, 0, 3, 3, 7)) },
    { label: 'int32 labels', run: () => tf.gather(tf.tensor1d([5, 6, 7, 8], 'int32'), idx(3, 1, 1)) },
    { label: 'inner axis', run: () => tf.gather(values([3, 5, 2], 2), idx(4, 0, 2), 1) },
    { label: 'last axis, negative', run: () => tf.gather(values([3, 5], 3), idx(1, 4), -1) },
    { label: '2-D indices', run: () => tf.gather(values([6, 3], 4), tf.tensor2d([[0, 5], [2, 2]], [2, 2], 'int32')) },
    { label: 'no indices', run: () => tf.gather(values([6, 3], 4), tf.tensor1d([], 'int32')) },
    { label: 'batchDims 1 (stock)', run: () => tf.gather(values([2, 4, 3], 5), tf.tensor2d([[0, 3], [1, 1]], [2, 2], 'int32'), 1, 1) },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(c.run, 0, c.label);
    });
  }
});
