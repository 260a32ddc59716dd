import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../../../../src/core/train/loop/stopGradient';
import { useBackend } from '../fixtures';

before(useBackend);

it('passes values through and blocks the gradient: d/dx [x * sg(x)] = sg(x)', () => {
  const x = tf.tensor1d([1, -2, 3]);
  const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(t, stopGradient(t))))([x]);
  assert.deepEqual(Array.from(g.dataSync()), [1, -2, 3], 'without the stop it would be 2x');
  assert.deepEqual(Array.from(stopGradient(x).dataSync()), [1, -2, 3]);
  tf.dispose([x, g]);
});

it('a variable reached only through a stop gets a zero gradient (a TD target built from the trained network)', () => {
  const w = tf.variable(tf.scalar(2));
  const { value, grads } = tf.variableGrads(() => {
    const prediction = tf.mul(w, 3);
    const target = stopGradient(tf.add(tf.mul(w, 5), 1)); // 11, treated as a constant
    return tf.square(tf.sub(prediction, target)) as tf.Scalar;
  }, [w]);
  assert.equal(value.dataSync()[0], 25);
  // d/dw (3w - c)^2 = 2 * (3w - c) * 3 = 2 * (6 - 11) * 3
  assert.equal(grads[w.name].dataSync()[0], -30);
  tf.dispose([w, value, grads[w.name]]);
});

it('keeps shape and dtype, and leaks nothing', () => {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const y = stopGradient(tf.ones([2, 3]));
    assert.deepEqual(y.shape, [2, 3]);
    assert.equal(y.dtype, 'float32');
  });
  assert.equal(tf.memory().numTensors, before);
});
