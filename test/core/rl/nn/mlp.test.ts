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

describe('sparse input rows', () => {
  for (const spec of [{ sizes: [6, 8, 3] }, { sizes: [6, 8, 8, 1], layerNorm: true, ensemble: 2 }]) {
    it(`give the dense input's outputs and gradients (${spec.ensemble ? 'ensemble, layer norm' : 'plain'})`, () => {
      const vars = Object.fromEntries(Object.entries(mlpInit(spec, 3)).map(([k, v]) => [k, tf.variable(v)]));
      // Row 0: 0.5 at column 1, 2 at column 4 (0.5 + 1.5), a padding entry; row 1: -1 at column 0 and 3 at column 5.
      const indices = tf.tensor2d([[1, 4, 4, 0], [0, 5, 0, 0]], [2, 4], 'int32');
      const values = tf.tensor2d([[0.5, 0.5, 1.5, 0], [-1, 3, 0, 0]]);
      const dense = tf.tensor2d([[0, 0.5, 0, 0, 2, 0], [-1, 0, 0, 0, 0, 3]]);
      const loss = (x: Parameters<typeof mlpApply>[2]) => () => tf.sum(tf.square(mlpApply(vars, spec, x))) as tf.Scalar;
      const close = (a: tf.Tensor, b: tf.Tensor) => assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] < 1e-5, `${a} vs ${b}`);
      close(mlpApply(vars, spec, { indices, values }), mlpApply(vars, spec, dense));
      const sparse = tf.variableGrads(loss({ indices, values }), Object.values(vars) as tf.Variable[]).grads;
      const full = tf.variableGrads(loss(dense), Object.values(vars) as tf.Variable[]).grads;
      for (const k of Object.keys(full)) close(sparse[k], full[k]);
    });
  }
});
