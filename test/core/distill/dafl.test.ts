import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator } from '../../../src/core/distill/dafl';
import { useBackend } from '../train/fixtures';

before(useBackend);

it('the DAFL generator makes standardised inputs by default, and inputs inside the data\'s range when given one', () => {
  const z = tf.randomNormal([64, 8], 0, 1, 'float32', 3);
  const standard = buildGenerator([4, 4, 1], { noiseDim: 8, hidden: 16 }, 1);
  const s = tf.tidy(() => standard.apply(z, { training: true }) as tf.Tensor);
  const { mean, variance } = tf.moments(s);
  assert.ok(Math.abs(mean.dataSync()[0]) < 1e-3, `mean ${mean.dataSync()[0]}`);
  assert.ok(Math.abs(variance.dataSync()[0] - 1) < 0.05, `variance ${variance.dataSync()[0]}`);
  assert.ok(s.min().dataSync()[0] < 0, 'standardised inputs go below 0');
  for (const range of [[0, 1], [-1, 3]] as [number, number][]) {
    const g = buildGenerator([4, 4, 1], { noiseDim: 8, hidden: 16 }, 1, range);
    const x = tf.tidy(() => g.apply(z, { training: true }) as tf.Tensor);
    assert.deepEqual(x.shape, [64, 4, 4, 1]);
    const [lo, hi] = [x.min().dataSync()[0], x.max().dataSync()[0]];
    assert.ok(lo >= range[0] && hi <= range[1] && hi - lo > 0.2 * (range[1] - range[0]), `${range}: values in [${lo}, ${hi}]`);
    // The generator trains: its weights get gradients through the scaled sigmoid.
    const grads = tf.variableGrads(() => tf.mean(g.apply(z, { training: true }) as tf.Tensor) as tf.Scalar, g.trainableWeights.map((w) => w.read() as tf.Variable));
    assert.ok(Object.values(grads.grads).some((t) => tf.max(tf.abs(t)).dataSync()[0] > 0));
    g.dispose();
  }
  standard.dispose();
});
