/**
 * The generated model/data pairs of the SmartFRZ pipeline. Pair `i` is drawn from a seeded
 * sampler (`generatedPair(i)`), so the set grows by raising `--count` and every pair already
 * recorded stays valid. What varies: the data (a random-teacher task, Gaussian mixtures, stroke
 * images of 8 to 28 pixels, each with its own dimension, class count and noise), the family
 * (MLPs of 1 to 4 hidden layers, 32 to 512 wide; CNNs of two conv blocks), batch size (16 to
 * 256), Adam learning rate (3e-4 to 3e-3, log-uniform) and run length (300 to 1,400 steps).
 * All data is generated: no shipped or benchmark dataset (digits, Fashion-MNIST) is ever part
 * of a pair, so the bench's pairs stay held out.
 *
 * Every fourth pair (i % 4 === 3) is a CALIBRATION pair: never fitted on; the decision threshold
 * and the convergence guard are chosen on its windows.
 */
import type { LayerConfig } from '../../src/core/experiment/types';
import { createRng, type Rng } from '../../src/core/util/random';
import { clusters, strokeImages, synthetic } from './datasets';
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

/** Three conv blocks (conv-pool x2, then a conv without pooling) and a dense layer: deeper than `cnn`. */
export const cnn3 = (f1: number, f2: number, f3: number, fc: number, classes: number): LayerConfig[] => [
  ...cnn(f1, f2, fc, classes, 'same').slice(0, 4),
  { name: 'conv3', type: 'conv2d', filters: f3, kernelSize: 3, activation: 'relu', padding: 'same' },
  { name: 'flatten', type: 'flatten' },
  dense('fc1', fc),
  dense('out', classes, 'softmax'),
];

export type PairRole = 'fit' | 'calibrate';

export interface Pair extends Omit<RunSpec, 'data'> {
  role: PairRole;
  /** Human-readable recipe (model, data, batch, learning rate). */
  describe: string;
  load: () => Promise<RunSpec['data']> | RunSpec['data'];
}

/** Training cost cap per pair, in multiply-adds x3 (forward + backward) over the run. */
const MAX_RUN_MACS = 3e10;

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** Multiply-adds per example of a forward pass (dense and conv layers only). */
function forwardMacs(layers: LayerConfig[], shape: number[]): number {
  let [h, w, c] = shape.length === 3 ? shape : [1, 1, shape[0]];
  let flat = shape.reduce((a, b) => a * b, 1);
  let macs = 0;
  for (const l of layers) {
    if (l.type === 'conv2d') {
      if (l.padding === 'valid') { h -= 2; w -= 2; }
      macs += h * w * 9 * c * (l.filters ?? 1);
      c = l.filters ?? 1;
      flat = h * w * c;
    } else if (l.type === 'maxPooling2d') {
      h = Math.floor(h / 2); w = Math.floor(w / 2); flat = h * w * c;
    } else if (l.type === 'dense') {
      macs += flat * (l.units ?? 1);
      flat = l.units ?? 1;
    }
  }
  return macs;
}

/**
 * Where the 28-pixel CNN family starts (round 9): pairs 0..119 are drawn as before (their
 * recordings stay valid), pairs from here on by `wideCnnPair`.
 */
export const WIDE_CNN_FROM = 120;

