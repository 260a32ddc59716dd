/**
 * The model/dataset pairs of the SmartFRZ pipeline. Training pairs: MLPs of three shapes on
 * digits and on synthetic data. Held-out pairs (never seen by the predictor's fit): a CNN on
 * Fashion-MNIST (unseen family AND dataset), an MLP on Fashion-MNIST (unseen dataset), a CNN on
 * digits (unseen family). Batch sizes and learning rates vary so steps per epoch (30-90) and
 * update sizes vary.
 */
import type { LayerConfig } from '../../src/core/experiment/types';
import { digits, fashion, synthetic } from './datasets';
import type { RunSpec } from './record';

export const dense = (name: string, units: number, activation: LayerConfig['activation'] = 'relu'): LayerConfig => ({ name, type: 'dense', units, activation });
export const mlp = (widths: number[], classes: number, flatten = false): LayerConfig[] => [
  ...(flatten ? [{ name: 'flatten', type: 'flatten' } as LayerConfig] : []),
  ...widths.map((w, i) => dense(`fc${i + 1}`, w)),
  dense('out', classes, 'softmax'),
];
export const cnn = (f1: number, f2: number, fc: number, classes: number, padding: 'same' | 'valid'): LayerConfig[] => [
  { name: 'conv1', type: 'conv2d', filters: f1, kernelSize: 3, activation: 'relu', padding },
  { name: 'pool1', type: 'maxPooling2d', poolSize: 2 },
  { name: 'conv2', type: 'conv2d', filters: f2, kernelSize: 3, activation: 'relu', padding },
  { name: 'pool2', type: 'maxPooling2d', poolSize: 2 },
  { name: 'flatten', type: 'flatten' },
  dense('fc1', fc),
  dense('out', classes, 'softmax'),
];

export interface Pair extends Omit<RunSpec, 'data'> { heldOut: boolean; load: () => Promise<RunSpec['data']> }

export function pairs(): Pair[] {
  const dig = () => digits(false);
  const syn = async () => synthetic(4000, 1000);
  const mk = (p: Omit<Pair, 'learningRate'> & { learningRate?: number }): Pair => ({ learningRate: 1e-3, ...p });
  return [
    mk({ id: 'mlp-a/digits', family: 'mlp', dataset: 'digits', heldOut: false, load: dig, model: { layers: mlp([128, 64], 10) }, epochs: 15, batchSize: 32, seed: 1 }),
    mk({ id: 'mlp-b/digits', family: 'mlp', dataset: 'digits', heldOut: false, load: dig, model: { layers: mlp([256, 128, 64], 10) }, epochs: 15, batchSize: 16, seed: 2 }),
    mk({ id: 'mlp-c/digits', family: 'mlp', dataset: 'digits', heldOut: false, load: dig, model: { layers: mlp([64, 64, 64, 64], 10) }, epochs: 15, batchSize: 32, seed: 3, learningRate: 2e-3 }),
    mk({ id: 'mlp-a/synthetic', family: 'mlp', dataset: 'synthetic', heldOut: false, load: syn, model: { layers: mlp([128, 64], 8) }, epochs: 15, batchSize: 64, seed: 4 }),
    mk({ id: 'mlp-b/synthetic', family: 'mlp', dataset: 'synthetic', heldOut: false, load: syn, model: { layers: mlp([256, 128, 64], 8) }, epochs: 15, batchSize: 32, seed: 5 }),
    mk({ id: 'mlp-c/synthetic', family: 'mlp', dataset: 'synthetic', heldOut: false, load: syn, model: { layers: mlp([64, 64, 64, 64], 8) }, epochs: 15, batchSize: 64, seed: 6, learningRate: 2e-3 }),
    mk({ id: 'cnn/fashion', family: 'cnn', dataset: 'fashion', heldOut: true, load: () => fashion(4000, 1000), model: { layers: cnn(8, 16, 64, 10, 'valid') }, epochs: 10, batchSize: 64, seed: 7 }),
    mk({ id: 'mlp-b/fashion', family: 'mlp', dataset: 'fashion', heldOut: true, load: () => fashion(4000, 1000), model: { layers: mlp([256, 128, 64], 10, true) }, epochs: 10, batchSize: 64, seed: 8 }),
    mk({ id: 'cnn/digits', family: 'cnn', dataset: 'digits', heldOut: true, load: () => digits(true), model: { layers: cnn(16, 32, 64, 10, 'same') }, epochs: 15, batchSize: 32, seed: 9 }),
  ];
}

