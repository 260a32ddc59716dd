import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convLayer, denseLayer } from '../../../../src/core/tensor/wasm/fusedLayers';
import { convProductEngine, denseProductEngine, NATIVE_CONV_ENV_VAR, NATIVE_ENV_VAR, nativeGemm } from '../../../../src/core/tensor/wasm/nativeGemm';
import { boundSimdKernels } from '../../../../src/core/tensor/wasm/simdKernels';
import { setKernelThreads } from '../../../../src/core/tensor/wasm/threads';
import { assertWasmMatchesCpu, computeOn, initWasmWithFixes, values } from '../backendComparison';

/**
 * The native (OpenBLAS) product behind dense layers: it loads on linux-x64 (the build compiles
 * it; .ci/run installs libopenblas0), matches tfjs's cpu backend within float rounding forward
 * and backward on odd shapes, gives bit-identical results for 1, 2 and 3 threads with its helper
 * threads taking part, and `MODEL_LAB_NATIVE=0` puts the wasm product back.
 */
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

describe('native product for dense layers', { skip: linuxX64 ? false : 'the native product is built for linux-x64 only' }, () => {
  const saved = process.env[NATIVE_ENV_VAR];
  before(async () => {
    delete process.env[NATIVE_ENV_VAR];
    await initWasmWithFixes();
  });
  after(() => {
    setKernelThreads(undefined);
    if (saved === undefined) delete process.env[NATIVE_ENV_VAR];
    else process.env[NATIVE_ENV_VAR] = saved;
  });

  it('loads (dist/openblasGemm.node and the system OpenBLAS); MODEL_LAB_NATIVE=0 turns it off', () => {
    assert.ok(nativeGemm(), denseProductEngine());
    assert.match(denseProductEngine(), /^native: .*openblas/i);
    process.env[NATIVE_ENV_VAR] = '0';
    try {
      assert.equal(nativeGemm(), undefined);
      assert.match(denseProductEngine(), /^wasm \(MODEL_LAB_NATIVE=0\)/);
    } finally {
      delete process.env[NATIVE_ENV_VAR];
    }
  });

  /** A dense layer's output and the gradients of sum(out * r) with respect to x, w and b. */
  const layerAndGrads = (m: number, k: number, n: number, relu: boolean) => () => {
    const [x, w, b] = [values([m, k], 1), values([k, n], 2), values([n], 3)];
    const layer = (xv: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor) => (tf.getBackend() === 'wasm'
      ? denseLayer(xv, wv, bv, relu)
      : ((z: tf.Tensor) => (relu ? tf.relu(z) : z))(tf.add(tf.matMul(xv as tf.Tensor2D, wv as tf.Tensor2D), bv)));
    const out = layer(x, w, b);
    const r = values(out.shape, 4);
    return [out, ...tf.grads((xv: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, wv, bv), r)))([x, w, b])];
  };

  // Odd sizes, one block and several (products from 2^20 multiply-adds are cut into blocks of 128).
  for (const [m, k, n] of [[1, 1, 1], [37, 13, 29], [130, 65, 10], [300, 97, 257], [64, 784, 33]]) {
    for (const relu of [true, false]) {
      it(`dense ${m}x${k} -> ${n} (${relu ? 'ReLU' : 'linear'}), forward and gradients, matches the cpu backend`, async () => {
        await assertWasmMatchesCpu(layerAndGrads(m, k, n, relu), 1e-5, `${m}x${k}x${n}`);
      });
    }
  }

  it('bit-identical for 1, 2 and 3 threads, forward and gradients, with helper threads taking part', async () => {
    const gemm = nativeGemm()!;
    const compute = layerAndGrads(300, 200, 520, true);
    setKernelThreads(1);
    const one = await computeOn('wasm', compute);
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      // Until helpers computed blocks during a run (on a busy machine the caller may do them all).
      let helped = false;
      for (let attempt = 0; attempt < 100 && !helped; attempt++) {
        const before = gemm.helperBlocks();
        const many = await computeOn('wasm', compute);
        many.values.forEach((v, k) => assert.ok(v.every((e, i) => Object.is(e, one.values[k][i])), `${threads} threads: output ${k} differs from 1 thread`));
        helped = gemm.helperBlocks() > before;
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(helped, `${threads} threads: helper threads never computed a block`);
    }
  });

  it('refuses operands outside the wasm memory', () => {
    const gemm = nativeGemm()!;
    const heap = new Float32Array(16);
    assert.throws(() => gemm.sgemm(heap, 0, 0, 4, 4, 4, 0, 4, 8, 4, 0, 4, -1, 0, 1), /outside the heap/);
    assert.throws(() => gemm.sgemm(heap, 0, 0, 0, 4, 4, 0, 4, 0, 4, 0, 4, -1, 0, 1), /must be positive/);
    // A batch: its last product's operands must lie in the heap too (2x2 products, 3 of them, 4 floats apart).
    assert.doesNotThrow(() => gemm.sgemmBatch(heap, 0, 0, 2, 2, 2, 0, 2, 4, 0, 2, 0, 4, 2, 4, 3, 1));
    assert.throws(() => gemm.sgemmBatch(heap, 0, 0, 2, 2, 2, 0, 2, 4, 0, 2, 0, 4, 2, 4, 4, 1), /outside the heap/);
    assert.throws(() => gemm.sgemmBatch(heap, 0, 0, 2, 2, 2, 0, 2, 4, 0, 2, 0, 4, 2, 4, 0, 1), /must be positive/);
    assert.throws(() => gemm.sgemmBatch(heap, 0, 0, 2, 2, 2, 0, 2, -4, 0, 2, 0, 4, 2, 4, 2, 1), /must not be negative/);
  });

  it('reads and writes the backend memory in place after it grew', async () => {
    const memory = boundSimdKernels(tf.backend() as BackendWasm).memory;
    const run = () => tf.tidy(() => denseLayer(values([40, 50], 5), values([50, 30], 6), values([30], 7), false).dataSync().slice());
    const first = run();
    const bytes = memory.buffer.byteLength;
    // Growing the memory gives it a new buffer object (same shared memory): the view is renewed.
    const big = tf.zeros([bytes / 4]);
    assert.ok(memory.buffer.byteLength > bytes, 'the memory did not grow');
    const second = run();
    tf.dispose(big);
    assert.ok(second.every((e, i) => Object.is(e, first[i])), 'the product changed after the memory grew');
  });
});

