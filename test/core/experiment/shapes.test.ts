import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferShapes, layerOutputShape } from '../../../src/core/experiment/shapes';
import type { LayerConfig } from '../../../src/core/experiment/types';

const out = (cfg: LayerConfig, input: number[]): unknown => layerOutputShape(cfg, input);

test('dense: replaces the last axis (Keras semantics on rank > 1)', () => {
  assert.deepEqual(out({ type: 'dense', units: 10 }, [64]), [10]);
  assert.deepEqual(out({ type: 'dense', units: 7 }, [12, 32]), [12, 7]);
});

test('conv2d: valid and same padding, strides, kernel pairs', () => {
  assert.deepEqual(out({ type: 'conv2d', filters: 32, kernelSize: 3 }, [28, 28, 1]), [26, 26, 32]);
  assert.deepEqual(out({ type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' }, [28, 28, 1]), [28, 28, 8]);
  assert.deepEqual(out({ type: 'conv2d', filters: 8, kernelSize: 3, strides: 2 }, [28, 28, 3]), [13, 13, 8]);
  assert.deepEqual(out({ type: 'conv2d', filters: 8, kernelSize: 3, strides: 2, padding: 'same' }, [28, 28, 3]), [14, 14, 8]);
  assert.deepEqual(out({ type: 'conv2d', filters: 4, kernelSize: [5, 3], strides: [1, 2] }, [10, 10, 1]), [6, 4, 4]);
  assert.equal(out({ type: 'conv2d', filters: 4, kernelSize: 3 }, [128]), 'conv2d needs a 3-D input [h, w, c], got [128]');
  assert.equal(
    out({ type: 'conv2d', filters: 4, kernelSize: 5 }, [4, 4, 1]),
    'conv2d kernel 5x5 does not fit its 4x4 input with padding "valid" (output would be [0, 0, 4])',
  );
});

test('maxPooling2d: default 2x2 window with stride = pool size; explicit strides and same padding', () => {
  assert.deepEqual(out({ type: 'maxPooling2d' }, [26, 26, 32]), [13, 13, 32]);
  assert.deepEqual(out({ type: 'maxPooling2d', poolSize: 2 }, [7, 7, 4]), [3, 3, 4]);
  assert.deepEqual(out({ type: 'maxPooling2d', poolSize: 2, padding: 'same' }, [7, 7, 4]), [4, 4, 4]);
  assert.deepEqual(out({ type: 'maxPooling2d', poolSize: 3, strides: 1 }, [7, 7, 4]), [5, 5, 4]);
  assert.equal(out({ type: 'maxPooling2d' }, [8, 8]), 'maxPooling2d needs a 3-D input [h, w, c], got [8, 8]');
  assert.match(String(out({ type: 'maxPooling2d', poolSize: 3 }, [2, 2, 1])), /window 3x3 does not fit its 2x2 input/);
});

test('flatten, dropout, batchNormalization', () => {
  assert.deepEqual(out({ type: 'flatten' }, [5, 5, 16]), [400]);
  assert.deepEqual(out({ type: 'flatten' }, [9]), [9]);
  assert.deepEqual(out({ type: 'dropout', rate: 0.5 }, [3, 4]), [3, 4]);
  assert.deepEqual(out({ type: 'batchNormalization' }, [6, 6, 2]), [6, 6, 2]);
});

test('embedding, positionalEncoding, transformerEncoder, globalAveragePooling1d', () => {
  assert.deepEqual(out({ type: 'embedding', inputDim: 100, outputDim: 16 }, [64]), [64, 16]);
  assert.equal(out({ type: 'embedding', outputDim: 16 }, [8, 8, 1]), 'embedding needs a 1-D input of token ids [length], got [8, 8, 1]');
  assert.deepEqual(out({ type: 'transformerEncoder', numHeads: 4, ffDim: 32 }, [64, 16]), [64, 16]);
  assert.deepEqual(out({ type: 'transformerEncoder', numHeads: 3, ffDim: 32 }, [64, 16]), {
    message: 'transformerEncoder: the input dimension 16 is not divisible by numHeads 3',
    param: 'numHeads',
  });
  // numHeads defaults to 2, like the model builder.
  assert.equal(typeof out({ type: 'transformerEncoder', ffDim: 8 }, [4, 5]), 'object');
  assert.equal(out({ type: 'transformerEncoder', ffDim: 8 }, [16]), 'transformerEncoder needs a 2-D input [length, dim], got [16]');
  assert.deepEqual(out({ type: 'positionalEncoding' }, [64, 16]), [64, 16]);
  assert.equal(out({ type: 'positionalEncoding' }, [64]), 'positionalEncoding needs a 2-D input [length, dim], got [64]');
  assert.deepEqual(out({ type: 'globalAveragePooling1d' }, [64, 16]), [16]);
  assert.equal(out({ type: 'globalAveragePooling1d' }, [16]), 'globalAveragePooling1d needs a 2-D input [length, dim], got [16]');
});

test('inferShapes: a CNN chain, with names and the first problem', () => {
  const cnn: LayerConfig[] = [
    { name: 'c1', type: 'conv2d', filters: 16, kernelSize: 3 },
    { type: 'maxPooling2d' },
    { name: 'c2', type: 'conv2d', filters: 32, kernelSize: 3 },
    { type: 'maxPooling2d' },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ];
  const r = inferShapes([28, 28, 1], cnn);
  assert.equal(r.problem, undefined);
  assert.deepEqual(r.layers.map((l) => [l.name, l.output]), [
    ['c1', [26, 26, 16]],
    ['maxPooling2d_1', [13, 13, 16]],
    ['c2', [11, 11, 32]],
    ['maxPooling2d_3', [5, 5, 32]],
    ['flatten_4', [800]],
    ['dense_5', [10]],
  ]);
  assert.deepEqual(r.output, [10]);

  // 8x8 -> conv 6x6 -> pool 3x3 -> conv 1x1 -> a 2x2 pool no longer fits.
  const tooDeep = inferShapes([8, 8, 1], cnn);
  assert.equal(tooDeep.layers.length, 3);
  assert.deepEqual(tooDeep.output, [1, 1, 32]);
  assert.equal(tooDeep.problem?.layerIndex, 3);
  assert.equal(tooDeep.problem?.pointer, '/model/layers/3');
  assert.equal(tooDeep.problem?.message, 'maxPooling2d window 2x2 does not fit its 1x1 input with padding "valid" (output would be [0, 0, 32])');

  const text = inferShapes([64], [{ type: 'embedding', outputDim: 12 }, { type: 'transformerEncoder', numHeads: 5, ffDim: 8 }]);
  assert.equal(text.problem?.pointer, '/model/layers/1/numHeads');
});
