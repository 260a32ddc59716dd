import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from './backendComparison';

/**
 * One training step of small models covering every layer type the project trains (dense, conv2d
 * valid/same with strides, depthwise, max/average pooling, flatten, dropout, batch norm,
 * embedding, global average pooling, multi-head self-attention, layer norm, gelu/relu/tanh/sigmoid,
 * softmax cross-entropy, Adam): on wasm every kernel must exist and the loss, every gradient and
 * the weights after an Adam update must equal the cpu backend's.
 */

type Batch = { x: () => tf.Tensor; y: () => tf.Tensor };

/** Loss, gradients and post-Adam weights of one step; all weights set deterministically first. */
function trainStep(build: () => tf.LayersModel, batch: Batch): () => tf.Tensor[] {
  return () => {
    const model = build();
    model.weights.forEach((w, k) => {
      const positive = /variance|gamma/.test(w.originalName);
      const init = tf.mul(values(w.shape as number[], 100 + k), positive ? 0.2 : 0.3);
      w.write(positive ? tf.add(init, 1) : init);
    });
    const x = batch.x();
    const y = batch.y();
    const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(loss, variables);
    const optimizer: tf.Optimizer = tf.train.adam(0.01);
    optimizer.applyGradients(grads);
    const after = variables.map((v) => v.clone());
    const out = [value, ...variables.map((v) => grads[v.name]), ...after];
    optimizer.dispose();
    model.dispose();
    return out;
  };
}

const oneHot = (labels: number[], classes: number) => () => tf.oneHot(tf.tensor1d(labels, 'int32'), classes);

describe('training step on wasm matches cpu, per layer type', () => {
  before(initWasmWithFixes);

  it('dense MLP (relu, tanh, sigmoid), fused bias + activation', async () => {
    await assertWasmMatchesCpu(trainStep(() => tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [12], units: 16, activation: 'relu' }),
        tf.layers.dense({ units: 8, activation: 'tanh' }),
        tf.layers.dense({ units: 8, activation: 'sigmoid' }),
        tf.layers.dense({ units: 3 }),
      ],
    }), { x: () => values([10, 12], 1), y: oneHot([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 3) }), 1e-4);
  });

  it('conv2d (valid, same, stride 2) + max pooling + flatten + dense', async () => {
    await assertWasmMatchesCpu(trainStep(() => tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3 }),
      ],
    }), { x: () => values([4, 12, 12, 2], 2), y: oneHot([0, 1, 2, 1], 3) }), 1e-4);
  });

  it('separable/depthwise conv2d + average pooling', async () => {
    await assertWasmMatchesCpu(trainStep(() => tf.sequential({
      layers: [
        tf.layers.depthwiseConv2d({ inputShape: [9, 9, 3], kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
        tf.layers.separableConv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.averagePooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    }), { x: () => values([3, 9, 9, 3], 3), y: oneHot([0, 1, 1], 2) }), 1e-4);
  });

  it('batch normalization + dropout (seeded) + gelu', async () => {
    await assertWasmMatchesCpu(trainStep(() => tf.sequential({
      layers: [
        // No bias before batch norm: its gradient is exactly 0 in theory, float noise in practice,
        // and Adam turns noise of either sign into a full-size step.
        tf.layers.dense({ inputShape: [6], units: 10, useBias: false }),
        tf.layers.batchNormalization(),
        tf.layers.activation({ activation: 'gelu' }),
        tf.layers.dropout({ rate: 0.3, seed: 7 }),
        tf.layers.dense({ units: 3 }),
      ],
    }), { x: () => values([8, 6], 4), y: oneHot([2, 1, 0, 2, 1, 0, 1, 1], 3) }), 1e-4);
  });

  it('embedding + global average pooling 1d', async () => {
    await assertWasmMatchesCpu(trainStep(() => tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 20, outputDim: 6, inputLength: 5 }),
        tf.layers.globalAveragePooling1d(),
        tf.layers.dense({ units: 2 }),
      ],
    }), {
      x: () => tf.tensor2d([[1, 4, 4, 19, 0], [3, 3, 3, 2, 1], [7, 0, 0, 0, 0]], [3, 5], 'int32'),
      y: oneHot([0, 1, 1], 2),
    }), 1e-4);
  });

  it('multi-head self-attention + layer norm + gelu (plain tf ops, as a custom layer would)', async () => {
    const [b, s, d, h] = [3, 5, 8, 2];
    const hd = d / h;
    await assertWasmMatchesCpu(() => {
      const names = ['q', 'k', 'v', 'o', 'ff', 'cls'];
      const shapes: Record<string, number[]> = { q: [d, d], k: [d, d], v: [d, d], o: [d, d], ff: [d, d], cls: [d, 3] };
      const params = names.map((n, k) => tf.variable(tf.mul(values(shapes[n], 200 + k), 0.4), true, `attn_${n}_${k}`));
      const [wq, wk, wv, wo, wff, wcls] = params;
      const gamma = tf.variable(tf.add(tf.mul(values([d], 300), 0.1), 1));
      const beta = tf.variable(tf.mul(values([d], 301), 0.1));
      const x = values([b * s, d], 5);
      const y = oneHot([0, 2, 1], 3)();
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [b, s, h, hd]), [0, 2, 1, 3]);
      const loss = () => {
        const q = heads(tf.matMul(x, wq));
        const k = heads(tf.matMul(x, wk));
        const v = heads(tf.matMul(x, wv));
        const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)));
        const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b * s, d]);
        const res = tf.add(x, tf.matMul(ctx, wo));
        const { mean, variance } = tf.moments(res, -1, true);
        const normed = tf.add(tf.mul(tf.div(tf.sub(res, mean), tf.sqrt(tf.add(variance, 1e-6))), gamma), beta);
        const ff = tf.matMul(normed, wff);
        const gelu = tf.mul(tf.mul(ff, 0.5), tf.add(1, tf.erf(tf.div(ff, Math.SQRT2))));
        const pooled = tf.mean(tf.reshape(gelu, [b, s, d]), 1);
        return tf.losses.softmaxCrossEntropy(y, tf.matMul(pooled, wcls)) as tf.Scalar;
      };
      const variables = [...params, gamma, beta];
      const { value, grads } = tf.variableGrads(loss, variables);
      const optimizer: tf.Optimizer = tf.train.adam(0.01);
      optimizer.applyGradients(grads);
      const out = [value, ...variables.map((v) => grads[v.name]), ...variables.map((v) => v.clone())];
      optimizer.dispose();
      tf.dispose(variables);
      return out;
    }, 1e-4);
  });
});
