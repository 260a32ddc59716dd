import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

/** MaxPool forward: the threaded SIMD kernel for tiling windows, the stock kernel otherwise; exact either way. */
describe('wasm MaxPool (SIMD, tiling windows)', () => {
  before(initWasmWithFixes);

  const pool = (shape: number[], size: number | [number, number], strides: number | [number, number], pad: 'valid' | 'same') => () =>
    tf.maxPool(values(shape, 5) as tf.Tensor4D, size, strides, pad);

  it('matches cpu exactly on 2x2/2 windows (even and odd sizes, several channel counts)', async () => {
    await assertWasmMatchesCpu(pool([3, 26, 26, 32], 2, 2, 'valid'), 0);
    await assertWasmMatchesCpu(pool([2, 11, 11, 8], 2, 2, 'valid'), 0);
    await assertWasmMatchesCpu(pool([1, 7, 9, 4], [3, 2], [3, 2], 'valid'), 0);
    await assertWasmMatchesCpu(pool([2, 8, 6, 12], 2, 2, 'same'), 0);
  });

  it('matches cpu where the stock kernel runs (overlapping windows, padding, channels not a multiple of 4)', async () => {
    await assertWasmMatchesCpu(pool([2, 9, 9, 8], 3, 2, 'valid'), 0);
    await assertWasmMatchesCpu(pool([2, 9, 9, 8], 2, 2, 'same'), 0);
    await assertWasmMatchesCpu(pool([2, 8, 8, 6], 2, 2, 'valid'), 0);
  });
});
