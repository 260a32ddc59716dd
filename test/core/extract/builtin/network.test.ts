import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../../src/core/tensor/backend';
import { embedBag, embedBagValues, gru } from '../../../../src/core/extract/builtin/network';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < tol, `index ${i}: ${a[i]} vs ${b[i]}`);
}

test('GRU: padding after a sentence changes neither direction\'s outputs on its tokens', async () => {
  await initBackend('cpu');
  const [input, h] = [4, 3];
  const w = tf.randomNormal([input, 3 * h], 0, 0.5, 'float32', 1);
  const u = tf.randomNormal([h, 3 * h], 0, 0.5, 'float32', 2);
  const b = tf.randomNormal([3 * h], 0, 0.5, 'float32', 3);
  const x = tf.randomNormal([1, 3, input], 0, 1, 'float32', 4) as tf.Tensor3D;
  // The same sentence padded to 6 positions with arbitrary (non-zero) padding values.
  const padded = tf.concat([x, tf.randomNormal([1, 3, input], 0, 1, 'float32', 5)], 1) as tf.Tensor3D;
  const mask = tf.tensor2d([[1, 1, 1, 0, 0, 0]]);
  for (const reverse of [false, true]) {
    const alone = gru(x, tf.ones([1, 3]) as tf.Tensor2D, w, u, b, reverse);
    const inBatch = gru(padded, mask, w, u, b, reverse).slice([0, 0, 0], [1, 3, h]);
    close(inBatch.dataSync(), alone.dataSync());
  }
});

test('GRU matches a step-by-step reference computation', async () => {
  await initBackend('cpu');
  const h = 2;
  const W = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [0.7, 0.8, -0.9, 0.1, 0.2, -0.3]];
  const U = [[0.5, -0.4, 0.3, -0.2, 0.1, 0.2], [-0.3, 0.4, 0.5, 0.6, -0.7, 0.8]];
  const B = [0.01, 0.02, -0.03, 0.04, 0.05, -0.06];
  const X = [[1, -1], [0.5, 2], [-1.5, 0.25]];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const ref: number[][] = [];
  let state = [0, 0];
  for (const xt of X) {
    const g = (k: number, j: number) => xt[0] * W[0][k * h + j] + xt[1] * W[1][k * h + j] + B[k * h + j];
    const hu = (k: number, j: number) => state[0] * U[0][k * h + j] + state[1] * U[1][k * h + j];
    const next = [0, 1].map((j) => {
      const z = sig(g(0, j) + hu(0, j));
      const r = sig(g(1, j) + hu(1, j));
      const n = Math.tanh(g(2, j) + r * hu(2, j));
      return (1 - z) * n + z * state[j];
    });
    state = next;
    ref.push(next);
  }
  const out = gru(tf.tensor3d([X]), tf.ones([1, 3]) as tf.Tensor2D, tf.tensor2d(W), tf.tensor2d(U), tf.tensor1d(B), false);
  close(out.dataSync(), ref.flat());
});

test('embedBagValues sums the listed rows like the differentiable embedBag', async () => {
  await initBackend('cpu');
  const table = Float32Array.from({ length: 5 * 3 }, (_, i) => Math.sin(i));
  const ids = Int32Array.from([1, 4, 0, 2, 0, 0, 3, 3, 1]);
  const mask = Float32Array.from([1, 1, 0, 1, 0, 0, 1, 1, 1]);
  const expected = embedBag(tf.tensor2d(table, [5, 3]), tf.tensor2d(ids, [3, 3], 'int32'), tf.tensor2d(mask, [3, 3])).dataSync();
  close(embedBagValues(table, 3, ids, mask, 3), expected);
});
