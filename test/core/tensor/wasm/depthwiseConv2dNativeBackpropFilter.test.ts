import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { depthwiseConv2dNativeBackpropFilterKernel } from '../../../../src/core/tensor/wasm/depthwiseConv2dNativeBackpropFilter';
import { assertWasmMatchesCpu, convOutputShape, initWasmWithFixes, runOnWasm, values } from '../backendComparison';

function depthwiseFilterGradient(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number,
  pad: 'valid' | 'same',
  dilations = 1,
): () => tf.Tensor {
  return () => {
    const outShape = convOutputShape(xShape, filterShape, strides, pad, { dilations, depthwise: true });
    return tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: values(xShape, 1), dy: values(outShape, 2) },
      { strides: [strides, strides], pad, dilations: [dilations, dilations], filterShape }) as tf.Tensor;
  };
}

describe('wasm DepthwiseConv2dNativeBackpropFilter', () => {
  before(initWasmWithFixes);

  for (const pad of ['valid', 'same'] as const) {
    for (const strides of [1, 2]) {
      for (const multiplier of [1, 3]) {
        it(`matches cpu: pad ${pad}, stride ${strides}, channel multiplier ${multiplier}`, async () => {
          await assertWasmMatchesCpu(depthwiseFilterGradient([2, 9, 8, 4], [3, 3, 4, multiplier], strides, pad), 1e-5);
        });
      }
    }
  }

  it('matches cpu when the patches are built in several groups', async () => {
    // 2*5*5 rows x 3 channels x 4 bytes = 600 bytes per filter offset: groups of 3 offsets.
    const grouped = depthwiseConv2dNativeBackpropFilterKernel(1900);
    const attrs = { strides: [1, 1], pad: 'same', dilations: [1, 1], filterShape: [3, 3, 3, 2] };
    const inputs = () => ({ x: values([2, 5, 5, 3], 1), dy: values([2, 5, 5, 6], 2) });
    await assertWasmMatchesCpu(
      () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', inputs(), attrs) as tf.Tensor, 1e-5, 'grouped',
      () => runOnWasm(grouped, inputs(), attrs));
  });

  it('handles dilation 2 (equal to the gradient for the zero-dilated filter at its taps)', async () => {
    // The cpu kernel ignores dilations (tfjs gradients never pass any), so the reference is a
    // dilation-1 gradient for the filter with zeros between taps, read at the taps.
    const xShape: [number, number, number, number] = [2, 9, 9, 3];
    const dyShape = [2, 9, 9, 6];
    await assertWasmMatchesCpu(
      () => {
        const full = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: values(xShape, 1), dy: values(dyShape, 2) },
          { strides: [1, 1], pad: 'same', dilations: [1, 1], filterShape: [5, 5, 3, 2] }) as tf.Tensor;
        return tf.stridedSlice(full, [0, 0, 0, 0], [5, 5, 3, 2], [2, 2, 1, 1]);
      },
      1e-5, 'dilation 2',
      () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: values(xShape, 1), dy: values(dyShape, 2) },
        { strides: [1, 1], pad: 'same', dilations: [2, 2], filterShape: [3, 3, 3, 2] }) as tf.Tensor,
    );
  });

  it('gives the depthwise conv weight gradient through tf.grad', async () => {
    await assertWasmMatchesCpu(() => {
      const x = values([2, 7, 7, 3], 1) as tf.Tensor4D;
      const target = values([2, 4, 4, 6], 3);
      return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(x, f as tf.Tensor4D, 2, 'same'), target)))(
        values([3, 3, 3, 2], 2) as tf.Tensor4D);
    }, 1e-5);
  });
});
