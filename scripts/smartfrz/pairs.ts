/**
 * The model/dataset pairs of the SmartFRZ pipeline. Training pairs: MLPs (64 to 512 wide, 2 to 4
 * hidden layers) and CNNs on digits, on a synthetic teacher task and on synthetic 28x28 stroke
 * images; 45 to 250 steps per epoch, 376 to 1,250 steps per run, learning rates 5e-4 to 2e-3.
 * Held-out pairs (never seen by the predictor's fit): the Fashion-MNIST MLP of
 * `npm run bench:freezing` (784-512-512-10, 20k examples, batch 128, 6 epochs — the bench's own
 * setting) and a small CNN on Fashion-MNIST. Fashion-MNIST never enters the fit, so the bench
 * stays a held-out result.
 */
import type { LayerConfig } from '../../src/core/experiment/types';
import { digits, fashion, strokeImages, synthetic } from './datasets';
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
  const syn = async () => synthetic(8000, 1000);
  const strokes = async () => strokeImages(12000, 1000);
  const strokesSmall = async () => strokeImages(3000, 1000);
  const mk = (p: Omit<Pair, 'learningRate'> & { learningRate?: number }): Pair => ({ learningRate: 1e-3, ...p });
  return [
    mk({ id: 'mlp-a/digits', family: 'mlp', dataset: 'digits', heldOut: false, load: dig, model: { layers: mlp([128, 64], 10) }, epochs: 15, batchSize: 32, seed: 1 }),
    mk({ id: 'mlp-w/digits', family: 'mlp', dataset: 'digits', heldOut: false, load: dig, model: { layers: mlp([512, 512], 10) }, epochs: 8, batchSize: 16, seed: 2 }),
    mk({ id: 'mlp-c/digits', family: 'mlp', dataset: 'digits', heldOut: false, load: dig, model: { layers: mlp([64, 64, 64, 64], 10) }, epochs: 15, batchSize: 32, seed: 3, learningRate: 2e-3 }),
    mk({ id: 'mlp-b/synthetic', family: 'mlp', dataset: 'synthetic', heldOut: false, load: syn, model: { layers: mlp([256, 128, 64], 8) }, epochs: 5, batchSize: 32, seed: 5 }),
    mk({ id: 'mlp-w/strokes', family: 'mlp', dataset: 'strokes', heldOut: false, load: strokes, model: { layers: mlp([512, 512], 10, true) }, epochs: 8, batchSize: 128, seed: 4 }),
    mk({ id: 'mlp-b/strokes', family: 'mlp', dataset: 'strokes', heldOut: false, load: strokes, model: { layers: mlp([256, 128], 10, true) }, epochs: 5, batchSize: 64, seed: 6, learningRate: 5e-4 }),
    mk({ id: 'cnn/digits', family: 'cnn', dataset: 'digits', heldOut: false, load: () => digits(true), model: { layers: cnn(16, 32, 64, 10, 'same') }, epochs: 12, batchSize: 32, seed: 9 }),
    mk({ id: 'cnn/strokes', family: 'cnn', dataset: 'strokes', heldOut: false, load: strokesSmall, model: { layers: cnn(8, 16, 64, 10, 'valid') }, epochs: 4, batchSize: 32, seed: 10 }),
    mk({ id: 'mlp/fashion', family: 'mlp', dataset: 'fashion', heldOut: true, load: () => fashion(20000, 2000), model: { layers: mlp([512, 512], 10, true) }, epochs: 6, batchSize: 128, seed: 8 }),
    mk({ id: 'cnn/fashion', family: 'cnn', dataset: 'fashion', heldOut: true, load: () => fashion(4000, 1000), model: { layers: cnn(8, 16, 64, 10, 'valid') }, epochs: 6, batchSize: 64, seed: 7 }),
  ];
}
