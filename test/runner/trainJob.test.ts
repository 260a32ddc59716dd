import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadData } from '../../src/core/data/load';
import { loadExperimentFile } from '../../src/core/experiment/load';
import type { TrainExperiment } from '../../src/core/experiment/types';
import { loadModel } from '../../src/core/model/io';
import type { RunEvent } from '../../src/core/train/events';
import { runJob } from '../../src/runner/runJob';
import * as store from '../../src/runner/runStore';
import type { TrainSummary } from '../../src/runner/summary';
import { readProvenance } from '../../src/runner/provenance';
import { nativeElementwise } from '../../src/core/tensor/wasm/nativeGemm';
import { kernelThreads } from '../../src/core/tensor/wasm/threads';
import { createHash } from 'node:crypto';

const IRIS = path.join(__dirname, '../../examples/iris/iris.csv');

test('a completed train run reports per-class scores and the confusion matrix of its final model on the test split, and its provenance', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-trainjob-'));
  try {
    const file = path.join(dir, 'iris.experiment.json');
    writeFileSync(file, JSON.stringify({
      kind: 'train', name: 'iris',
      data: { format: 'csv', train: IRIS, header: true, label: 'last', testSplit: 0.2 },
      model: { inputShape: [4], layers: [{ name: 'hidden', type: 'dense', units: 8, activation: 'relu' }, { name: 'out', type: 'dense', units: 3, activation: 'softmax' }] },
      training: { epochs: 3, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 3 },
    }));
    const events: RunEvent[] = [];
    const summary = (await runJob({ experimentFile: file, backend: 'cpu' }, { event: (e) => events.push(e), log: () => undefined }, () => false)) as TrainSummary;
    assert.equal(summary.status, 'completed');
    const { perClass, confusionMatrix } = summary.metrics;
    assert.ok(perClass && confusionMatrix);
    assert.deepEqual(perClass.map((c) => c.class), ['setosa', 'versicolor', 'virginica'], 'class names from the data');

    // The true classes of the test split, independently: row sums are each class's support.
    const exp = (await loadExperimentFile(file)).experiment as TrainExperiment;
    const data = await loadData(exp.data, { seed: 3 });
    const support = [0, 0, 0];
    for (const y of data.test.y) support[y]++;
    assert.deepEqual(confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0)), support);
    assert.deepEqual(perClass.map((c) => c.support), support);

    // The predicted classes, independently, from the saved final model: column t of row y counts them.
    const model = await loadModel(path.join(summary.runDir, store.MODEL_DIR, 'model.json'));
    const predicted = tf.tidy(() => tf.argMax(model.predict(tf.tensor(data.test.x, [data.test.count, 4])) as tf.Tensor, -1)).dataSync();
    model.dispose();
    const expected = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    data.test.y.forEach((y, i) => expected[y][predicted[i]]++);
    assert.deepEqual(confusionMatrix, expected);
    const correct = expected.reduce((a, row, i) => a + row[i], 0);
    assert.equal(summary.metrics.accuracy, correct / data.test.count, 'the diagonal is the reported accuracy');
    perClass.forEach((c, k) => {
      const column = expected.reduce((a, row) => a + row[k], 0);
      assert.equal(c.precision, column === 0 ? 0 : expected[k][k] / column);
      assert.equal(c.recall, support[k] === 0 ? 0 : expected[k][k] / support[k]);
    });

    // The same report as an event, after the end, in the stream and in events.jsonl (what the timeline reads).
    const evaluation = events.find((e) => e.type === 'evaluation');
    assert.ok(evaluation && evaluation.type === 'evaluation');
    assert.deepEqual(evaluation.confusionMatrix, confusionMatrix);
    assert.deepEqual(evaluation.classNames, ['setosa', 'versicolor', 'virginica']);
    const stored = store.parseEventLines(readFileSync(path.join(summary.runDir, store.EVENTS_FILE), 'utf8'));
    assert.deepEqual(stored.map((e) => e.type).slice(-2), ['end', 'evaluation']);
    assert.deepEqual(JSON.parse(readFileSync(path.join(summary.runDir, 'summary.json'), 'utf8')).metrics.perClass, perClass);

    // Every run records its provenance: here, the backend it trained on, the seed and the data's fingerprint.
    const provenance = await readProvenance(summary.runDir);
    assert.equal(provenance?.backend, 'cpu');
    assert.equal(provenance?.seed, 3);
    assert.deepEqual(provenance?.experiment, exp);
    assert.deepEqual(provenance?.files.map((f) => [f.pointer, f.sha256]), [['/data/train', createHash('sha256').update(readFileSync(IRIS)).digest('hex')]]);
    // tfjs's cpu backend has no fused dense step: every step ran on the gradient tape (120 examples, batch 16, 3 epochs).
    assert.deepEqual(provenance?.trainingSteps, { fused: 0, tape: 24, behind: 0 });

    // On wasm the same all-dense model trains through the fused dense step: its provenance and its log say so.
    const wasm = (await runJob({ experimentFile: file, backend: 'wasm' }, { event: () => undefined, log: () => undefined }, () => false)) as TrainSummary;
    // With more than one thread and the native module, each step's Adam ran behind the next step's start (the same weights).
    const behind = kernelThreads() > 1 && nativeElementwise()?.adamMany ? 24 : 0;
    assert.deepEqual((await readProvenance(wasm.runDir))?.trainingSteps, { fused: 24, tape: 0, behind });
    const logged = store.parseEventLines(readFileSync(path.join(wasm.runDir, store.EVENTS_FILE), 'utf8'))
      .flatMap((e) => (e.type === 'log' && e.message.startsWith('training step:') ? [e.message] : []));
    assert.deepEqual(logged, ['training step: one fused kernel for the dense layers hidden, out (MODEL_LAB_DENSE_STEP=0: tfjs\'s gradient tape)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
