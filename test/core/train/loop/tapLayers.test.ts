import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tapLayers } from '../../../../src/core/train/loop/tapLayers';
import { useBackend } from '../fixtures';

before(useBackend);

function model(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ name: 'hidden', inputShape: [4], units: 6, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.dense({ name: 'logits', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

it('returns the output and the named layers’ outputs and inputs, equal to running the layers by hand', () => {
  const m = model();
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
  const tap = tapLayers(m, { outputsOf: ['hidden'], inputsOf: ['bn', 'logits'] });
  const out = tap(x);
  const hidden = m.getLayer('hidden').apply(x) as tf.Tensor;
  const normalised = m.getLayer('bn').apply(hidden, { training: false }) as tf.Tensor;
  assert.deepEqual(Array.from(out.outputsOf.hidden.dataSync()), Array.from(hidden.dataSync()));
  assert.deepEqual(Array.from(out.inputsOf.bn.dataSync()), Array.from(hidden.dataSync()), "bn's input is hidden's output");
  assert.deepEqual(Array.from(out.inputsOf.logits.dataSync()), Array.from(normalised.dataSync()));
  assert.deepEqual(Array.from((out.output as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
  m.dispose();
});

it('shares the weights: gradients of a loss on a tapped tensor reach the model’s variables', () => {
  const m = model();
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
  const tap = tapLayers(m, { outputsOf: ['hidden'] });
  const kernel = m.getLayer('hidden').getWeights()[0] as tf.Variable;
  const own = m.getLayer('hidden').weights[0].read() as tf.Variable;
  const { grads } = tf.variableGrads(() => tf.mean(tf.square(tap(x).outputsOf.hidden)) as tf.Scalar, [own]);
  assert.ok(tf.norm(grads[own.name]).dataSync()[0] > 0);
  assert.deepEqual(kernel.shape, own.shape);
  m.dispose();
});

it('training mode reaches batch norm (moving statistics update only when asked)', () => {
  const m = model();
  const x = tf.randomNormal([16, 4], 2, 1, 'float32', 5);
  const tap = tapLayers(m, { inputsOf: ['bn'] });
  const movingMean = () => Array.from(m.getLayer('bn').getWeights()[2].dataSync());
  const initial = movingMean();
  tap(x, { training: false });
  assert.deepEqual(movingMean(), initial);
  tap(x, { training: true });
  assert.notDeepEqual(movingMean(), initial);
  m.dispose();
});

it('names the missing layer', () => {
  const m = model();
  assert.throws(() => tapLayers(m, { outputsOf: ['nope'] }), /no layer 'nope' \(layers: hidden, bn, logits\)/);
  m.dispose();
});