/** Pair `i` of the generated set (deterministic in i). */
export function generatedPair(i: number): Pair {
  if (i >= WIDE_CNN_FROM) return wideCnnPair(i);
  const rng = createRng(0x5f2a0000 + 7919 * i);
  const role: PairRole = i % 4 === 3 ? 'calibrate' : 'fit';
  const seed = 100 + i;
  const kind = pick(rng, ['teacher', 'teacher', 'clusters', 'strokes', 'strokes', 'strokes'] as const);
  let family: 'mlp' | 'cnn' = 'mlp';
  let shape: number[];
  let classes: number;
  let dataDesc: string;
  let make: (nTrain: number) => RunSpec['data'];
  const nTest = 800;
  if (kind === 'teacher') {
    const dim = pick(rng, [16, 32, 64, 128]);
    classes = 4 + rng.int(9);
    const hidden = pick(rng, [32, 64, 128]);
    const noise = pick(rng, [0, 0.05, 0.15]);
    shape = [dim];
    dataDesc = `teacher(d${dim}, ${classes} classes, h${hidden}, noise ${noise})`;
    make = (n) => synthetic(n, nTest, dim, classes, seed, hidden, noise);
  } else if (kind === 'clusters') {
    const dim = pick(rng, [8, 16, 32, 64]);
    classes = 3 + rng.int(8);
    const per = 1 + rng.int(4);
    const spread = +(0.3 + 0.7 * rng.next()).toFixed(2);
    shape = [dim];
    dataDesc = `clusters(d${dim}, ${classes}x${per}, spread ${spread})`;
    make = (n) => clusters(n, nTest, dim, classes, per, spread, seed);
  } else {
    family = rng.next() < 0.45 ? 'cnn' : 'mlp';
    const size = family === 'cnn' ? pick(rng, [8, 12, 16]) : pick(rng, [8, 12, 16, 20, 28]);
    classes = 5 + rng.int(6);
    const noise = +(0.1 + 0.25 * rng.next()).toFixed(2);
    shape = [size, size, 1];
    dataDesc = `strokes(${size}x${size}, ${classes} classes, noise ${noise})`;
    make = (n) => strokeImages(n, nTest, seed, classes, size, noise);
  }
  let widths: number[] = [];
  let filters: [number, number, number] = [8, 16, 64];
  let padding: 'same' | 'valid' = 'same';
  if (family === 'cnn') {
    padding = shape[0] <= 12 || rng.next() < 0.5 ? 'same' : 'valid';
    filters = [pick(rng, [4, 8, 16]), pick(rng, [8, 16, 32]), pick(rng, [32, 64, 128])];
  } else {
    const depth = 1 + rng.int(4);
    widths = Array.from({ length: depth }, () => pick(rng, [32, 48, 64, 96, 128, 192, 256, 384, 512]));
    if (rng.next() < 0.5) widths.sort((a, b) => b - a);
  }
  const build = (): LayerConfig[] => (family === 'cnn' ? cnn(filters[0], filters[1], filters[2], classes, padding) : mlp(widths, classes, shape.length > 1));
  let batchSize = pick(rng, [16, 32, 64, 128, 256]);
  const learningRate = +(3e-4 * 10 ** rng.next()).toPrecision(2);
  const steps = 300 + rng.int(1100);
  // Keep a pair affordable without cutting its length: smaller batches first, then narrower layers.
  let layers = build();
  while (3 * forwardMacs(layers, shape) * steps * batchSize > MAX_RUN_MACS) {
    if (batchSize > 32) batchSize /= 2;
    else if (family === 'cnn') filters = filters.map((f) => Math.max(4, f / 2)) as [number, number, number];
    else widths = widths.map((w) => Math.max(32, Math.round(w / 2)));
    layers = build();
    if (batchSize <= 32 && (family === 'cnn' ? filters[0] === 4 && filters[1] === 4 : widths.every((w) => w === 32))) break;
  }
  const epochs = 3 + rng.int(8);
  const nTrain = Math.max(500, Math.min(12000, Math.round(steps / epochs) * batchSize));
  const describe = `${family} ${layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').map((l) => (l.type === 'conv2d' ? `c${l.filters}` : `${l.units}`)).join('-')} on ${dataDesc}, ${nTrain} examples, batch ${batchSize}, ${epochs} epochs, Adam ${learningRate}`;
  return {
    id: `g${String(i).padStart(3, '0')}-${family}-${kind}`, family, dataset: kind, role, describe,
    model: { layers }, epochs, batchSize, learningRate, seed,
    load: () => make(nTrain),
  };
}

/** Training cost cap of a 28-pixel CNN pair (they are the bench CNNs' size class, so they cost more). */
const MAX_WIDE_CNN_MACS = 6e10;

/**
 * Round 9's family: CNNs of the size class of the bench's Fashion CNNs, which the earlier
 * generated CNNs (two narrow blocks on 8-16 pixel strokes) were not: 28-pixel stroke images,
 * wider filters (8-24, then 16-48), two or three conv blocks, 2,000-6,000 examples, 3-10 epochs,
 * batch 16-64. Generated data only, as every pair (never Fashion-MNIST or digits).
 */
function wideCnnPair(i: number): Pair {
  const rng = createRng(0x3c0d0000 + 7919 * i);
  const role: PairRole = i % 4 === 3 ? 'calibrate' : 'fit';
  const seed = 100 + i;
  const classes = 5 + rng.int(6);
  const noise = +(0.1 + 0.25 * rng.next()).toFixed(2);
  const nTest = 800;
  const deep = rng.next() < 0.5;
  let f1 = pick(rng, [8, 12, 16, 24]);
  let f2 = pick(rng, [16, 24, 32, 48]);
  const f3 = pick(rng, [16, 32]);
  const fc = pick(rng, [48, 64, 96, 128]);
  const batchSize = pick(rng, [16, 32, 64]);
  const learningRate = +(3e-4 * 10 ** rng.next()).toPrecision(2);
  const epochs = 3 + rng.int(8);
  let nTrain = pick(rng, [2000, 3000, 4000, 6000]);
  const build = (): LayerConfig[] => (deep ? cnn3(f1, f2, f3, fc, classes) : cnn(f1, f2, fc, classes, 'same'));
  let layers = build();
  // Affordable: fewer examples first (the run keeps its epochs), then narrower filters.
  while (3 * forwardMacs(layers, [28, 28, 1]) * epochs * nTrain > MAX_WIDE_CNN_MACS && (nTrain > 2000 || f1 > 8)) {
    if (nTrain > 2000) nTrain -= 1000;
    else { f1 = Math.max(8, f1 / 2); f2 = Math.max(16, f2 / 2); }
    layers = build();
  }
  const describe = `cnn ${layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').map((l) => (l.type === 'conv2d' ? `c${l.filters}` : `${l.units}`)).join('-')} on strokes(28x28, ${classes} classes, noise ${noise}), ${nTrain} examples, batch ${batchSize}, ${epochs} epochs, Adam ${learningRate}`;
  return {
    id: `g${String(i).padStart(3, '0')}-cnn-strokes28`, family: 'cnn', dataset: 'strokes', role, describe,
    model: { layers }, epochs, batchSize, learningRate, seed,
    load: () => strokeImages(nTrain, nTest, seed, classes, 28, noise),
  };
}

/** Pairs 0..count-1. */
export function generatedPairs(count: number): Pair[] {
  return Array.from({ length: count }, (_, i) => generatedPair(i));
}
