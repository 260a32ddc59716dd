import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../../src/core/errors';
import type { LayerConfig } from '../../../src/core/experiment/types';
import { buildModel } from '../../../src/core/model/build';
import { modelLayers } from '../../../src/core/model/flops';
import { loadModel, saveModel } from '../../../src/core/model/io';
import { useBackend } from '../train/fixtures';

let dir = '';
before(async () => {
  await useBackend();
  dir = await mkdtemp(path.join(tmpdir(), 'model-lab-io-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TEXT: LayerConfig[] = [
  { name: 'embed', type: 'embedding', inputDim: 20, outputDim: 8 },
  { name: 'pos', type: 'positionalEncoding' },
  { name: 'enc', type: 'transformerEncoder', numHeads: 2, ffDim: 16, rate: 0.1 },
  { type: 'globalAveragePooling1d' },
  { name: 'out', type: 'dense', units: 3, activation: 'softmax' },
];

describe('saveModel / loadModel', () => {
  it('round-trips a transformer text model with identical predictions', async () => {
    const model = await buildModel({ layers: TEXT }, { exampleShape: [6], inputDtype: 'int32', seed: 4 });
    const x = tf.tensor2d([[1, 2, 3, 4, 0, 0], [5, 6, 7, 8, 9, 10]], [2, 6], 'int32');
    const expected = Array.from((model.predict(x) as tf.Tensor).dataSync());
    const out = path.join(dir, 'text');
    await saveModel(model, out);
    assert.deepEqual((await readdir(out)).sort(), ['model.json', 'weights.bin']);
    const loaded = await loadModel(path.join(out, 'model.json'));
    assert.deepEqual(modelLayers(loaded).map((l) => l.name), ['embed', 'pos', 'enc', 'globalAveragePooling1d_3', 'out']);
    assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), expected);
  });

  it('fine-tunes from a saved model: `from` loads its weights, extra layers go on top', async () => {
    const base = await buildModel(
      { layers: [{ name: 'fc1', type: 'dense', units: 6, activation: 'relu' }, { name: 'fc2', type: 'dense', units: 4 }] },
      { exampleShape: [5], inputDtype: 'float32', seed: 1 },
    );
    await saveModel(base, path.join(dir, 'base'));
    const from = path.join(dir, 'base', 'model.json');
    const tuned = await buildModel(
      { from, layers: [{ name: 'head', type: 'dense', units: 2, activation: 'softmax' }] },
      { exampleShape: [5], inputDtype: 'float32', seed: 99 },
    );
    assert.deepEqual(modelLayers(tuned).map((l) => l.name), ['fc1', 'fc2', 'head']);
    assert.deepEqual(
      Array.from(tuned.getLayer('fc1').getWeights()[0].dataSync()),
      Array.from(base.getLayer('fc1').getWeights()[0].dataSync()),
    );
    assert.deepEqual(tuned.outputs[0].shape, [null, 2]);
    await assert.rejects(
      buildModel({ from }, { exampleShape: [7], inputDtype: 'float32', seed: 1 }),
      (e: unknown) => e instanceof UserError && e.pointer === '/model/from',
    );
  });

  it('refuses to fine-tune a saved model that is not a single chain of layers', async () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
    const branched = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    await saveModel(branched, path.join(dir, 'branched'));
    await assert.rejects(
      buildModel({ from: path.join(dir, 'branched', 'model.json') }, { exampleShape: [4], inputDtype: 'float32', seed: 1 }),
      (e: unknown) => e instanceof UserError && e.pointer === '/model/from' && /single chain/.test(e.message),
    );
  });

  it('reports missing or malformed model files as UserErrors', async () => {
    await assert.rejects(loadModel(path.join(dir, 'nope', 'model.json')), (e: unknown) => e instanceof UserError && /not found/.test(e.message));
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"hello": 1}');
    await assert.rejects(loadModel(bad), (e: unknown) => e instanceof UserError && e.pointer === '/model/from');
  });
});
