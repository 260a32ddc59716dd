import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { checkTrainingMemory, estimateTrainingMemory } from '../../../src/core/train/memoryEstimate';
import { experiment } from './fixtures';

test('counts weights with gradients and optimizer slots, the data tensors and one batch of activations', () => {
  const layers = [{ type: 'dense' as const, units: 32, activation: 'relu' as const }, { type: 'dense' as const, units: 10 }];
  const e = estimateTrainingMemory(experiment(layers, { batchSize: 16 }), { trainCount: 100, testCount: 20, exampleShape: [64] });
  const params = 65 * 32 + 33 * 10;
  assert.equal(e?.model, 4 * params * (2 + 2), 'Adam: weights, gradients, two moments');
  assert.equal(e?.data, 120 * (4 * 64 + 4));
  // Evaluation batches (256) are larger than this training batch.
  assert.equal(e?.activations, 4 * (32 + 10) * 256 * 2);
  assert.equal(e?.largestLayer?.index, 0);
  const sgd = estimateTrainingMemory(experiment(layers, { optimizer: 'sgd' }), { trainCount: 100, testCount: 20, exampleShape: [64] });
  assert.equal(sgd?.model, 4 * params * 2);
});

test('the full-size Fashion-MNIST CNN fits the wasm backend; a model of 4 billion weights does not', () => {
  const cnn = experiment([
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 },
    { type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' }, { type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' },
  ], { batchSize: 128 });
  const fashion = { trainCount: 60000, testCount: 10000, exampleShape: [28, 28, 1] };
  checkTrainingMemory(estimateTrainingMemory(cnn, fashion), 'wasm');
  const wide = experiment([{ type: 'dense', units: 65536 }, { type: 'dense', units: 65536 }, { type: 'dense', units: 10 }]);
  assert.throws(
    () => checkTrainingMemory(estimateTrainingMemory(wide, { trainCount: 100, testCount: 20, exampleShape: [64] }), 'wasm'),
    (e: unknown) => e instanceof UserError && e.pointer === '/model/layers/1' && /needs about 64\.\d GiB .* more than the wasm backend can address \(4 GiB\); make the model smaller/.test(e.message),
  );
  // Too much data points at data.limit.
  assert.throws(
    () => checkTrainingMemory(estimateTrainingMemory(cnn, { ...fashion, trainCount: 2_000_000 }), 'wasm'),
    (e: unknown) => e instanceof UserError && e.pointer === '/data/limit',
  );
});
