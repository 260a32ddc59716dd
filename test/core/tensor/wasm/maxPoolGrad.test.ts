import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm MaxPoolGrad and MaxPool (SIMD)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernels', () => {
    assert.ok(isFixRegistered('MaxPoolGrad'));
    assert.ok(isFixRegistered('MaxPool'));
  });

  // Forward: tiling windows on the SIMD kernel, the rest on the stock kernel; both exact.
  for (const [shape, filter, stride, pad] of [
    [[2, 6, 6, 8], 2, 2, 'valid'], [[3, 7, 5, 8], 2, 2, 'valid'], [[2, 9, 6, 4], 3, 3, 'valid'],
    [[2, 7, 5, 8], 2, 2, 'same'], [[2, 7, 7, 6], 3, 2, 'same'], [[3, 7, 5, 5], 2, 2, 'valid'],
  ] as Array<[[number, number, number, number], number, number, 'valid' | 'same']>) {
    it(`MaxPool matches cpu: ${JSON.stringify(shape)} ${filter}x${filter} stride ${stride} ${pad}`, async () => {
      await assertWasmMatchesCpu(() => tf.maxPool(values(shape, 3) as tf.Tensor4D, filter, stride, pad), 0, 'maxPool');
      await assertWasmMatchesCpu(() => tf.maxPool(tf.relu(values(shape, 4)) as tf.Tensor4D, filter, stride, pad), 0, 'maxPool after ReLU');
    });
  }

  /** Gradient of sum(maxPool(x) * w): w makes every output position's gradient distinct. */
  const poolGrad = (shape: [number, number, number, number], filter: number, stride: number, pad: 'valid' | 'same', relu = false) => () => {
    const x = relu ? tf.relu(values(shape, 1)) : values(shape, 1);
    const w = values(tf.maxPool(x as tf.Tensor4D, filter, stride, pad).shape, 2);
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, filter, stride, pad), w)))(x);
  };
  // Overlapping windows add several gradients into one input; cpu adds them in another order.
  const cases: Array<{ label: string; run: () => tf.Tensor; tolerance?: number }> = [
    { label: '2x2 stride 2, channels a multiple of 4', run: poolGrad([2, 6, 6, 8], 2, 2, 'valid') },
    { label: '2x2 stride 2, odd size and 5 channels (vector + scalar lanes)', run: poolGrad([3, 7, 5, 5], 2, 2, 'valid') },
    { label: '2x2 stride 2, odd size, 8 channels (tiled path; last row and column get no gradient)', run: poolGrad([2, 7, 5, 8], 2, 2, 'valid') },
    { label: '3x3 stride 3 (tiled path, larger windows)', run: poolGrad([2, 9, 6, 4], 3, 3, 'valid') },
    { label: '3x3 stride 2 same padding (overlapping windows)', run: poolGrad([2, 7, 7, 6], 3, 2, 'same'), tolerance: 1e-6 },
    { label: '3x3 stride 1 same padding', run: poolGrad([1, 5, 6, 3], 3, 1, 'same'), tolerance: 1e-6 },
    { label: '2x2 stride 2 same padding, odd size, 8 channels (windows past the edge: not the tiled path)', run: poolGrad([2, 7, 5, 8], 2, 2, 'same') },
    { label: 'ties after ReLU (zeros): the first maximum gets the gradient', run: poolGrad([2, 6, 6, 4], 2, 2, 'valid', true) },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(c.run, c.tolerance ?? 0, c.label);
    });
  }
});
