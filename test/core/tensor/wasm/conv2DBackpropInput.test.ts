import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, convOutputShape, initWasmWithFixes, values } from '../backendComparison';

/** The input gradient for input `inputShape` (NHWC or NCHW), dy shaped like the forward output. */
function inputGradient(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number,
  pad: 'valid' | 'same' | number,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): () => tf.Tensor {
  return () => {
    const dyShape = convOutputShape(inputShape, filterShape, strides, pad, { dataFormat });
    return tf.engine().runKernel('Conv2DBackpropInput', { dy: values(dyShape, 2), filter: values(filterShape, 3) },
      { strides: [strides, strides], pad, dataFormat, inputShape }) as tf.Tensor;
  };
}

describe('wasm Conv2DBackpropInput fix', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('Conv2DBackpropInput'));
  });

  for (const pad of ['valid', 'same'] as const) {
    for (const strides of [1, 2, 3]) {
      it(`matches cpu: pad ${pad}, stride ${strides}`, async () => {
        await assertWasmMatchesCpu(inputGradient([2, 9, 8, 3], [3, 3, 3, 4], strides, pad), 1e-5);
      });
    }
  }

  it('matches cpu: non-square 5x2 filter, even input size, stride 2', async () => {
    await assertWasmMatchesCpu(inputGradient([2, 10, 7, 2], [5, 2, 2, 3], 2, 'same'), 1e-5);
  });

  it('matches cpu: explicit numeric padding, and padding wider than the filter', async () => {
    await assertWasmMatchesCpu(inputGradient([2, 6, 6, 2], [3, 3, 2, 3], 1, 1), 1e-5);
    await assertWasmMatchesCpu(inputGradient([1, 5, 5, 2], [2, 2, 2, 3], 1, 3), 1e-5);
  });

  it('matches cpu: channels-first data', async () => {
    await assertWasmMatchesCpu(inputGradient([2, 3, 8, 7], [3, 3, 3, 2], 2, 'same', 'NCHW'), 1e-5);
  });

  it('gives the conv2d input gradient through tf.grad', async () => {
    await assertWasmMatchesCpu(() => {
      const w = values([3, 3, 3, 5], 2) as tf.Tensor4D;
      const target = values([2, 4, 4, 5], 3);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w, 2, 'same'), target)))(values([2, 8, 8, 3], 1));
    }, 1e-5);
  });
});
