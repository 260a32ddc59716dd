import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm Sum fix (leading axes as a product with ones)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('Sum'));
  });

  const cases: Array<{ label: string; shape: number[]; axis: number | number[]; keepDims?: boolean }> = [
    { label: 'conv bias gradient: [N,H,W,C] over [0,1,2]', shape: [4, 6, 5, 7], axis: [0, 1, 2] },
    { label: 'same, keepDims', shape: [4, 6, 5, 7], axis: [0, 1, 2], keepDims: true },
    { label: 'dense bias gradient: axis 0', shape: [33, 10], axis: 0 },
    { label: 'unordered and negative axes [1, -4]', shape: [3, 4, 5, 2], axis: [1, -4] },
    { label: 'inner axis (stock)', shape: [6, 9], axis: -1 },
    { label: 'middle axis (stock)', shape: [3, 4, 5], axis: 1 },
    { label: 'all axes (stock)', shape: [3, 4, 5], axis: [0, 1, 2] },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(() => tf.sum(values(c.shape, 1), c.axis, c.keepDims), 1e-5, c.label);
    });
  }

  it('matches cpu on int32 data (stock)', async () => {
    await assertWasmMatchesCpu(() => tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), 0));
  });
});
