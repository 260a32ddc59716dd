import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { checkDataAgainstModel, checkLabels } from '../../../src/core/data/check';
import { loadData } from '../../../src/core/data/load';
import type { LoadedData } from '../../../src/core/data/types';
import { loadExperimentFile, withExperimentPosition } from '../../../src/core/experiment/load';
import { promises as fs } from 'node:fs';
import type { LayerConfig, TrainExperiment } from '../../../src/core/experiment/types';

const FIXTURES = path.resolve(__dirname, '../../fixtures/experiment');

function experiment(layers: LayerConfig[], inputShape = [4]): TrainExperiment {
  return {
    kind: 'train',
    name: 't',
    data: { format: 'csv', train: '/x.csv', label: 'last' },
    model: { inputShape, layers },
    training: { epochs: 1, batchSize: 1 },
  };
}
const data = (numClasses: number, extra: Partial<LoadedData> = {}): LoadedData => ({
  train: { x: new Float32Array(4), y: new Int32Array([numClasses - 1]), count: 1 },
  test: { x: new Float32Array(4), y: new Int32Array([0]), count: 1 },
  exampleShape: [4],
  xDtype: 'float32',
  numClasses,
  ...extra,
});

test('labels beyond the output layer are a UserError at its units', async () => {
  const loaded = await loadExperimentFile(path.join(FIXTURES, 'too-few-units.experiment.json'));
  const exp = loaded.experiment as TrainExperiment;
  const d = await loadData(exp.data, { seed: 1 });
  assert.equal(d.numClasses, 3);
  assert.throws(
    () => checkLabels(d, exp),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.pointer, '/model/layers/1/units');
      assert.equal(e.message, 'the data has 3 classes (labels 0 to 2), but the output layer "out" has 2 units');
      return true;
    },
  );
  // Placed in the experiment file for the CLI and the editor.
  let err: unknown;
  try {
    checkLabels(d, exp);
  } catch (e) {
    err = e;
  }
  const placed = await withExperimentPosition(err as UserError, loaded.file);
  const text = await fs.readFile(loaded.file, 'utf8');
  const lineOfUnits = text.split('\n').findIndex((l) => l.includes('"units": 2')) + 1;
  assert.equal(placed.file, loaded.file);
  assert.equal(placed.line, lineOfUnits);
  assert.match(placed.format(), /too-few-units\.experiment\.json:\d+:\d+: \/model\/layers\/1\/units: the data has 3 classes/);
});

test('more softmax units than classes only warns; matching units pass', () => {
  const exp = experiment([{ type: 'dense', units: 8 }, { type: 'dense', units: 5, activation: 'softmax' }]);
  assert.deepEqual(checkLabels(data(3), exp), [{ pointer: '/model/layers/1/units', message: 'the output layer has 5 units but the data has only 3 classes (labels 0 to 2)' }]);
  assert.deepEqual(checkLabels(data(5), exp), []);
  const named = data(4, { classNames: ['a', 'b', 'c', 'd'] });
  assert.throws(() => checkLabels(named, experiment([{ type: 'dense', units: 3 }])), /the data has 4 classes \(a, b, c, d\), but the output layer "dense_0" has 3 units/);
});

test('checkDataAgainstModel: inputShape must equal the example shape; embeddings must cover the vocabulary', () => {
  const mlp = experiment([{ type: 'dense', units: 3 }], [64]);
  assert.throws(
    () => checkDataAgainstModel(data(3), mlp),
    (e: unknown) => e instanceof UserError && e.pointer === '/model/inputShape' && /inputShape is \[64\] but the data's examples have shape \[4\]/.test(e.message),
  );
  const textData = data(2, { exampleShape: [4], xDtype: 'int32', vocab: ['[PAD]', '[UNK]', 'a', 'b', 'c'] });
  const small = experiment([{ type: 'embedding', inputDim: 4, outputDim: 2 }, { type: 'globalAveragePooling1d' }, { type: 'dense', units: 2 }]);
  assert.throws(
    () => checkDataAgainstModel(textData, small),
    (e: unknown) => e instanceof UserError && e.pointer === '/model/layers/0/inputDim' && /smaller than the vocabulary \(5 tokens/.test(e.message),
  );
  const ok = experiment([{ type: 'embedding', outputDim: 2 }, { type: 'globalAveragePooling1d' }, { type: 'dense', units: 2 }]);
  assert.deepEqual(checkDataAgainstModel(textData, ok), []);
});
