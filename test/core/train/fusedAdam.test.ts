import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { FusedAdamOptimizer } from '../../../src/core/train/fusedAdam';
import { initWasmWithFixes, values } from '../tensor/backendComparison';

/**
 * `steps` Adam steps on a small problem with `make()`'s optimizer, on `backend`; with `resumeAt`,
 * the optimizer is replaced at that step by a new one given the old one's weights (what a
 * checkpoint does). Returns the final weights.
 */
async function adamSteps(backend: 'wasm' | 'cpu', make: () => tf.Optimizer, steps: number, resumeAt?: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const a = tf.tidy(() => tf.variable(values([5, 3], 1), true));
  const b = tf.tidy(() => tf.variable(values([7], 2), true));
  const target = values([5, 3], 3);
  const loss = () => tf.add(tf.sum(tf.square(tf.sub(a, target))), tf.sum(tf.pow(b, 4))) as tf.Scalar;
  let optimizer = make();
  for (let s = 0; s < steps; s++) {
    if (s === resumeAt) {
      const saved = (await optimizer.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
      optimizer.dispose();
      optimizer = make();
      await optimizer.setWeights(saved);
      tf.dispose(saved.map((w) => w.tensor));
    }
    optimizer.minimize(loss, false, [a, b]);
  }
  const out = [Float32Array.from(a.dataSync()), Float32Array.from(b.dataSync())];
  optimizer.dispose();
  tf.dispose([a, b, target]);
  await tf.setBackend('wasm');
  return out;
}

describe('FusedAdamOptimizer', () => {
  before(initWasmWithFixes);

  it('is available on wasm', () => {
    assert.ok(FusedAdamOptimizer.supported());
  });

  it('gives the same weights as tf.train.adam on wasm, bit for bit, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const fused = await adamSteps('wasm', () => new FusedAdamOptimizer(0.05), 12);
    assert.equal(tf.memory().numTensors, before);
    const stock = await adamSteps('wasm', () => tf.train.adam(0.05), 12);
    assert.deepEqual(fused, stock);
    const start = values([5, 3], 1);
    assert.notDeepEqual(fused[0], Float32Array.from(start.dataSync()), 'the weights moved');
    start.dispose();
  });

  it('matches tfjs Adam on the cpu backend', async () => {
    const cpu = await adamSteps('cpu', () => tf.train.adam(0.05), 12);
    const fused = await adamSteps('wasm', () => new FusedAdamOptimizer(0.05), 12);
    cpu.forEach((expected, k) => expected.forEach((e, n) => assert.ok(Math.abs(fused[k][n] - e) < 1e-5, `${k}/${n}`)));
  });

  it("updates unshared weights in place, and leaves a tensor sharing a weight's buffer untouched", async () => {
    const opt = new FusedAdamOptimizer(0.05);
    const stock = tf.train.adam(0.05);
    const [w, u] = [1, 2].map(() => tf.tidy(() => tf.variable(values([6, 5], 4), true)));
    const loss = (x: tf.Variable) => () => tf.sum(tf.square(tf.sub(x, 1))) as tf.Scalar;
    const id = w.dataId;
    opt.minimize(loss(w), false, [w]);
    stock.minimize(loss(u), false, [u]);
    assert.equal(w.dataId, id, 'written into its own buffer');
    const held = tf.clone(w);
    const heldValues = Float32Array.from(held.dataSync());
    opt.minimize(loss(w), false, [w]);
    stock.minimize(loss(u), false, [u]);
    assert.notEqual(w.dataId, id, 'a shared buffer takes the kernel');
    assert.deepEqual(held.dataSync(), heldValues, 'the clone kept its values');
    held.dispose();
    opt.minimize(loss(w), false, [w]);
    stock.minimize(loss(u), false, [u]);
    process.env.MODEL_LAB_ADAM_IN_PLACE = '0';
    const before = w.dataId;
    try {
      opt.minimize(loss(w), false, [w]);
    } finally {
      delete process.env.MODEL_LAB_ADAM_IN_PLACE;
    }
    stock.minimize(loss(u), false, [u]);
    assert.notEqual(w.dataId, before, 'MODEL_LAB_ADAM_IN_PLACE=0 takes the kernel');
    assert.deepEqual(w.dataSync(), u.dataSync(), 'in place and the kernel give tfjs Adam bit for bit');
    opt.dispose();
    stock.dispose();
    tf.dispose([w, u]);
  });

  it('stores its state in tfjs Adam format and resumes exactly', async () => {
    const opt = new FusedAdamOptimizer(0.01);
    const v = tf.variable(tf.ones([2]), true, 'fusedAdamTest/format');
    opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar, false, [v]);
    assert.deepEqual((await opt.getWeights()).map((w) => w.name), ['iter', 'fusedAdamTest/format/m', 'fusedAdamTest/format/v']);
    opt.dispose();
    v.dispose();

    const straight = await adamSteps('wasm', () => new FusedAdamOptimizer(0.05), 9);
    const resumed = await adamSteps('wasm', () => new FusedAdamOptimizer(0.05), 9, 4);
    assert.deepEqual(resumed, straight);
  });
});
