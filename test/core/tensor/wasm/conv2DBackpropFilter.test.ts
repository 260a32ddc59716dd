import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertWasmMatchesCpu, convOutputShape, initWasmWithFixes, values } from '../backendComparison';

/** The filter gradient for input `xShape`, with dy shaped like the forward conv's output. */
function filterGradient(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number,
  pad: 'valid' | 'same' | number,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): () => tf.Tensor {
  return () => {
    const dyShape = convOutputShape(xShape, filterShape, strides, pad, { dataFormat });
    return tf.engine().runKernel('Conv2DBackpropFilter', { x: values(xShape, 1), dy: values(dyShape, 2) },
      { strides: [strides, strides], pad, dataFormat, filterShape }) as tf.Tensor;
  };
}

describe('wasm Conv2DBackpropFilter', () => {
  before(initWasmWithFixes);

  for (const pad of ['valid', 'same'] as const) {
    for (const strides of [1, 2, 3]) {
      it(`matches cpu: pad ${pad}, stride ${strides}`, async () => {
        await assertWasmMatchesCpu(filterGradient([2, 9, 8, 3], [3, 3, 3, 4], strides, pad), 1e-5);
      });
    }
  }

  it('matches cpu: non-square 5x2 filter, single input channel', async () => {
    await assertWasmMatchesCpu(filterGradient([3, 10, 7, 1], [5, 2, 1, 6], 1, 'same'), 1e-5);
  });

  it('matches cpu: explicit numeric padding', async () => {
    await assertWasmMatchesCpu(filterGradient([2, 6, 6, 2], [3, 3, 2, 3], 1, 1), 1e-5);
  });

  it('matches cpu: channels-first data', async () => {
    await assertWasmMatchesCpu(filterGradient([2, 3, 8, 7], [3, 3, 3, 2], 2, 'same', 'NCHW'), 1e-5);
  });

  it('matches cpu with many channels', async () => {
    // Small batch: the cpu reference kernel is very slow (~1 M multiply-adds per second).
    await assertWasmMatchesCpu(filterGradient([1, 13, 13, 16], [3, 3, 16, 32], 1, 'valid'), 1e-4);
  });

  it('gives the conv2d weight gradient through tf.grad', async () => {
    await assertWasmMatchesCpu(() => {
      const x = values([2, 8, 8, 3], 1) as tf.Tensor4D;
      const w = values([3, 3, 3, 5], 2) as tf.Tensor4D;
      const target = values([2, 4, 4, 5], 3);
      return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 2, 'same'), target)))(w);
    }, 1e-5);
  });
});
