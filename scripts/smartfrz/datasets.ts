/**
 * Datasets of the offline SmartFRZ pipeline and of `npm run bench:freezing`.
 * - Generated here, for the predictor's training and calibration pairs (no shipped or
 *   benchmark data ever enters the fit): a random-teacher task, Gaussian mixtures and
 *   stroke images of any size, each with parameters the pair generator draws.
 * - Read from ../shared/datasets, for the bench's held-out pairs only: digits and
 *   Fashion-MNIST, with a dev split carved from their training files (Fashion-MNIST's t10k
 *   test split is never read).
 */
import * as path from 'node:path';
import { createRng } from '../../src/core/util/random';
import { loadData } from '../../src/core/data/load';
import type { LoadedData, Split } from '../../src/core/data/types';

/** `MODEL_LAB_DATASETS`, else `../shared/datasets` beside the repository. */
export const SHARED_DATASETS = process.env.MODEL_LAB_DATASETS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'datasets');

function take(x: Float32Array, y: Int32Array, dim: number, idx: ArrayLike<number>): Split {
  const sx = new Float32Array(idx.length * dim);
  const sy = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    sx.set(x.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
    sy[i] = y[idx[i]];
  }
  return { x: sx, y: sy, count: idx.length };
}

/** Digits through the product's loader (80/20 seeded split: the 20% is the dev split, / 16); `image` views examples as [8, 8, 1]. */
export async function digits(image = false): Promise<LoadedData> {
  const d = await loadData(
    { format: 'csv', train: path.join(SHARED_DATASETS, 'digits', 'digits.csv.gz'), label: 'last', scale: 16, testSplit: 0.2 },
    { seed: 11 },
  );
  return image ? { ...d, exampleShape: [8, 8, 1] } : d;
}

/**
 * `nTrain` training and `nDev` dev images from Fashion-MNIST's TRAINING file ([28, 28, 1], / 255):
 * the first nTrain + nDev images, nDev of them held out by the loader's seeded split. The t10k
 * test split is not read, so nothing here can be tuned on it.
 */
export async function fashion(nTrain: number, nDev: number): Promise<LoadedData> {
  const dir = path.join(SHARED_DATASETS, 'fashion-mnist');
  return loadData(
    {
      format: 'idx',
      train: { images: path.join(dir, 'train-images-idx3-ubyte.gz'), labels: path.join(dir, 'train-labels-idx1-ubyte.gz') },
      scale: 255,
      limit: nTrain + nDev,
      testSplit: nDev / (nTrain + nDev),
    },
    { seed: 11 },
  );
}

/** Synthetic teacher task: how it is drawn (every field changes the task; all generated, no shipped data). */
export interface TeacherTask {
  dim: number;
  classes: number;
  /** Hidden width of the random ReLU teacher. */
  hidden: number;
  /** Share of labels replaced by a uniformly random class (caps the reachable accuracy). */
  labelNoise: number;
  seed: number;
}

/**
 * Synthetic task: x ~ N(0, I_d), label = argmax of a random two-layer ReLU teacher network
 * (with `labelNoise` of the labels re-drawn at random), so the students have a non-trivial but
 * learnable function to fit.
 */
export function synthetic(nTrain: number, nTest: number, dim = 32, classes = 8, seed = 5, hidden = 64, labelNoise = 0): LoadedData {
  const rng = createRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
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
    y[i] = rng.next() < labelNoise ? rng.int(classes) : best;
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    train: take(x, y, dim, all.subarray(0, nTrain)), test: take(x, y, dim, all.subarray(nTrain)),
    exampleShape: [dim], xDtype: 'float32', numClasses: classes,
  };
}

/**
 * Synthetic Gaussian-mixture task: each class is `clustersPerClass` Gaussian clusters (centres
 * N(0, I), spread `spread`) in `dim` dimensions, so classes interleave and overlap.
 */
