import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { convLayer } from '../../../../src/core/tensor/wasm/fusedLayers';
import { convProductEngine, NATIVE_CONV_ENV_VAR, NATIVE_ENV_VAR, nativeGemm } from '../../../../src/core/tensor/wasm/nativeGemm';
import { setKernelThreads } from '../../../../src/core/tensor/wasm/threads';
import {
  WINOGRAD_CONV, WINOGRAD_CONV_POOL, WINOGRAD_INPUT, WINOGRAD_POOL_ENV_VAR, winogradApplies, winogradConvLayer, winogradPoolApplies,
} from '../../../../src/core/tensor/wasm/winogradConv';
import { initWasmWithFixes } from '../backendComparison';
import { conv64, convGeometry, convGradients64 } from './float64Conv';
import { type Layer, normwise, pooledReferenceGradients, runLayer, trainingStepKernels } from './pooledReference';

/**
 * The Winograd F(4x4, 3x3) conv layer (forward, input, filter and bias gradients) against a
 * float64 direct convolution, next to the im2col layer (tfjs's conv2d arithmetic) against the
 * same reference. Winograd rounds differently (transforms with factors up to 8 and 1/24 around
 * the products), so the bound is stated: normwise relative error max|got - ref| / max|ref| <=
 * WINOGRAD_BOUND (3e-5) for every output. Measured (printed): at most 4e-6 on the small shapes,
 * about 10x the im2col layer's (at most 7e-7); the filter gradient of the 70x70 case sums over
 * 578 tiles per product and reaches 8.6e-6 with OpenBLAS's AVX2 kernels and 1.1e-5 with its
 * AVX-512 ones (OpenBLAS picks them by CPU: `OPENBLAS_CORETYPE` unset on this machine), so the
 * bound leaves ~3x room for another CPU's summation order; a wrong tile or transform is off by
 * 1e-2 or more. The bias gradient is the same sum either way. Odd sizes: the last tile
 * row/column hangs over the output, 'same' reads padding. (Thread counts: threads.test.ts.)
 * Every case runs with the 36 products on the wasm product and, on linux-x64 where the native
 * (OpenBLAS) product is built, on that one (`MODEL_LAB_NATIVE_CONV`).
 */
const WINOGRAD_BOUND = 3e-5;

