import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelThreads, matMulHelperItems, matMulThreaded, setKernelThreads } from '../../../../src/core/tensor/wasm/threads';
import { heapOffset, simdKernels } from '../../../../src/core/tensor/wasm/simdKernels';
import { convLayer, denseLayer } from '../../../../src/core/tensor/wasm/fusedLayers';
import { winogradConvLayer } from '../../../../src/core/tensor/wasm/winogradConv';
import { FusedAdamOptimizer } from '../../../../src/core/train/fusedAdam';
import { denseStepGradients } from '../../../../src/core/train/denseStep';
import { forwardPlan, meanLoss, runLayers } from '../../../../src/core/train/forward';
import { initWasmWithFixes } from '../backendComparison';

/**
 * The training kernels on several threads give exactly (bit for bit) what one thread gives: the
 * product's blocks on odd shapes, the convolution kernels, and the weights after real training
 * steps of an MLP and a small CNN with 1, 2 and 3 threads. Each multi-thread case also checks
 * that helper threads took part: they start in the background, and on a busy machine the caller
 * may take every block of a call before a helper wakes, so a case is repeated until they have
 * (a condition, not a time; every repetition is compared).
 */
describe('training kernels on several threads', () => {
  let backend: BackendWasm;
  before(async () => {
    await initWasmWithFixes();
    backend = tf.backend() as BackendWasm;
  });
  after(() => setKernelThreads(undefined));

  /** Runs `check` until helpers of the current thread count computed blocks during it (at most 100 times). */
  async function withHelpers(check: () => Promise<void> | void): Promise<void> {
    await helpersUp();
    for (let attempt = 0; attempt < 100; attempt++) {
      const before = matMulHelperItems(backend);
      await check();
      if (matMulHelperItems(backend) > before) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.fail(`helpers of the ${kernelThreads()}-thread pool never took part`);
  }

  /** `compute` on one thread, then on 2 and 3 (their helpers taking part), each checked against the first by `same`. */
  async function acrossThreadCounts<T>(compute: () => T | Promise<T>, same: (many: T, one: T, threads: number) => void): Promise<void> {
    setKernelThreads(1);
    const one = await compute();
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      await withHelpers(async () => same(await compute(), one, threads));
    }
  }

  /** Runs a shared product until the helpers of the current thread count have taken part. */
  async function helpersUp(): Promise<void> {
    const a = tf.ones([64, 64]);
    const c = tf.zeros([64, 64]);
    for (let k = 0; k < 20000 && matMulHelperItems(backend) === 0; k++) {
      matMulThreaded(backend, 64, 64, 64, heapOffset(backend, a), 256, 4, heapOffset(backend, a), 0, heapOffset(backend, c), { minimum: 0 });
      await new Promise((resolve) => setImmediate(resolve));
    }
    tf.dispose([a, c]);
    assert.ok(matMulHelperItems(backend) > 0, `helpers of the ${kernelThreads()}-thread pool took part`);
  }

  it('the setting: positive whole numbers only, default every core', () => {
    setKernelThreads(undefined);
    assert.ok(kernelThreads() >= 1);
    assert.throws(() => setKernelThreads(0), /threads must be a positive integer/);
    assert.throws(() => setKernelThreads(1.5), /threads must be a positive integer/);
  });

  // m x k times k x n with A and B stored either way; split along rows (m >= n) or columns.
  const shapes = [
    { m: 1, n: 1, k: 1 }, { m: 3, n: 37, k: 5 }, { m: 37, n: 3, k: 5 }, { m: 13, n: 29, k: 600 },
    { m: 301, n: 17, k: 257 }, { m: 19, n: 203, k: 131 }, { m: 130, n: 130, k: 7 },
  ];
  for (const threads of [2, 3]) {
    it(`products on ${threads} threads equal the single-thread kernel on odd shapes (every transposed form)`, async () => {
      setKernelThreads(threads);
      const kernels = simdKernels(backend);
      await withHelpers(() => { for (const { m, n, k } of shapes) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const a = tf.randomNormal(tA ? [k, m] : [m, k], 0, 1, 'float32', m + k);
            const b = tf.randomNormal(tB ? [n, k] : [k, n], 0, 1, 'float32', n + k + 1);
            const one = tf.zeros([m, n]);
            const many = tf.zeros([m, n]);
            const scratch = tf.zeros([kernels.matMulScratch(n, k)]);
            const [pa, pb] = [a, b].map((t) => heapOffset(backend, t));
            const aRow = tA ? 4 : k * 4;
            const aK = tA ? m * 4 : 4;
            kernels.matMul(m, n, k, pa, aRow, aK, pb, tB ? 1 : 0, heapOffset(backend, one), heapOffset(backend, scratch));
            matMulThreaded(backend, m, n, k, pa, aRow, aK, pb, tB ? 1 : 0, heapOffset(backend, many), { minimum: 0 });
            assert.deepEqual(many.dataSync(), one.dataSync(), `${m}x${n}x${k} tA ${tA} tB ${tB}`);
            tf.dispose([a, b, one, many, scratch]);
          }
        }
      } });
    });
  }

  /**
   * Outputs and gradients of convolutions (forward: im2col + product; filter gradient; input
   * gradient: product + col2im) and of max pooling (both gradient kernels) and ReLU, odd shapes.
   */
  function convolutions(): Float32Array[] {
    return tf.tidy(() => {
      const out: Float32Array[] = [];
      for (const { x, f, strides, pad, pool } of [
        { x: [5, 23, 19, 7], f: [3, 3, 7, 16], strides: 1, pad: 'valid' as const, pool: 2 },
        { x: [6, 31, 29, 5], f: [5, 5, 5, 11], strides: 2, pad: 'same' as const, pool: 3 },
      ]) {
        const xs = tf.randomNormal(x, 0, 1, 'float32', 3);
        const fs = tf.randomNormal(f, 0, 1, 'float32', 4);
        const loss = (xv: tf.Tensor4D, fv: tf.Tensor4D) =>
          tf.maxPool(tf.relu(tf.conv2d(xv, fv, strides, pad)), pool, pool === 2 ? 2 : 1, 'same').square().sum();
        const [dx, df] = tf.grads((xv: tf.Tensor, fv: tf.Tensor) => loss(xv as tf.Tensor4D, fv as tf.Tensor4D))([xs, fs]);
        out.push(tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, strides, pad).dataSync() as Float32Array, dx.dataSync() as Float32Array, df.dataSync() as Float32Array);
      }
      // Max pooling's gradient with tiling windows (the threaded SIMD kernel; above SPLIT_MIN_FLOATS), odd sizes.
      for (const shape of [[9, 27, 25, 24], [8, 26, 26, 32]]) {
        const xs = tf.randomNormal(shape, 0, 1, 'float32', 8);
        const [y, dx] = [tf.maxPool(xs as tf.Tensor4D, 2, 2, 'valid'), tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid').square().sum())(xs)];
        out.push(y.dataSync() as Float32Array, dx.dataSync() as Float32Array);
      }
      return out;
    });
  }

  /**
   * The fused dense and conv layers (bias + ReLU in the product's epilogue; ReLU's and the bias's
   * gradients in one column-split pass) and the Winograd conv layer, and their gradients, odd
   * shapes, ReLU and linear.
   */
  function fusedLayers(): Float32Array[] {
    return tf.tidy(() => {
      const out: Float32Array[] = [];
      const collect = (layer: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor, xs: number[], ws: number[], n: number, seed: number) => {
        const [x, w, b] = [tf.randomNormal(xs, 0, 1, 'float32', seed), tf.randomNormal(ws, 0, 1, 'float32', seed + 1), tf.randomNormal([n], 0, 1, 'float32', seed + 2)];
        const r = tf.randomNormal(layer(x, w, b).shape, 0, 1, 'float32', seed + 3);
        const { value, grads } = tf.valueAndGrads((xv: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, wv, bv), r)))([x, w, b]);
        out.push(layer(x, w, b).dataSync() as Float32Array, value.dataSync() as Float32Array, ...grads.map((g) => g.dataSync() as Float32Array));
      };
      for (const relu of [true, false]) {
        collect((x, w, b) => denseLayer(x, w, b, relu), [301, 37], [37, 333], 333, 11); // gradient pass split: >= 256 columns
        collect((x, w, b) => denseLayer(x, w, b, relu), [130, 257], [257, 13], 13, 12);
        collect((x, w, b) => convLayer(x, w, b, { strides: [1, 1], pad: 'valid', relu }), [5, 23, 19, 7], [3, 3, 7, 18], 18, 13);
        collect((x, w, b) => convLayer(x, w, b, { strides: [2, 1], pad: 'same', relu }), [6, 31, 29, 5], [5, 3, 5, 11], 11, 14);
        // A narrow layer (32 columns) above SPLIT_MIN_FLOATS: its bias/ReLU gradient shares blocks of rows.
        collect((x, w, b) => convLayer(x, w, b, { strides: [1, 1], pad: 'valid', relu }), [8, 26, 26, 8], [3, 3, 8, 32], 32, 17);
        // Winograd: transforms split by images (>= SPLIT_MIN_FLOATS), the 36 products shared whole.
        collect((x, w, b) => winogradConvLayer(x, w, b, 'valid', relu), [9, 23, 19, 16], [3, 3, 16, 20], 20, 15);
        collect((x, w, b) => winogradConvLayer(x, w, b, 'same', relu), [7, 13, 18, 12], [3, 3, 12, 8], 8, 16);
      }
      return out;
    });
  }

  it('fused dense, conv and Winograd conv layers and their gradients on 2 and 3 threads equal one thread', async () => {
    await acrossThreadCounts(fusedLayers, (many, one, threads) => assert.deepEqual(many, one, `${threads} threads`));
  });

  it('convolutions and their gradients on 2 and 3 threads equal one thread', async () => {
    await acrossThreadCounts(convolutions, (many, one, threads) => assert.deepEqual(many, one, `${threads} threads`));
  });

  /** Weights after `steps` Adam steps of a seeded model on seeded data, as one array. */
  async function trainedWeights(build: () => tf.LayersModel, inputShape: number[], steps: number, batch: number): Promise<Float32Array> {
    const model = build();
    // The trainer's Adam (one fused kernel per variable, elements shared between threads).
    model.compile({ optimizer: new FusedAdamOptimizer(1e-3), loss: 'categoricalCrossentropy' });
    const xs = tf.randomUniform([steps * batch, ...inputShape], 0, 1, 'float32', 5);
    const ys = tf.oneHot(tf.randomUniform([steps * batch], 0, 10, 'int32', 6), 10);
    await model.fit(xs, ys, { batchSize: batch, epochs: 2, shuffle: false, verbose: 0 });
    const weights = allWeights(model);
    tf.dispose([xs, ys]);
    model.dispose();
    return weights;
  }

  /** Bit-identical weights (`Object.is`: -0 and NaN too). */
  function sameWeights(many: Float32Array, one: Float32Array, threads: number): void {
    assert.ok(many.every((v, k) => Object.is(v, one[k])), `weights after training with ${threads} threads differ from 1 thread`);
  }

  /** Every weight of `model`, in order, as one array. */
  function allWeights(model: tf.LayersModel): Float32Array {
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const all = new Float32Array(weights.reduce((s, w) => s + w.length, 0));
    let at = 0;
    for (const w of weights) {
      all.set(w, at);
      at += w.length;
    }
    return all;
  }

  const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const mlp = () => tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu', ...seeded(1) }),
      tf.layers.dense({ units: 128, activation: 'relu', ...seeded(2) }),
      tf.layers.dense({ units: 10, activation: 'softmax', ...seeded(3) }),
    ],
  });
  const cnn = () => tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 16, kernelSize: 3, activation: 'relu', ...seeded(4) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 24, kernelSize: 3, activation: 'relu', ...seeded(5) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', ...seeded(6) }),
    ],
  });

  /**
   * Weights after `steps` steps of the trainer's own step (`runLayers`: the fused layers, the CNN's
   * first conv (3 -> 16 channels) and its max pooling as one kernel (convPool.ts), its second conv
   * (16 -> 24 channels, 3x3) as Winograd; `meanLoss`: the fused loss; the fused Adam), as one array.
   */
  function trainerWeights(build: () => tf.LayersModel, inputShape: number[], steps: number, batch: number, fusedStep = false): Float32Array {
    const model = build();
    const plan = forwardPlan(model.layers);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer = new FusedAdamOptimizer(1e-3);
    for (let s = 0; s < steps; s++) {
      tf.tidy(() => {
        const x = tf.randomUniform([batch, ...inputShape], 0, 1, 'float32', 5 + s);
        const y = tf.randomUniform([batch], 0, 10, 'int32', 6 + s) as tf.Tensor1D;
        const fused = fusedStep ? denseStepGradients(plan, x, y, 0, variables, 10) : undefined;
        assert.ok(fused || !fusedStep, 'the fused dense step applies');
        const { grads } = fused ?? tf.variableGrads(() => meanLoss(runLayers(plan, x, 0, plan.layers.length, true, 0), y, 10), variables);
        optimizer.applyGradients(grads);
      });
    }
    const weights = allWeights(model);
    optimizer.dispose();
    model.dispose();
    return weights;
  }

  for (const [name, build, shape, batch] of [['MLP 784-256-128-10', mlp, [784], 61], ['CNN conv-pool-conv-dense', cnn, [16, 16, 3], 29]] as const) {
    it(`the trainer's step (fused layers and loss) on the ${name} gives bit-identical weights with 1, 2 and 3 threads`, async () => {
      await acrossThreadCounts(() => trainerWeights(build, [...shape], 4, batch), sameWeights);
    });
  }

  it('the fused dense training step (one kernel: forward, loss, gradients) on the MLP gives bit-identical weights with 1, 2 and 3 threads', async () => {
    await acrossThreadCounts(() => trainerWeights(mlp, [784], 4, 61, true), sameWeights);
  });

  for (const [name, build, shape, batch] of [['MLP 784-256-128-10', mlp, [784], 64], ['CNN conv-pool-conv-dense', cnn, [16, 16, 3], 32]] as const) {
    it(`training the ${name} gives bit-identical weights with 1, 2 and 3 threads`, async () => {
      await acrossThreadCounts(() => trainedWeights(build, [...shape], 3, batch), sameWeights);
    });
  }
});
