import * as tf from '@tensorflow/tfjs';
import type { LoadedData, Split } from '../../../src/core/data/types';
import type { LayerConfig, TrainExperiment, FreezingConfig } from '../../../src/core/experiment/types';
import { createRng } from '../../../src/core/util/random';
import { initBackend } from '../../../src/core/tensor/backend';

/** Select the backend the product would pick (tests must pass on whatever `initBackend()` chooses). */
export async function useBackend(): Promise<string> {
  return (await initBackend()).name;
}

/**
 * A small, learnable classification problem: each class has a random prototype vector;
 * examples are the prototype plus Gaussian-ish noise. Feature values land in about [0, 1].
 */
export function prototypeData(opts: { train: number; test: number; classes: number; shape: number[]; seed: number; noise?: number }): LoadedData {
  const rng = createRng(opts.seed);
  const size = opts.shape.reduce((a, b) => a * b, 1);
  const protos = Array.from({ length: opts.classes }, () => Float32Array.from({ length: size }, () => rng.next()));
  const noise = opts.noise ?? 0.35;
  const split = (count: number): Split => {
    const x = new Float32Array(count * size);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = rng.int(opts.classes);
      y[i] = c;
      for (let j = 0; j < size; j++) x[i * size + j] = protos[c][j] + noise * (rng.next() + rng.next() + rng.next() - 1.5);
    }
    return { x, y, count };
  };
  return { train: split(opts.train), test: split(opts.test), exampleShape: opts.shape, xDtype: 'float32', numClasses: opts.classes };
}

/**
 * Token sequences whose class is decided by which "keyword" tokens occur (position-free, so a
 * transformer without positional encoding can learn it). Token 0 is padding.
 */
export function keywordTextData(opts: { train: number; test: number; classes: number; length: number; vocab: number; seed: number }): LoadedData {
  const rng = createRng(opts.seed);
  const split = (count: number): Split => {
    const x = new Int32Array(count * opts.length);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = rng.int(opts.classes);
      y[i] = c;
      const len = opts.length - rng.int(3);
      for (let j = 0; j < len; j++) {
        // Tokens 2..classes+1 are class keywords; the rest is filler.
        x[i * opts.length + j] = rng.next() < 0.3 ? 2 + c : 2 + opts.classes + rng.int(opts.vocab - 2 - opts.classes);
      }
    }
    return { x, y, count };
  };
  return { train: split(opts.train), test: split(opts.test), exampleShape: [opts.length], xDtype: 'int32', numClasses: opts.classes };
}

export function experiment(layers: LayerConfig[], opts: { epochs?: number; batchSize?: number; seed?: number; freezing?: FreezingConfig; lr?: number; optimizer?: 'adam' | 'sgd' | 'momentum' | 'rmsprop' } = {}): TrainExperiment {
  return {
    kind: 'train',
    name: 'test',
    data: { format: 'csv', train: 'unused.csv', label: 'last' },
    model: { layers },
    training: {
      epochs: opts.epochs ?? 3,
      batchSize: opts.batchSize ?? 32,
      seed: opts.seed ?? 7,
      optimizer: { type: opts.optimizer ?? 'adam', learningRate: opts.lr ?? 0.01 },
    },
    ...(opts.freezing ? { freezing: opts.freezing } : {}),
  };
}

export const MLP: LayerConfig[] = [
  { name: 'fc1', type: 'dense', units: 32, activation: 'relu' },
  { name: 'fc2', type: 'dense', units: 16, activation: 'relu' },
  { name: 'out', type: 'dense', units: 5, activation: 'softmax' },
];

/** Copies of the values of some variables (to compare before/after). */
export function snapshot(vars: tf.Variable[] | tf.Tensor[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
}
