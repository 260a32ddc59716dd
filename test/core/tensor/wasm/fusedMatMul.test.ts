import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm _FusedMatMul fix', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('_FusedMatMul'));
  });

  const activations: tf.fused.Activation[] = ['linear', 'relu', 'sigmoid', 'elu'];
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
    for (const activation of activations) {
      it(`matches cpu: transposeA=${tA} transposeB=${tB} bias + ${activation}`, async () => {
        await assertWasmMatchesCpu(() => tf.fused.matMul({
          a: values(tA ? [9, 6] : [6, 9], 1),
          b: values(tB ? [4, 9] : [9, 4], 2),
          transposeA: tA,
          transposeB: tB,
          bias: values([4], 3),
          activation,
        }), 1e-5, `${tA}/${tB}/${activation}`);
      });
    }
  }

  it('matches cpu batched, without bias', async () => {
    await assertWasmMatchesCpu(() => tf.fused.matMul({
      a: values([3, 7, 5], 1), b: values([3, 6, 7], 2), transposeA: true, transposeB: true, activation: 'relu',
    }), 1e-5);
  });
});
