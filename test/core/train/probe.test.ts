import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../../../src/core/data/types';
import { buildModel } from '../../../src/core/model/build';
import { layerCosts, modelLayers } from '../../../src/core/model/flops';
import { freezableUnits } from '../../../src/core/model/units';
import { forwardPlan } from '../../../src/core/train/forward';
import { probeOutputs } from '../../../src/core/train/probe';

test('the probe runs evenly spaced training examples through the layers, in inference mode, up to each asked unit', async () => {
  const n = 40;
  const x = Float32Array.from({ length: n * 3 * 3 }, (_, i) => Math.sin(i * 0.37));
  const data: LoadedData = {
    train: { x, y: new Int32Array(n), count: n }, test: { x: new Float32Array(0), y: new Int32Array(0), count: 0 },
    exampleShape: [3, 3, 1], xDtype: 'float32', numClasses: 2,
  };
  const model = await buildModel({ layers: [
    { name: 'c', type: 'conv2d', filters: 2, kernelSize: 2, activation: 'relu' },
    { name: 'f', type: 'flatten' },
    { name: 'd', type: 'dropout', rate: 0.5 },
    { name: 'h', type: 'dense', units: 4, activation: 'relu' },
    { name: 'out', type: 'dense', units: 2, activation: 'softmax' },
  ] }, { exampleShape: [3, 3, 1], inputDtype: 'float32', seed: 1 });
  const units = freezableUnits(model, layerCosts(model));
  const probe = probeOutputs(forwardPlan(modelLayers(model)), units, data, 8);
  const [h, c] = probe([1, 0]);
  assert.deepEqual(c.shape, [8, 2, 2, 2]);
  assert.deepEqual(h.shape, [8, 4]);
  // Rows 0, 5, 10, ... 35 of the training split, through the model's own layers (dropout off).
  const rows = tf.gather(tf.tensor(x, [n, 3, 3, 1]), tf.tensor1d([0, 5, 10, 15, 20, 25, 30, 35], 'int32'));
  const layers = modelLayers(model);
  let ref: tf.Tensor = rows;
  for (let l = 0; l < 4; l++) ref = layers[l].apply(ref, { training: false }) as tf.Tensor;
  const diff = tf.max(tf.abs(tf.sub(h, ref))).dataSync()[0];
  assert.ok(diff < 1e-5, `probe output of h = the model's (max diff ${diff})`);
  // Same weights, same outputs: two readings agree exactly.
  const [h2] = probe([1]);
  assert.deepEqual(Array.from(h2.dataSync()), Array.from(h.dataSync()));
  tf.dispose([h, c, h2, rows, ref]);
  model.dispose();
});
