import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mlpApply, mlpInit, spectrallyNormalized } from '../../../../src/core/rl/nn/mlp';
import { useBackend } from '../../train/fixtures';

before(async () => {
  await useBackend();
});

describe('spectral normalisation (LSD)', () => {
  it('divides a weight by its largest singular value', () => {
    // diag(3, 1) rotated: singular values 3 and 1.
    const [c, s] = [Math.cos(0.4), Math.sin(0.4)];
    const w = tf.tensor2d([3 * c, -3 * s, s, c], [2, 2]);
    const n = spectrallyNormalized(w);
    const out = n.arraySync() as number[][];
    const expected = [[c, -s], [s / 3, c / 3]];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(out[i][j] - expected[i][j]) < 1e-4, `${out}`);
    tf.dispose([w, n]);
  });

  it('makes the network 1-Lipschitz and keeps gradients flowing to the weights', () => {
    const spec = { sizes: [2, 32, 32, 2], spectralNorm: true };
    const vars = Object.fromEntries(Object.entries(mlpInit(spec, 7)).map(([k, v]) => [k, tf.variable(v)]));
    const x = tf.randomNormal([64, 2], 0, 3, 'float32', 1);
    const y = tf.add(x, tf.randomNormal([64, 2], 0, 0.5, 'float32', 2));
    const [fx, fy] = [mlpApply(vars, spec, x), mlpApply(vars, spec, y)];
    const ratio = tf.div(tf.norm(tf.sub(fy, fx), 'euclidean', 1), tf.norm(tf.sub(y, x), 'euclidean', 1));
    assert.ok(tf.max(ratio).dataSync()[0] <= 1 + 1e-4);
    const { grads } = tf.variableGrads(() => tf.sum(mlpApply(vars, spec, x)) as tf.Scalar, Object.values(vars) as tf.Variable[]);
    assert.ok(Object.values(grads).some((g) => tf.max(tf.abs(g)).dataSync()[0] > 0));
  });
});