/**
 * The im2col conv layers' products (forward, input and filter gradients) on the native product
 * (`MODEL_LAB_NATIVE_CONV`; the Winograd layers' 36 products: winogradConv.test.ts): within float
 * rounding of tfjs's cpu backend, bit-identical for 1, 2 and 3 threads, and the switch puts the
 * wasm product back.
 */
describe('native product for im2col conv layers', { skip: linuxX64 ? false : 'the native product is built for linux-x64 only' }, () => {
  const saved = [process.env[NATIVE_ENV_VAR], process.env[NATIVE_CONV_ENV_VAR]];
  before(async () => {
    delete process.env[NATIVE_ENV_VAR];
    delete process.env[NATIVE_CONV_ENV_VAR];
    await initWasmWithFixes();
  });
  after(() => {
    setKernelThreads(undefined);
    [NATIVE_ENV_VAR, NATIVE_CONV_ENV_VAR].forEach((name, k) => {
      if (saved[k] === undefined) delete process.env[name];
      else process.env[name] = saved[k];
    });
  });

  type Case = { x: number[]; f: number[]; strides: [number, number]; pad: 'valid' | 'same' };
  /** The layer's output and the gradients of sum(out * r) with respect to x, the filter and the bias (tfjs's own conv2d on cpu). */
  const layerAndGrads = (c: Case, relu: boolean) => () => {
    const [x, f, b] = [values(c.x, 1), values(c.f, 2), values([c.f[3]], 3)];
    const layer = (xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => (tf.getBackend() === 'wasm'
      ? convLayer(xv, fv, bv, { strides: c.strides, pad: c.pad, relu })
      : ((z: tf.Tensor) => (relu ? tf.relu(z) : z))(tf.add(tf.conv2d(xv as tf.Tensor4D, fv as tf.Tensor4D, c.strides, c.pad), bv)));
    const out = layer(x, f, b);
    const r = values(out.shape, 4);
    return [out, ...tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, fv, bv), r)))([x, f, b])];
  };
  const cases: Case[] = [
    { x: [3, 9, 11, 1], f: [3, 3, 1, 5], strides: [1, 1], pad: 'valid' },
    { x: [2, 13, 10, 7], f: [5, 3, 7, 6], strides: [2, 1], pad: 'same' },
    { x: [8, 26, 26, 8], f: [3, 3, 8, 32], strides: [1, 1], pad: 'valid' }, // products of several blocks
  ];

  for (const c of cases) {
    it(`conv x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} ${c.pad} strides ${c.strides}: forward and gradients match the cpu backend, on the native product`, async () => {
      const gemm = nativeGemm()!;
      const original = gemm.sgemm;
      let calls = 0;
      gemm.sgemm = (...args) => {
        calls++;
        original.apply(gemm, args);
      };
      try {
        assert.equal(convProductEngine(), 'native');
        await assertWasmMatchesCpu(layerAndGrads(c, true), 1e-5, JSON.stringify(c));
        // Forward twice (the output, then under tf.grads), the input and the filter gradients.
        assert.equal(calls, 4, 'every product of the layer on the native product');
        process.env[NATIVE_CONV_ENV_VAR] = '0';
        assert.equal(convProductEngine(), `wasm (${NATIVE_CONV_ENV_VAR}=0)`);
        await assertWasmMatchesCpu(layerAndGrads(c, true), 1e-5, JSON.stringify(c));
        assert.equal(calls, 4, `${NATIVE_CONV_ENV_VAR}=0: no native product`);
      } finally {
        gemm.sgemm = original;
        delete process.env[NATIVE_CONV_ENV_VAR];
      }
    });
  }

  it('bit-identical for 1, 2 and 3 threads, forward and gradients, with helper threads taking part', async () => {
    const gemm = nativeGemm()!;
    const compute = layerAndGrads(cases[2], true);
    setKernelThreads(1);
    const one = await computeOn('wasm', compute);
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      let helped = false;
      for (let attempt = 0; attempt < 50 && !helped; attempt++) {
        const before = gemm.helperBlocks();
        const many = await computeOn('wasm', compute);
        many.values.forEach((v, k) => assert.ok(v.every((e, i) => Object.is(e, one.values[k][i])), `${threads} threads: output ${k} differs from 1 thread`));
        helped = gemm.helperBlocks() > before;
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(helped, `${threads} threads: helper threads never computed a block`);
    }
  });
});