export function clusters(nTrain: number, nTest: number, dim: number, classes: number, clustersPerClass: number, spread: number, seed: number): LoadedData {
  const rng = createRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const centres = Array.from({ length: classes * clustersPerClass }, () => Array.from({ length: dim }, gauss));
  const n = nTrain + nTest;
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(centres.length);
    y[i] = k % classes;
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[k][j] + spread * gauss();
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    train: take(x, y, dim, all.subarray(0, nTrain)), test: take(x, y, dim, all.subarray(nTrain)),
    exampleShape: [dim], xDtype: 'float32', numClasses: classes,
  };
}

/**
 * Synthetic SxS "stroke images" (28x28 by default: a Fashion-MNIST-sized task that is not
 * Fashion-MNIST, so the bench's datasets stay held out; coordinates scale with `size`). Classes overlap on purpose, like Fashion-MNIST's shirts and
 * pullovers: 8 shared base strokes, each class draws 3 of them plus one stroke of its own. An
 * example re-draws its class's strokes with every endpoint jittered by up to ±2 pixels, shifts
 * the image by up to ±3 pixels, scales its contrast, blends in a random other class's strokes
 * (weight up to 0.6) and adds Gaussian pixel noise (`noise`, 0.25), clipped to [0, 1].
 */
export function strokeImages(nTrain: number, nTest: number, seed = 21, classes = 10, size = 28, noise = 0.25): LoadedData {
  const S = size;
  const k = S / 28;
  const rng = createRng(seed);
  const u = (a: number, b: number): number => a + (b - a) * rng.next();
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  type Stroke = [number, number, number, number];
  const stroke = (): Stroke => [u(5 * k, 22 * k), u(5 * k, 22 * k), u(5 * k, 22 * k), u(5 * k, 22 * k)];
  const base = Array.from({ length: 8 }, stroke);
  const classStrokes: Stroke[][] = Array.from({ length: classes }, () => {
    const picks = new Set<number>();
    while (picks.size < 3) picks.add(rng.int(base.length));
    return [...[...picks].map((i) => base[i]), stroke()];
  });
  const width = Math.max(0.6, 1.2 * k);
  const shift = Math.max(1, Math.round(3 * k));
  const draw = (img: Float32Array, strokes: Stroke[], weight: number, jitter: number, sx: number, sy: number): void => {
    for (const s0 of strokes) {
      const [x1, y1, x2, y2] = s0.map((v) => v + u(-jitter, jitter));
      const dx = x2 - x1;
      const dy = y2 - y1;
      const len2 = Math.max(dx * dx + dy * dy, 1e-6);
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const qx = x - sx;
          const qy = y - sy;
          const t = Math.max(0, Math.min(1, ((qx - x1) * dx + (qy - y1) * dy) / len2));
          const d2 = (qx - x1 - t * dx) ** 2 + (qy - y1 - t * dy) ** 2;
          const v = weight * Math.exp(-d2 / (2 * width * width));
          if (v > img[y * S + x]) img[y * S + x] = v;
        }
      }
    }
  };
  const n = nTrain + nTest;
  const x = new Float32Array(n * S * S);
  const y = new Int32Array(n);
  const img = new Float32Array(S * S);
  for (let i = 0; i < n; i++) {
    const c = rng.int(classes);
    const other = (c + 1 + rng.int(classes - 1)) % classes;
    y[i] = c;
    img.fill(0);
    draw(img, classStrokes[c], u(0.6, 1.1), 2 * k, rng.int(2 * shift + 1) - shift, rng.int(2 * shift + 1) - shift);
    draw(img, classStrokes[other], u(0, 0.6), 2 * k, rng.int(2 * shift + 1) - shift, rng.int(2 * shift + 1) - shift);
    for (let p = 0; p < S * S; p++) x[i * S * S + p] = Math.max(0, Math.min(1, img[p] + noise * gauss()));
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    train: take(x, y, S * S, all.subarray(0, nTrain)), test: take(x, y, S * S, all.subarray(nTrain)),
    exampleShape: [S, S, 1], xDtype: 'float32', numClasses: classes,
  };
}
