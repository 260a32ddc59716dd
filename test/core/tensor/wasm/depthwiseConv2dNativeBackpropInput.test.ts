import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertWasmMatchesCpu, convOutputShape, dilateFilter, initWasmWithFixes, values } from '../backendComparison';

function depthwiseInputGradient(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number,
  pad: 'valid' | 'same',
  dilations = 1,
): () => tf.Tensor {
  return () => {
    const outShape = convOutputShape(inputShape, filterShape, strides, pad, { dilations, depthwise: true });
    return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: values(outShape, 2), filter: values(filterShape, 3) },
      { strides: [strides, strides], pad, dilations: [dilations, dilations], inputShape }) as tf.Tensor;
  };
}

describe('wasm DepthwiseConv2dNativeBackpropInput', () => {
  before(initWasmWithFixes);

  for (const pad of ['valid', 'same'] as const) {
    for (const strides of [1, 2, 3]) {
      for (const multiplier of [1, 2]) {
        it(`matches cpu: pad ${pad}, stride ${strides}, channel multiplier ${multiplier}`, async () => {
          await assertWasmMatchesCpu(depthwiseInputGradient([2, 10, 9, 3], [3, 3, 3, multiplier], strides, pad), 1e-5);
        });
      }
    }
  }

  it('handles dilation 2 with a non-square filter (equal to the zero-dilated filter at dilation 1)', async () => {
    // The cpu kernel ignores dilations (tfjs gradients never pass any); a dilated filter is
    // the same convolution as the filter with zeros inserted between its taps.
    const inputShape: [number, number, number, number] = [1, 9, 11, 2];
    const dyShape = [1, 9, 11, 4];
    const filter = () => values([3, 2, 2, 2], 3) as tf.Tensor4D;
    await assertWasmMatchesCpu(
      () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: values(dyShape, 2), filter: dilateFilter(filter(), 2) },
        { strides: [1, 1], pad: 'same', dilations: [1, 1], inputShape }) as tf.Tensor,
      1e-5, 'dilation 2',
      () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: values(dyShape, 2), filter: filter() },
        { strides: [1, 1], pad: 'same', dilations: [2, 2], inputShape }) as tf.Tensor,
    );
  });

  it('gives the depthwise conv input gradient through tf.grad', async () => {
    await assertWasmMatchesCpu(() => {
      const f = values([3, 3, 3, 2], 2) as tf.Tensor4D;
      const target = values([2, 4, 4, 6], 3);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, f, 2, 'same'), target)))(
        values([2, 7, 7, 3], 1) as tf.Tensor4D);
    }, 1e-5);
  });
});
