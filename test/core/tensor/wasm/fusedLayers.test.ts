import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { NATIVE_ENV_VAR } from '../../../../src/core/tensor/wasm/nativeGemm';
import { BIAS_ACTIVATION_GRAD, convLayer, CONV_LAYER, denseLayer, DENSE_LAYER, fusedLayersAvailable } from '../../../../src/core/tensor/wasm/fusedLayers';
import { computeOn, initWasmWithFixes, values } from '../backendComparison';

/**
 * The fused dense and conv layers (bias and ReLU in the product's epilogue; ReLU's and the bias's
 * gradients in one pass) give exactly what tfjs's unfused ops give on the same backend, forward
 * and backward, on odd shapes. (Thread counts: threads.test.ts. Dense layers on the native
 * product, which sums in another order: nativeGemm.test.ts; here they run on the wasm product.)
 */
describe('fused dense and conv layers (wasm)', () => {
  const native = process.env[NATIVE_ENV_VAR];
  before(async () => {
    process.env[NATIVE_ENV_VAR] = '0';
    await initWasmWithFixes();
  });
  after(() => {
    if (native === undefined) delete process.env[NATIVE_ENV_VAR];
    else process.env[NATIVE_ENV_VAR] = native;
  });

  /** Output and the gradients of sum(out * r) with respect to x, the weights and the bias. */
  function outputAndGrads(layer: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor, xs: number[], ws: number[], n: number) {
    return () => {
      const x = values(xs, 1);
      const w = values(ws, 2);
      const b = values([n], 3);
      const out = layer(x, w, b);
      const r = values(out.shape, 4);
      const grads = tf.grads((xv: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, wv, bv), r)))([x, w, b]);
      return [out, ...grads];
    };
  }

  async function assertSame(fused: () => tf.Tensor[], unfused: () => tf.Tensor[], label: string): Promise<void> {
    const a = await computeOn('wasm', fused);
    const b = await computeOn('wasm', unfused);
    assert.deepEqual(a.shapes, b.shapes, label);
    a.values.forEach((v, k) => assert.ok(v.every((e, i) => Object.is(e, b.values[k][i])), `${label}: output ${k} differs`));
  }

  it('runs on wasm with the SIMD kernels', () => {
    assert.ok(fusedLayersAvailable());
  });

  for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [37, 13, 29], [130, 65, 10], [64, 784, 33]]) {
    for (const relu of [true, false]) {
      it(`dense ${m}x${k} -> ${n} (${relu ? 'ReLU' : 'linear'}) equals matMul + add${relu ? ' + relu' : ''}, forward and backward`, async () => {
        const unfused = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
          const z = tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
          return relu ? tf.relu(z) : z;
        };
        await assertSame(outputAndGrads((x, w, b) => denseLayer(x, w, b, relu), [m, k], [k, n], n), outputAndGrads(unfused, [m, k], [k, n], n), `${m}x${k}x${n}`);
      });
    }
  }

  const convs = [
    { x: [3, 9, 11, 1], f: [3, 3, 1, 5], strides: [1, 1] as [number, number], pad: 'valid' as const },
    { x: [2, 13, 10, 7], f: [5, 3, 7, 6], strides: [2, 1] as [number, number], pad: 'same' as const },
    { x: [4, 8, 8, 4], f: [3, 3, 4, 8], strides: [2, 2] as [number, number], pad: 'valid' as const },
  ];
  for (const c of convs) {
    for (const relu of [true, false]) {
      it(`conv x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} ${c.pad} strides ${c.strides} (${relu ? 'ReLU' : 'linear'}) equals conv2d + add${relu ? ' + relu' : ''}`, async () => {
        const fused = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => convLayer(x, f, b, { strides: c.strides, pad: c.pad, relu });
        const unfused = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => {
          const z = tf.add(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad), b);
          return relu ? tf.relu(z) : z;
        };
        await assertSame(outputAndGrads(fused, c.x, c.f, c.f[3]), outputAndGrads(unfused, c.x, c.f, c.f[3]), JSON.stringify(c));
      });
    }
  }

  it('a narrow layer above SPLIT_MIN_FLOATS (bias gradient summed in blocks of rows): output and input/filter gradients exact, bias gradient within 1e-6', async () => {
    const c = { x: [8, 26, 26, 8], f: [3, 3, 8, 32] };
    const fused = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => convLayer(x, f, b, { strides: [1, 1], pad: 'valid', relu: true });
    const unfused = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'), b));
    const a = await computeOn('wasm', outputAndGrads(fused, c.x, c.f, 32));
    const b = await computeOn('wasm', outputAndGrads(unfused, c.x, c.f, 32));
    for (const k of [0, 1, 2]) assert.ok(a.values[k].every((e, i) => Object.is(e, b.values[k][i])), `output ${k} differs`);
    const scale = Math.max(...b.values[3].map(Math.abs));
    a.values[3].forEach((e, i) => assert.ok(Math.abs(e - b.values[3][i]) <= 1e-6 * scale, `db[${i}]: ${e} vs ${b.values[3][i]}`));
  });

  it('training a layer records one kernel forward and the fused gradient backward (no Add, Relu, Step, Sum)', async () => {
    const x = values([8, 6], 1);
    const w = tf.variable(values([6, 4], 2));
    const b = tf.variable(values([4], 3));
    const { kernels } = await tf.profile(() => tf.variableGrads(() => tf.sum(denseLayer(x, w, b, true)) as tf.Scalar, [w, b]));
    const names = kernels.map((k) => k.name);
    assert.ok(names.includes(DENSE_LAYER) && names.includes(BIAS_ACTIVATION_GRAD), names.join());
    for (const stock of ['Add', 'Relu', 'Step']) assert.ok(!names.includes(stock), names.join());
    assert.equal(names.filter((n) => n === 'Sum').length, 1, `only the loss's Sum: ${names.join()}`);
    tf.dispose([x, w, b]);
  });

  it('the fused conv kernel is what convLayer runs', async () => {
    const x = values([1, 5, 5, 2], 1);
    const { kernels } = await tf.profile(() => convLayer(x, values([3, 3, 2, 4], 2), values([4], 3), { strides: [1, 1], pad: 'same', relu: true }));
    assert.ok(kernels.map((k) => k.name).includes(CONV_LAYER));
    x.dispose();
  });
});
