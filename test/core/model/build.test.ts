import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../../src/core/errors';
import type { LayerConfig } from '../../../src/core/experiment/types';
import { buildModel } from '../../../src/core/model/build';
import { modelLayers } from '../../../src/core/model/flops';
import { useBackend } from '../train/fixtures';

before(async () => {
  await useBackend();
});

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('buildModel', () => {
  it('builds the layers in order with config names or type_index names', async () => {
    const layers: LayerConfig[] = [
      { name: 'fc1', type: 'dense', units: 8, activation: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'batchNormalization' },
      { name: 'out', type: 'dense', units: 3, activation: 'softmax' },
    ];
    const m = await buildModel({ layers }, { exampleShape: [5], inputDtype: 'float32', seed: 1 });
    assert.deepEqual(modelLayers(m).map((l) => l.name), ['fc1', 'dropout_1', 'batchNormalization_2', 'out']);
    assert.deepEqual(m.outputs[0].shape, [null, 3]);
    const p = m.predict(tf.ones([2, 5])) as tf.Tensor;
    const sums = (tf.sum(p, 1).arraySync() as number[]).map((s) => Math.round(s * 1e5) / 1e5);
    assert.deepEqual(sums, [1, 1]);
  });

  it('initialises reproducibly from the seed', async () => {
    const layers: LayerConfig[] = [{ type: 'dense', units: 4 }, { type: 'dense', units: 2 }];
    const opts = { exampleShape: [3], inputDtype: 'float32' as const, seed: 11 };
    const a = await buildModel({ layers }, opts);
    const b = await buildModel({ layers }, opts);
    const c = await buildModel({ layers }, { ...opts, seed: 12 });
    assert.deepEqual(weightsOf(a), weightsOf(b));
    assert.notDeepEqual(weightsOf(a), weightsOf(c));
    // Two layers of the same shape with the same model seed still differ.
    const d = await buildModel({ layers: [{ type: 'dense', units: 3 }, { type: 'dense', units: 3 }] }, opts);
    assert.notDeepEqual(weightsOf(d)[0], weightsOf(d)[2]);
  });

  it('builds conv and text models with int32 token input', async () => {
    const cnn = await buildModel(
      {
        layers: [
          { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 4 },
        ],
      },
      { exampleShape: [6, 6, 1], inputDtype: 'float32', seed: 1 },
    );
    assert.deepEqual(cnn.outputs[0].shape, [null, 4]);
    const text = await buildModel(
      {
        layers: [
          { type: 'embedding', outputDim: 8 },
          { type: 'transformerEncoder', numHeads: 2, ffDim: 16 },
          { type: 'globalAveragePooling1d' },
          { type: 'dense', units: 2, activation: 'softmax' },
        ],
      },
      { exampleShape: [7], inputDtype: 'int32', seed: 1, vocabSize: 30 },
    );
    assert.equal(text.inputs[0].dtype, 'int32');
    assert.deepEqual(modelLayers(text)[0].getConfig().inputDim, 30);
    const out = text.predict(tf.tensor2d([[1, 2, 3, 4, 5, 0, 0]], [1, 7], 'int32')) as tf.Tensor;
    assert.deepEqual(out.shape, [1, 2]);
  });

  it('reports bad layer configs as UserErrors that point at the layer', async () => {
    const opts = { exampleShape: [64], inputDtype: 'float32' as const, seed: 1 };
    const fails = async (layers: LayerConfig[], pointer: string) =>
      assert.rejects(buildModel({ layers }, opts), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.equal(e.pointer, pointer);
        return true;
      });
    await fails([{ type: 'dense', units: 4 }, { type: 'conv2d', filters: 2, kernelSize: 3 }], '/model/layers/1');
    await fails([{ type: 'dense' }], '/model/layers/0/units');
    await fails([{ type: 'bogus' } as unknown as LayerConfig], '/model/layers/0/type');
    await fails([{ type: 'dropout', rate: 1.5 }], '/model/layers/0/rate');
    await fails([{ type: 'embedding', outputDim: 4 }], '/model/layers/0/inputDim');
    await assert.rejects(
      buildModel({ inputShape: [10], layers: [{ type: 'dense', units: 2 }] }, opts),
      (e: unknown) => e instanceof UserError && e.pointer === '/model/inputShape',
    );
  });
});
