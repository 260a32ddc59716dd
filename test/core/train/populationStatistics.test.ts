import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../../../src/core/data/types';
import { batchNormMatch } from '../../../src/core/distill/losses';
import type { LayerConfig, TrainExperiment } from '../../../src/core/experiment/types';
import { createPolicy } from '../../../src/core/freezing/create';
import { buildModel } from '../../../src/core/model/build';
import { modelLayers } from '../../../src/core/model/flops';
import type { RunEvent } from '../../../src/core/train/events';
import { combine } from '../../../src/core/train/populationStatistics';
import { train } from '../../../src/core/train/trainer';
import { experiment, prototypeData, useBackend } from './fixtures';

let backend = 'cpu';
before(async () => {
  backend = await useBackend();
});

const DATA = prototypeData({ train: 600, test: 100, classes: 5, shape: [20], seed: 5, noise: 1 });
const BN_MLP: LayerConfig[] = [
  { name: 'fc1', type: 'dense', units: 24, activation: 'relu' },
  { name: 'bn1', type: 'batchNormalization' },
  { name: 'fc2', type: 'dense', units: 16, activation: 'relu' },
  { name: 'bn2', type: 'batchNormalization' },
  { name: 'out', type: 'dense', units: 5, activation: 'softmax' },
];

async function trained(exp: TrainExperiment, data: LoadedData = DATA): Promise<{ model: tf.LayersModel; events: RunEvent[] }> {
  const model = await buildModel(exp.model, { exampleShape: data.exampleShape, inputDtype: data.xDtype, seed: exp.training.seed ?? 0 });
  const events: RunEvent[] = [];
  const result = await train({ experiment: exp, data, model, policy: createPolicy(exp.freezing), runId: 't', backend, onEvent: (e) => events.push(e), shouldStop: () => false });
  assert.equal(result.status, 'completed');
  return { model, events };
}

/**
 * Each batch-norm layer's input over the whole training split, the model running in inference
 * mode (as DeepInversion runs the teacher), with its moving statistics.
 */
function batchNormInputs(model: tf.LayersModel, data: LoadedData): { name: string; input: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor }[] {
  let h: tf.Tensor = tf.tensor(data.train.x, [data.train.count, ...data.exampleShape]);
  const out: { name: string; input: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor }[] = [];
  for (const layer of modelLayers(model)) {
    if (layer.getClassName() === 'BatchNormalization') {
      const w = (suffix: string) => layer.weights.find((v) => v.originalName.endsWith(suffix))!.read();
      out.push({ name: layer.name, input: h, mean: w('moving_mean'), variance: w('moving_variance') });
    }
    h = layer.apply(h, { training: false }) as tf.Tensor;
  }
  return out;
}

/** Relative RMS gap between a layer's moving statistics and its inputs' population statistics (mean, variance). */
function gaps(bn: ReturnType<typeof batchNormInputs>[number]): { mean: number; variance: number } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(bn.input, 0);
    const rel = (a: tf.Tensor, b: tf.Tensor) => Math.sqrt(tf.mean(tf.square(tf.sub(a, b))).dataSync()[0] / tf.mean(tf.square(b)).dataSync()[0]);
    return { mean: rel(bn.mean, mean), variance: rel(bn.variance, variance) };
  });
}

describe('batch-norm population statistics (training.batchNormStatistics)', () => {
  it('make the moving statistics those of the training split under the final weights, which DeepInversion\'s loss assumes', async () => {
    const base = experiment(BN_MLP, { epochs: 2, batchSize: 40, lr: 0.01 });
    const running = await trained(base);
    const population = await trained({ ...base, training: { ...base.training, batchNormStatistics: 'population' } });

    // The same training, step for step: only the batch-norm statistics differ.
    const trainable = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    assert.deepEqual(trainable(population.model), trainable(running.model));

    tf.tidy(() => {
      for (const bn of batchNormInputs(running.model, DATA)) {
        // The moving averages (momentum 0.99 over 30 steps) lag the weights: the cause of the stale statistics.
        const g = gaps(bn);
        assert.ok(g.mean > 0.05 || g.variance > 0.05, `${bn.name}: moving statistics within ${JSON.stringify(g)} of the data's`);
      }
      for (const bn of batchNormInputs(population.model, DATA)) {
        // Population mean and (biased, N-denominator) variance, exactly what batchNormMatch compares a batch with.
        const g = gaps(bn);
        assert.ok(g.mean < 1e-4 && g.variance < 1e-4, `${bn.name}: ${JSON.stringify(g)}`);
        const loss = batchNormMatch(bn.input, bn.mean, bn.variance).dataSync()[0];
        assert.ok(loss < 1e-3, `${bn.name}: DeepInversion's statistics loss on the real training split is ${loss}, not ~0`);
      }
    });

    // The last epoch's evaluation is of the model as saved (with the new statistics).
    const last = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: 'epoch' }> => e.type === 'epoch').at(-1)!;
    assert.notEqual(last(population.events).testLoss, last(running.events).testLoss);
  });

  it('leave frozen layers\' statistics as they were when they froze', async () => {
    const base = experiment(BN_MLP, { epochs: 3, batchSize: 40, lr: 0.01, freezing: { policy: 'static', prefix: 2, atEpoch: 1 } });
    const stats = (m: tf.LayersModel, name: string) => m.getLayer(name).nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const running = await trained(base);
    const population = await trained({ ...base, training: { ...base.training, batchNormStatistics: 'population' } });
    // fc1 and bn1 froze after the first epoch; bn2 still trains and gets the population statistics.
    assert.deepEqual(stats(population.model, 'bn1'), stats(running.model, 'bn1'));
    assert.notDeepEqual(stats(population.model, 'bn2'), stats(running.model, 'bn2'));
    tf.tidy(() => {
      const bn2 = batchNormInputs(population.model, DATA).find((b) => b.name === 'bn2')!;
      const g = gaps(bn2);
      assert.ok(g.mean < 1e-4 && g.variance < 1e-4, JSON.stringify(g));
    });
  });

  it('combine batches of any size into the one-pass mean and population variance', () => {
    const values = Array.from({ length: 3 }, (_, c) => Array.from({ length: 257 }, (_, i) => 1000 + c + Math.sin(i * (c + 1)) * (c + 0.5)));
    let acc: ReturnType<typeof combine> | undefined;
    for (const [start, end] of [[0, 100], [100, 101], [101, 257]]) {
      const count = end - start;
      const mean = values.map((v) => v.slice(start, end).reduce((a, b) => a + b, 0) / count);
      const variance = values.map((v, c) => v.slice(start, end).reduce((a, b) => a + (b - mean[c]) ** 2, 0) / count);
      acc = combine(acc, { count, mean, variance });
    }
    values.forEach((v, c) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      assert.ok(Math.abs(acc!.mean[c] - mean) < 1e-9);
      assert.ok(Math.abs(acc!.m2[c] / acc!.count - variance) < 1e-9 * variance);
    });
  });
});
