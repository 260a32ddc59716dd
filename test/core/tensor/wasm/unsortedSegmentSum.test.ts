import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm UnsortedSegmentSum', () => {
  before(initWasmWithFixes);

  it('sums rows that share a segment id, like cpu', async () => {
    const result = await assertWasmMatchesCpu(
      () => tf.unsortedSegmentSum(values([6, 3], 1), tf.tensor1d([0, 2, 0, 1, 2, 2], 'int32'), 4));
    // Segment 3 has no rows: all zeros.
    assert.deepEqual([...result.values[0].slice(9)], [0, 0, 0]);
  });

  it('handles 1-D data and rows of higher rank', async () => {
    await assertWasmMatchesCpu(() => tf.unsortedSegmentSum(values([5], 1), tf.tensor1d([1, 1, 0, 3, 1], 'int32'), 4));
    await assertWasmMatchesCpu(() => tf.unsortedSegmentSum(values([4, 2, 3], 1), tf.tensor1d([2, 0, 2, 2], 'int32'), 3));
  });

  it('sums int32 data', async () => {
    await assertWasmMatchesCpu(() => tf.unsortedSegmentSum(
      tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([1, 0, 1], 'int32'), 2));
  });

  it('drops ids outside [0, numSegments) like cpu', async () => {
    await assertWasmMatchesCpu(() => tf.engine().runKernel('UnsortedSegmentSum',
      { x: values([6, 3], 1), segmentIds: tf.tensor1d([0, 7, 0, -1, 2, 4], 'int32') }, { numSegments: 4 }) as tf.Tensor);
  });

  it('gives the gradient of gather (embedding lookup) with repeated ids', async () => {
    await assertWasmMatchesCpu(() => {
      const table = values([10, 4], 1);
      const ids = tf.tensor2d([[1, 3, 1], [9, 1, 0]], [2, 3], 'int32');
      const weights = values([2, 3, 4], 2);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)))(table);
    });
  });
});
