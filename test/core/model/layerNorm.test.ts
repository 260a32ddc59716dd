import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { layerNorm } from '../../../src/core/model/layerNorm';

test('layerNorm: each row to zero mean and unit variance over the last axis, then scaled and shifted', () => {
  const x = tf.tensor2d([[1, 2, 3, 4], [10, -10, 5, 0]]);
  const y = layerNorm(x, tf.ones([4]), tf.zeros([4]), 1e-6).arraySync();
  for (const row of y) {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    assert.ok(Math.abs(mean) < 1e-6, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 1e-4, `variance ${variance}`);
  }
  // Row 1 in float64: (x - 2.5) / sqrt(1.25 + eps), then * gamma + beta.
  const scaled = layerNorm(x, tf.tensor1d([2, 2, 2, 2]), tf.tensor1d([1, 1, 1, 1]), 1e-6).arraySync()[0];
  const expected = [1, 2, 3, 4].map((v) => ((v - 2.5) / Math.sqrt(1.25 + 1e-6)) * 2 + 1);
  scaled.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${v} vs ${expected[i]}`));
});
