/**
 * One training of a study pair (generated or held out) under a freezing policy, as the SmartFRZ
 * calibration (`build.ts`) and the oracle study (`oracle.ts`) both run it: final accuracy, the
 * accuracy curve, CPU seconds of the training call, backward FLOPs saved and the freezes.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../../src/core/data/types';
import type { LayerConfig, TrainExperiment } from '../../src/core/experiment/types';
import type { FreezingPolicy } from '../../src/core/freezing/policy';
import { buildModel } from '../../src/core/model/build';
import { train } from '../../src/core/train/trainer';
import { generatedPair } from './pairs';

/** What a study needs of a pair, generated or held out. */
export interface StudyPair {
  id: string;
  layers: LayerConfig[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  load: () => Promise<LoadedData> | LoadedData;
}

export interface TrainedRun {
  accuracy: number;
  /** Evaluation accuracy after each epoch. */
  curve: number[];
  cpuSeconds: number;
  backwardSaved: number;
  freezes: string[];
}

/** Generated pair `gNNN-...` as a study pair. */
export function generatedStudyPair(id: string): StudyPair {
  const g = generatedPair(Number(id.slice(1, 4)));
  return { ...g, layers: g.model.layers ?? [], load: g.load };
}

export async function trainWith(pair: StudyPair, data: LoadedData, policy: FreezingPolicy): Promise<TrainedRun> {
  const experiment: TrainExperiment = {
    kind: 'train', name: pair.id, data: { format: 'csv', train: '(in memory)', label: 'last' }, model: { layers: pair.layers },
    training: { epochs: pair.epochs, batchSize: pair.batchSize, optimizer: { type: 'adam', learningRate: pair.learningRate }, seed: pair.seed },
    freezing: { policy: policy.name },
  };
  const model = await buildModel(experiment.model, { exampleShape: data.exampleShape, inputDtype: 'float32', seed: pair.seed });
  const freezes: string[] = [];
  const c0 = process.cpuUsage();
  const r = await train({
    experiment, data, model, policy, runId: pair.id, backend: tf.getBackend(),
    onEvent: (e) => { if (e.type === 'freeze') freezes.push(`${e.layer}@${e.epoch + 1}`); }, shouldStop: () => false,
  });
  const c = process.cpuUsage(c0);
  model.dispose();
  return {
    accuracy: r.metrics.accuracy, curve: r.history.map((h) => h.testAccuracy), cpuSeconds: (c.user + c.system) / 1e6,
    backwardSaved: r.flopsSaved.backward, freezes,
  };
}
