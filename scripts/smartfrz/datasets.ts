/**
 * The datasets of the offline SmartFRZ pipeline, kept small so the whole pipeline runs in
 * minutes: digits (1,797 8x8 images), a Fashion-MNIST subset and a synthetic teacher-network
 * task generated here. Inputs are scaled to [0, 1] (images) or standard normal (synthetic).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createRng, shuffledIndices } from '../../src/core/util/random';
import type { LoadedData, Split } from '../../src/core/data/types';

export const SHARED_DATASETS = process.env.MODEL_LAB_DATASETS ?? '/work/shared/datasets';

function take(x: Float32Array, y: Int32Array, dim: number, idx: ArrayLike<number>): Split {
  const sx = new Float32Array(idx.length * dim);
  const sy = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    sx.set(x.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
    sy[i] = y[idx[i]];
  }
  return { x: sx, y: sy, count: idx.length };
}

/** Digits: 80/20 seeded split, pixel values / 16. `image` gives [8, 8, 1] examples for CNNs. */
export function digits(image = false): LoadedData {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(SHARED_DATASETS, 'digits', 'digits.csv.gz'))).toString('utf8');
  const rows = text.trim().split('\n').map((l) => l.split(',').map(Number));
  const n = rows.length;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  rows.forEach((r, i) => {
    for (let j = 0; j < 64; j++) x[i * 64 + j] = r[j] / 16;
    y[i] = r[64];
  });
  const order = shuffledIndices(n, createRng(11));
  const nTest = Math.round(n * 0.2);
  return {
    train: take(x, y, 64, order.subarray(nTest)), test: take(x, y, 64, order.subarray(0, nTest)),
    exampleShape: image ? [8, 8, 1] : [64], xDtype: 'float32', numClasses: 10,
  };
}

function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const nd = buf[3];
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * nd, dims.reduce((a, b) => a * b, 1)) };
}

/** The first `nTrain` / `nTest` Fashion-MNIST examples, pixels / 255. */
export function fashion(nTrain: number, nTest: number, image = false): LoadedData {
  const dir = path.join(SHARED_DATASETS, 'fashion-mnist');
  const split = (img: string, lab: string, n: number): Split => {
    const xi = readIdx(path.join(dir, img));
    const yi = readIdx(path.join(dir, lab));
    const x = new Float32Array(n * 784);
    for (let i = 0; i < n * 784; i++) x[i] = xi.data[i] / 255;
    return { x, y: Int32Array.from(yi.data.subarray(0, n)), count: n };
  };
  return {
    train: split('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', nTrain),
    test: split('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', nTest),
    exampleShape: image ? [28, 28, 1] : [784], xDtype: 'float32', numClasses: 10,
  };
}

/**
 * Synthetic task: x ~ N(0, I_d), label = argmax of a random two-layer ReLU teacher network,
 * so the students have a non-trivial but learnable function to fit.
 */
export function synthetic(nTrain: number, nTest: number, dim = 32, classes = 8, seed = 5): LoadedData {
  const rng = createRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const hidden = 64;
  const w1 = Array.from({ length: dim * hidden }, gauss);
  const w2 = Array.from({ length: hidden * classes }, gauss);
  const n = nTrain + nTest;
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  const h = new Float64Array(hidden);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) x[i * dim + j] = gauss();
    for (let k = 0; k < hidden; k++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += x[i * dim + j] * w1[j * hidden + k];
      h[k] = Math.max(0, s);
    }
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let k = 0; k < hidden; k++) s += h[k] * w2[k * classes + c];
      if (s > bestV) [best, bestV] = [c, s];
    }
    y[i] = best;
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    train: take(x, y, dim, all.subarray(0, nTrain)), test: take(x, y, dim, all.subarray(nTrain)),
    exampleShape: [dim], xDtype: 'float32', numClasses: classes,
  };
}
