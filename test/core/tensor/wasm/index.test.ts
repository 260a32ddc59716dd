import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernelFixes, unregisterWasmKernelFixes, WASM_KERNEL_FIXES } from '../../../../src/core/tensor/wasm';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { initWasmWithFixes } from '../backendComparison';

describe('registering the wasm kernel fixes', () => {
  before(initWasmWithFixes);

  it('covers every training kernel the cpu backend has and stock wasm lacks', () => {
    const cpu = new Set(tf.getKernelsForBackend('cpu').map((k) => k.kernelName));
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    const stillMissing = [...cpu].filter((k) => !wasm.has(k));
    // What remains is complex numbers, FFT, ragged/string ops, Einsum and Draw: none is used in
    // training the model types this project builds (Einsum has no gradient in tfjs anyway).
    assert.deepEqual(stillMissing.sort(), [
      'Complex', 'ComplexAbs', 'Draw', 'Einsum', 'FFT', 'IFFT', 'Imag', 'RaggedGather', 'RaggedRange',
      'RaggedTensorToTensor', 'Real', 'StaticRegexReplace',
    ]);
  });

  it('can be undone and redone; stock kernels come back exactly', () => {
    const patched = tf.getKernel('BatchMatMul', 'wasm');
    unregisterWasmKernelFixes();
    const stock = tf.getKernel('BatchMatMul', 'wasm');
    assert.notEqual(stock, patched);
    assert.equal(isFixRegistered('BatchMatMul'), false);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    // Stock wasm still computes a transposed matmul correctly (just slowly).
    const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.eye(2), true, false);
    assert.deepEqual(product.arraySync(), [[1, 3], [2, 4]]);
    product.dispose();

    assert.deepEqual(registerWasmKernelFixes(), WASM_KERNEL_FIXES.map((f) => f.kernelName));
    assert.deepEqual(registerWasmKernelFixes(), WASM_KERNEL_FIXES.map((f) => f.kernelName));
    for (const fix of WASM_KERNEL_FIXES) assert.ok(isFixRegistered(fix.kernelName), fix.kernelName);
    unregisterWasmKernelFixes();
    assert.equal(tf.getKernel('BatchMatMul', 'wasm'), stock);
    registerWasmKernelFixes();
  });
});