describe('Winograd F(4x4, 3x3) conv layer (wasm)', () => {
  before(initWasmWithFixes);

  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  /** The products' engines to test: the native one where it is built (it must load there), and the wasm one. */
  const engines = linuxX64 ? (['native', 'wasm'] as const) : (['wasm'] as const);
  /** Runs `fn` with the Winograd products on `engine` (`MODEL_LAB_NATIVE_CONV=0` for wasm). */
  function on<T>(engine: 'native' | 'wasm', fn: () => T): T {
    const saved = [process.env[NATIVE_CONV_ENV_VAR], process.env[NATIVE_ENV_VAR]];
    delete process.env[NATIVE_ENV_VAR];
    if (engine === 'wasm') process.env[NATIVE_CONV_ENV_VAR] = '0';
    else delete process.env[NATIVE_CONV_ENV_VAR];
    try {
      assert.equal(convProductEngine(), engine === 'native' ? 'native' : `wasm (${NATIVE_CONV_ENV_VAR}=0)`);
      return fn();
    } finally {
      [NATIVE_CONV_ENV_VAR, NATIVE_ENV_VAR].forEach((name, k) => {
        if (saved[k] === undefined) delete process.env[name];
        else process.env[name] = saved[k];
      });
    }
  }

  /** Normwise errors of [y, dx, df, db] of `layer` against the float64 reference (float64Conv.ts; ReLU's mask: the layer's own output). */
  function errors(layer: Layer, xs: number[], fs: number[], pad: 'valid' | 'same', relu: boolean): number[] {
    return tf.tidy(() => {
      const x = tf.randomNormal(xs, 0, 1, 'float32', 1);
      const f = tf.randomNormal(fs, 0, 0.2, 'float32', 2);
      const b = tf.randomNormal([fs[3]], 0, 0.5, 'float32', 3);
      const y = layer(x, f, b);
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
      const grads = tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, fv, bv), r)))([x, f, b]);
      const geometry = convGeometry(xs, fs, pad);
      const [xv, fv] = [x.dataSync() as Float32Array, f.dataSync() as Float32Array];
      const yConv = conv64(xv, fv, b.dataSync() as Float32Array, geometry);
      const got = y.dataSync() as Float32Array;
      const rv = r.dataSync();
      const yRef = relu ? yConv.map((v) => Math.max(v, 0)) : yConv;
      const dz = Float64Array.from(rv, (v, k) => (relu && !(got[k] > 0) ? 0 : v));
      const [dx, df, db] = convGradients64(dz, xv, fv, geometry);
      return [normwise(got, yRef), ...grads.map((g, k) => normwise(g.dataSync() as Float32Array, [dx, df, db][k]))];
    });
  }

  const im2colLayer = (pad: 'valid' | 'same', relu: boolean): Layer => (x, f, b) => convLayer(x, f, b, { strides: [1, 1], pad, relu });
  const winogradLayer = (pad: 'valid' | 'same', relu: boolean): Layer => (x, f, b) => winogradConvLayer(x, f, b, pad, relu);

  const cases = [
    { xs: [3, 11, 13, 8], fs: [3, 3, 8, 12] },
    { xs: [2, 13, 13, 32], fs: [3, 3, 32, 64] }, // the reference CNN's second layer, 2 images
    { xs: [1, 6, 5, 12], fs: [3, 3, 12, 4] },
    { xs: [2, 70, 70, 8], fs: [3, 3, 8, 8] }, // 289 tiles per image: the native forward in chunks of whole images (one each)
  ];
  for (const engine of engines) {
    for (const { xs, fs } of cases) {
      for (const pad of ['valid', 'same'] as const) {
        for (const relu of [true, false]) {
          it(`${engine} products, x${JSON.stringify(xs)} f${JSON.stringify(fs)} ${pad} ${relu ? 'ReLU' : 'linear'}: output and gradients within ${WINOGRAD_BOUND} of float64`, () => {
            assert.ok(winogradApplies(fs, [1, 1]));
            const wino = on(engine, () => errors(winogradLayer(pad, relu), xs, fs, pad, relu));
            const direct = errors(im2colLayer(pad, relu), xs, fs, pad, relu);
            const names = ['y', 'dx', 'df', 'db'];
            console.log(`# ${engine} ${JSON.stringify(xs)} ${JSON.stringify(fs)} ${pad} relu=${relu}: winograd ${wino.map((e, k) => `${names[k]} ${e.toExponential(1)}`).join(', ')}; im2col ${direct.map((e) => e.toExponential(1)).join(', ')}`);
            wino.forEach((e, k) => assert.ok(e <= WINOGRAD_BOUND, `${names[k]}: normwise error ${e} > ${WINOGRAD_BOUND} (im2col: ${direct[k]})`));
          });
        }
      }
    }
  }

  /**
   * With its 2x2/2 max pooling fused (the output transform pools): the output equals the unfused
   * layer's then max pooling bit for bit; gradients within WINOGRAD_BOUND of float64 as above, routed
   * through the same window maxima (pooledReference.ts).
   */
  const pooledCases = [
    { xs: [2, 13, 13, 32], fs: [3, 3, 32, 64], pad: 'valid' }, // the reference CNN's second layer: 11x11 -> 5x5 (last row/column dropped)
    { xs: [3, 11, 13, 8], fs: [3, 3, 8, 12], pad: 'same' }, // 11x13 -> 5x6
    { xs: [1, 6, 5, 12], fs: [3, 3, 12, 4], pad: 'valid' }, // 4x3 -> 2x1
    { xs: [2, 70, 70, 8], fs: [3, 3, 8, 8], pad: 'valid' }, // 68x68 -> 34x34, the native forward in two chunks
  ] as const;
  for (const engine of engines) for (const { xs, fs, pad } of pooledCases) {
    for (const relu of [true, false]) {
      it(`${engine} products, with 2x2 max pooling, x${JSON.stringify(xs)} f${JSON.stringify(fs)} ${pad} ${relu ? 'ReLU' : 'linear'}: the unfused output bit for bit, gradients within ${WINOGRAD_BOUND} of float64`, () => on(engine, () => {
        assert.ok(winogradPoolApplies([...xs], [...fs], pad));
        const pooled: Layer = (x, f, b) => winogradConvLayer(x, f, b, pad, relu, true);
        const apart: Layer = (x, f, b) => tf.maxPool(winogradConvLayer(x, f, b, pad, relu) as tf.Tensor4D, 2, 2, 'valid');
        const [y, ...grads] = runLayer(pooled, [...xs], [...fs]);
        const [yRef, ...apartGrads] = runLayer(apart, [...xs], [...fs]);
        assert.deepEqual(y, yRef);
        const reference = pooledReferenceGradients((x, f) => winogradConvLayer(x, f, tf.zeros([fs[3]]), pad, false), [...xs], [...fs], pad, relu, y);
        const names = ['dx', 'df', 'db'];
        const errs = grads.map((g, k) => normwise(g, reference[k]));
        console.log(`# ${engine} pooled ${JSON.stringify(xs)} ${JSON.stringify(fs)} ${pad} relu=${relu}: fused ${errs.map((e, k) => `${names[k]} ${e.toExponential(1)}`).join(', ')}; apart ${apartGrads.map((g, k) => normwise(g, reference[k]).toExponential(1)).join(', ')}`);
        errs.forEach((e, k) => assert.ok(e <= WINOGRAD_BOUND, `${names[k]}: normwise error ${e} > ${WINOGRAD_BOUND}`));
      }));
    }
  }

  // The reference CNN's second layer (9 images), and a layer whose native forward runs in chunks (one image each).
  const threadCases = [{ xs: [9, 13, 13, 32], fs: [3, 3, 32, 64] }, { xs: [2, 70, 70, 8], fs: [3, 3, 8, 8] }];
  for (const engine of engines) for (const { xs, fs } of threadCases) {
    for (const pool of [true, false]) {
      it(`${engine} products, x${JSON.stringify(xs)} f${JSON.stringify(fs)}${pool ? ', with 2x2 max pooling' : ''}: on 2 and 3 threads equals 1 thread, output and gradients`, () => on(engine, () => {
        const layer: Layer = (x, f, b) => winogradConvLayer(x, f, b, 'valid', true, pool);
        const gemm = engine === 'native' ? nativeGemm()! : undefined;
        try {
          setKernelThreads(1);
          const one = runLayer(layer, xs, fs);
          for (const threads of [2, 3]) {
            setKernelThreads(threads);
            // Until the native module's helper threads computed products (on a busy machine the caller may do them all).
            let helped = !gemm;
            for (let attempt = 0; attempt < 50 && (attempt === 0 || !helped); attempt++) {
              const before = gemm?.helperBlocks() ?? 0;
              const many = runLayer(layer, xs, fs);
              many.forEach((values, k) => assert.ok(values.every((v, i) => Object.is(v, one[k][i])), `${threads} threads: result ${k} differs`));
              helped ||= gemm!.helperBlocks() > before;
            }
            assert.ok(helped, `${threads} threads: the native module's helper threads never computed a product`);
          }
        } finally {
          setKernelThreads(undefined);
        }
      }));
    }
  }

  it('the 36 products of every pass go to the native product where it loaded; MODEL_LAB_NATIVE_CONV=0 and MODEL_LAB_NATIVE=0 keep them on wasm', {
    skip: linuxX64 ? false : 'the native product is built for linux-x64 only',
  }, () => {
    const gemm = nativeGemm();
    assert.ok(gemm, 'the native product must load on linux-x64 (npm run build; libopenblas0)');
    const original = gemm.sgemmBatch;
    let calls = 0;
    gemm.sgemmBatch = (...args) => {
      calls++;
      original.apply(gemm, args);
    };
    try {
      const layer: Layer = (x, f, b) => winogradConvLayer(x, f, b, 'valid', true, true);
      on('native', () => runLayer(layer, [2, 13, 13, 32], [3, 3, 32, 64]));
      // runLayer: the forward pass twice (the output, then under tf.grads), the input gradient, the filter gradient.
      assert.equal(calls, 4, 'one batch of 36 products per pass');
      on('wasm', () => runLayer(layer, [2, 13, 13, 32], [3, 3, 32, 64]));
      process.env[NATIVE_ENV_VAR] = '0';
      try {
        assert.equal(convProductEngine(), `wasm (${NATIVE_ENV_VAR}=0)`);
        runLayer(layer, [2, 13, 13, 32], [3, 3, 32, 64]);
      } finally {
        delete process.env[NATIVE_ENV_VAR];
      }
      assert.equal(calls, 4, 'no native call with either switch off');
    } finally {
      gemm.sgemmBatch = original;
    }
  });

  it('training runs a Winograd layer and its 2x2 max pooling as one kernel; MODEL_LAB_WINOGRAD_POOL=0 keeps them apart', async () => {
    const kernelsOfStep = () =>
      trainingStepKernels(tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [10, 10, 8], filters: 8, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4 }),
        ],
      }), [2, 10, 10, 8]);
    const fused = await kernelsOfStep();
    assert.ok(fused.includes(WINOGRAD_CONV_POOL) && !fused.includes('MaxPool') && !fused.includes(WINOGRAD_CONV), fused.join());
    process.env[WINOGRAD_POOL_ENV_VAR] = '0';
    try {
      const apart = await kernelsOfStep();
      assert.ok(!apart.includes(WINOGRAD_CONV_POOL) && apart.includes('MaxPool') && apart.includes(WINOGRAD_CONV), apart.join());
    } finally {
      delete process.env[WINOGRAD_POOL_ENV_VAR];
    }
  });

  it('applies to 3x3 stride-1 layers with >= 8 input channels, multiples of 4; runs its own kernels', async () => {
    assert.ok(winogradApplies([3, 3, 32, 64], [1, 1]));
    assert.ok(!winogradApplies([3, 3, 1, 32], [1, 1]), 'one input channel: im2col');
    assert.ok(!winogradApplies([3, 3, 32, 64], [2, 2]), 'stride 2');
    assert.ok(!winogradApplies([5, 5, 32, 64], [1, 1]), '5x5');
    assert.ok(!winogradApplies([3, 3, 30, 64], [1, 1]), 'channels not a multiple of 4');
    const x = tf.randomNormal([2, 8, 8, 8]);
    const { kernels } = await tf.profile(() => winogradConvLayer(x, tf.randomNormal([3, 3, 8, 8]), tf.zeros([8]), 'same', true));
    const names = kernels.map((k) => k.name);
    assert.ok(names.includes(WINOGRAD_INPUT) && names.includes(WINOGRAD_CONV), names.join());
    assert.ok(!names.includes('Conv2D'), names.join());
    x.dispose();
  });

  it('leaks no tensors, forward and backward', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 9, 8]);
      const f = tf.randomNormal([3, 3, 8, 4]);
      const b = tf.zeros([4]);
      tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(winogradConvLayer(xv, fv, bv, 'valid', true)))([x, f, b]);
    });
    assert.equal(tf.memory().numTensors, before);
  });
});
