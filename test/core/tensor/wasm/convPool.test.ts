import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { CONV_POOL, CONV_POOL_ENV_VAR, convPoolApplies, convPoolLayer } from '../../../../src/core/tensor/wasm/convPool';
import { convLayer } from '../../../../src/core/tensor/wasm/fusedLayers';
import { NATIVE_CONV_ENV_VAR } from '../../../../src/core/tensor/wasm/nativeGemm';
import { setKernelThreads } from '../../../../src/core/tensor/wasm/threads';
import { initWasmWithFixes } from '../backendComparison';
import { normwise, pooledReferenceGradients, runLayer, trainingStepKernels } from './pooledReference';

/**
 * The fused conv + 2x2/2 max-pool layer (few input channels): its output equals the unfused
 * layer's (im2col conv layer on the wasm product, then tfjs's max pooling) bit for bit; its gradients (input, filter,
 * bias) are within 1e-6 normwise (max |got - ref| / max |ref|) of a float64 direct convolution
 * routed through the same window maxima (measured at most 3e-7; the unfused layer's errors against
 * the same reference, printed next to them, at most 2.6e-7); results are bit-identical on 1, 2 and 3 threads.
 */
describe('fused conv + 2x2 max-pool layer (wasm)', () => {
  // The unfused layer as the fused kernel's arithmetic has it: im2col and the wasm product (the
  // native one, where conv layers take it, sums in another order).
  const nativeConv = process.env[NATIVE_CONV_ENV_VAR];
  before(async () => {
    process.env[NATIVE_CONV_ENV_VAR] = '0';
    await initWasmWithFixes();
  });
  after(() => {
    setKernelThreads(undefined);
    if (nativeConv === undefined) delete process.env[NATIVE_CONV_ENV_VAR];
    else process.env[NATIVE_CONV_ENV_VAR] = nativeConv;
  });

  const fused = (pad: 'valid' | 'same', relu: boolean) => (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => convPoolLayer(x, f, b, pad, relu);
  const unfused = (pad: 'valid' | 'same', relu: boolean) => (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
    tf.maxPool(convLayer(x, f, b, { strides: [1, 1], pad, relu }) as tf.Tensor4D, 2, 2, 'valid');

  const cases = [
    { xs: [3, 28, 28, 1], fs: [3, 3, 1, 32] }, // the reference CNN's first layer, 3 images
    { xs: [2, 13, 11, 3], fs: [3, 3, 3, 12] }, // odd sizes: the last conv row/column is in no window ('valid')
    { xs: [2, 9, 10, 2], fs: [5, 5, 2, 4] },
    { xs: [1, 7, 8, 4], fs: [2, 3, 4, 8] },
  ];
  for (const { xs, fs } of cases) {
    for (const pad of ['valid', 'same'] as const) {
      for (const relu of [true, false]) {
        it(`x${JSON.stringify(xs)} f${JSON.stringify(fs)} ${pad} ${relu ? 'ReLU' : 'linear'}: the unfused output bit for bit, gradients within 1e-6 of float64`, () => {
          assert.ok(convPoolApplies(xs, fs, [1, 1], pad));
          const [y, ...grads] = runLayer(fused(pad, relu), xs, fs);
          const [yRef, ...unfusedGrads] = runLayer(unfused(pad, relu), xs, fs);
          assert.deepEqual(y, yRef);
          const reference = pooledReferenceGradients((x, f) => convLayer(x, f, tf.zeros([fs[3]]), { strides: [1, 1], pad, relu: false }), xs, fs, pad, relu, y);
          const names = ['dx', 'df', 'db'];
          const errs = grads.map((g, k) => normwise(g, reference[k]));
          const unfusedErrs = unfusedGrads.map((g, k) => normwise(g, reference[k]));
          console.log(`# ${JSON.stringify(xs)} ${JSON.stringify(fs)} ${pad} relu=${relu}: fused ${errs.map((e, k) => `${names[k]} ${e.toExponential(1)}`).join(', ')}; unfused ${unfusedErrs.map((e) => e.toExponential(1)).join(', ')}`);
          errs.forEach((e, k) => assert.ok(e <= 1e-6, `${names[k]}: normwise error ${e} > 1e-6 (unfused: ${unfusedErrs[k]})`));
        });
      }
    }
  }

  it('on 2 and 3 threads equals 1 thread, output and gradients', () => {
    const shape = [9, 28, 28, 1];
    const filter = [3, 3, 1, 32];
    setKernelThreads(1);
    const one = runLayer(fused('valid', true), shape, filter);
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      const many = runLayer(fused('valid', true), shape, filter);
      many.forEach((values, k) => assert.ok(values.every((v, i) => Object.is(v, one[k][i])), `${threads} threads: result ${k} differs`));
    }
    setKernelThreads(undefined);
  });

  it('applies to stride-1 layers with <= 4 input channels and output channels in fours, not to Winograd layers', () => {
    assert.ok(convPoolApplies([8, 28, 28, 1], [3, 3, 1, 32], [1, 1], 'valid'));
    assert.ok(!convPoolApplies([8, 28, 28, 1], [3, 3, 1, 32], [2, 2], 'valid'), 'stride 2');
    assert.ok(!convPoolApplies([8, 28, 28, 5], [3, 3, 5, 32], [1, 1], 'valid'), '5 input channels');
    assert.ok(!convPoolApplies([8, 28, 28, 1], [3, 3, 1, 30], [1, 1], 'valid'), '30 output channels');
    assert.ok(!convPoolApplies([8, 3, 3, 1], [3, 3, 1, 32], [1, 1], 'valid'), 'a 1x1 conv output has no 2x2 window');
  });

  /** Kernel names a training step of conv(relu) -> maxPool(2) -> flatten -> dense runs through `runLayers`. */
  function trainingKernels(pool: tf.layers.Layer): Promise<string[]> {
    return trainingStepKernels(tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
        pool,
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    }), [4, 12, 12, 1]);
  }

  it('training runs a conv layer and its 2x2 max pooling as this kernel; other pooling, or MODEL_LAB_CONV_POOL=0, unfused', async () => {
    const names = await trainingKernels(tf.layers.maxPooling2d({ poolSize: 2 }));
    assert.ok(names.includes(CONV_POOL) && !names.includes('MaxPool') && !names.includes('MaxPoolGrad'), names.join());
    const other = await trainingKernels(tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }));
    assert.ok(!other.includes(CONV_POOL) && other.includes('MaxPool'), other.join());
    process.env[CONV_POOL_ENV_VAR] = '0';
    try {
      const off = await trainingKernels(tf.layers.maxPooling2d({ poolSize: 2 }));
      assert.ok(!off.includes(CONV_POOL) && off.includes('MaxPool'), off.join());
    } finally {
      delete process.env[CONV_POOL_ENV_VAR];
    }
  });

  it('leaks no tensors, forward and backward', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 10, 10, 1]);
      const f = tf.randomNormal([3, 3, 1, 8]);
      const b = tf.zeros([8]);
      tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(convPoolLayer(xv, fv, bv, 'valid', true)))([x, f, b]);
    });
    assert.equal(tf.memory().numTensors, before);
  });
});
