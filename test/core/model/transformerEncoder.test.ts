import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { TransformerEncoder } from '../../../src/core/model/transformerEncoder';
import { useBackend } from '../train/fixtures';

before(async () => {
  await useBackend();
});

describe('TransformerEncoder', () => {
  it('keeps the input shape, normalises features and is permutation-equivariant over positions', () => {
    const layer = new TransformerEncoder({ numHeads: 2, ffDim: 8, rate: 0, seed: 3 });
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 1);
    const y = layer.apply(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 5, 4]);
    // Post-norm output with gamma=1, beta=0: every position has mean 0 and variance ~1.
    const { mean, variance } = tf.moments(y, -1);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 1e-3);
    // No positional encoding: permuting positions permutes the outputs the same way.
    const perm = tf.tensor1d([4, 2, 0, 1, 3], 'int32');
    const yPerm = layer.apply(tf.gather(x, perm, 1)) as tf.Tensor;
    assert.ok(tf.max(tf.abs(tf.sub(yPerm, tf.gather(y, perm, 1)))).dataSync()[0] < 1e-5);
  });

  it('gets a gradient for every weight, and seeded dropout repeats per seed only', () => {
    const layer = new TransformerEncoder({ numHeads: 2, ffDim: 8, rate: 0.5, seed: 3 });
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 2);
    layer.apply(x);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    assert.equal(vars.length, 16);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x, { training: true, seed: 5 }) as tf.Tensor)) as tf.Scalar, vars);
    for (const v of vars) assert.ok(tf.sum(tf.abs(grads[v.name])).dataSync()[0] > 0, `no gradient for ${v.name}`);
    const run = (seed: number) => Array.from((layer.apply(x, { training: true, seed }) as tf.Tensor).dataSync());
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
    assert.deepEqual(Array.from((layer.apply(x) as tf.Tensor).dataSync()), Array.from((layer.apply(x, { training: false }) as tf.Tensor).dataSync()));
  });

  it('serialises its config', () => {
    const layer = new TransformerEncoder({ name: 'enc', numHeads: 4, ffDim: 32, rate: 0.2, seed: 9 });
    const cfg = layer.getConfig();
    assert.equal(cfg.numHeads, 4);
    assert.equal(cfg.ffDim, 32);
    assert.equal(cfg.rate, 0.2);
    const copy = tf.serialization.SerializationMap.getMap().classNameMap.TransformerEncoder;
    assert.ok(copy, 'registered with tf.serialization');
  });
});
