import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { linearCka } from '../../../../src/core/freezing/smartfrz/cka';

test('linear CKA of a representation with itself is 1', () => {
  const x = tf.randomNormal([40, 7], 0, 1, 'float32', 1);
  assert.ok(Math.abs(linearCka(x, x) - 1) < 1e-5);
  x.dispose();
});

test('linear CKA is invariant to orthogonal transforms and isotropic scaling', () => {
  const x = tf.randomNormal([50, 6], 0, 1, 'float32', 2);
  const y = tf.add(tf.matMul(x, tf.randomNormal([6, 4], 0, 1, 'float32', 3)), tf.randomNormal([50, 4], 0, 0.5, 'float32', 4));
  const [q] = tf.linalg.qr(tf.randomNormal([6, 6], 0, 1, 'float32', 5));
  const base = linearCka(x, y);
  assert.ok(base > 0 && base < 1);
  assert.ok(Math.abs(linearCka(tf.matMul(x, q), y) - base) < 1e-4, 'orthogonal transform');
  assert.ok(Math.abs(linearCka(tf.mul(x, 3.5), y) - base) < 1e-4, 'isotropic scaling');
  tf.dispose([x, y, q]);
});

test('linear CKA matches a hand-computed example', () => {
  // For one feature per side linear CKA is the squared Pearson correlation:
  // x = [1, 2, 3], y = [1, 3, 2] -> corr = 0.5 -> CKA = 0.25.
  const x = tf.tensor2d([[1], [2], [3]]);
  const y = tf.tensor2d([[1], [3], [2]]);
  assert.ok(Math.abs(linearCka(x, y) - 0.25) < 1e-6);
  // Conv-shaped outputs are flattened per example.
  const a = tf.randomNormal([10, 2, 2, 3], 0, 1, 'float32', 6);
  assert.ok(Math.abs(linearCka(a, a.reshape([10, 12])) - 1) < 1e-5);
  assert.equal(linearCka(tf.ones([5, 3]), tf.randomNormal([5, 2])), 0, 'constant side');
  assert.throws(() => linearCka(x, tf.zeros([4, 1])), /same examples/);
  tf.dispose([x, y, a]);
});
