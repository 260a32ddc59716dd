import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { LoadedData } from '../../../../src/core/data/types';
import type { TrainExperiment } from '../../../../src/core/experiment/types';
import { buildModel } from '../../../../src/core/model/build';
import { SmartFrzPolicy } from '../../../../src/core/freezing/smartfrz/policy';
import { loadPredictor } from '../../../../src/core/freezing/smartfrz/predictorFile';
import type { RunEvent } from '../../../../src/core/train/events';
import { train } from '../../../../src/core/train/trainer';

/** Two Gaussian blobs in 8 dimensions: small, generated, learnable. */
function blobs(n: number): LoadedData {
  const x = new Float32Array(n * 8);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = (y[i] ? 1 : -1) * 0.5 + Math.sin(i * 31.7 + j * 3.1);
  }
  const half = (from: number, to: number) => ({ x: x.slice(from * 8, to * 8), y: y.slice(from, to), count: to - from });
  return { train: half(0, n - 64), test: half(n - 64, n), exampleShape: [8], xDtype: 'float32', numClasses: 2 };
}

test('SmartFRZ with the shipped predictor drives the real training loop, freezing a prefix only', async () => {
  const experiment: TrainExperiment = {
    kind: 'train',
    name: 'smartfrz-blobs',
    data: { format: 'csv', train: '(in memory)', label: 'last' },
    model: { layers: [
      { name: 'a', type: 'dense', units: 16, activation: 'relu' },
      { name: 'b', type: 'dense', units: 16, activation: 'relu' },
      { name: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ] },
    training: { epochs: 4, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 3 },
    // threshold 0 and both guards off (the convergence guard below): every stage freezes the
    // next unit, so the test does not depend on what the predictor learned or how it was
    // calibrated; a snapshot every step fills the predictor's minimum window within an epoch.
    freezing: { policy: 'smartfrz', threshold: 0, snapshotEvery: 1, accuracyTolerance: 100 },
  };
  const data = blobs(448);
  const model = await buildModel(experiment.model, { exampleShape: [8], inputDtype: 'float32', seed: 3 });
  const events: RunEvent[] = [];
  // minLayerSimilarity 0: the per-layer signal is read (from the loop's probe) but lets everything
  // through; a reading (and a stage) every 24 steps, the epoch's length here. minOutputSimilarity
  // 0: the output guard the shipped calibration sets (round 12) reads the predictions in the same
  // pass and lets everything through too.
  const policy = new SmartFrzPolicy({ predictor: loadPredictor(), threshold: 0, snapshotEvery: 1, accuracyTolerance: 100, maxDirectedness: Infinity, minLayerSimilarity: 0, minOutputSimilarity: 0, probeEvery: 24 });
  const result = await train({
    experiment, data, model, runId: 't', backend: 'test',
    policy,
    onEvent: (e) => events.push(e), shouldStop: () => false,
  });
  const freezes = events.filter((e): e is Extract<RunEvent, { type: 'freeze' }> => e.type === 'freeze');
  assert.deepEqual(freezes.map((f) => [f.layer, f.epoch]), [['a', 1], ['b', 2]]);
  assert.match(freezes[0].reason ?? '', /^P\(freeze\)=\d\.\d\d, probe CKA [01]\.\d{4} at step 24 \(epoch 1\)$/);
  // The loop's probe was read before training and every 24 steps while a unit could still freeze.
  assert.equal(policy.convergenceCost().readings, 3);
  assert.ok(result.flopsSaved.backward > 0);
  assert.ok(result.metrics.accuracy > 0.6, `learned something (${result.metrics.accuracy})`);
  model.dispose();
});
