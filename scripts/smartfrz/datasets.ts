/**
 * The datasets of the offline SmartFRZ pipeline, kept small so the whole pipeline runs in
 * minutes: digits (1,797 8x8 images) and a Fashion-MNIST subset, read by the product's loader,
 * and a synthetic teacher-network task generated here (standard-normal inputs).
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

/** Digits through the product's loader (80/20 seeded split, / 16); `image` views examples as [8, 8, 1]. */
export async function digits(image = false): Promise<LoadedData> {
  const d = await loadData(
    { format: 'csv', train: path.join(SHARED_DATASETS, 'digits', 'digits.csv.gz'), label: 'last', scale: 16, testSplit: 0.2 },
    { seed: 11 },
  );
  return image ? { ...d, exampleShape: [8, 8, 1] } : d;
}

/** The first `nTrain` Fashion-MNIST training images and `nTest` test images ([28, 28, 1], / 255). */
export async function fashion(nTrain: number, nTest: number): Promise<LoadedData> {
  const dir = path.join(SHARED_DATASETS, 'fashion-mnist');
  const d = await loadData(
    {
      format: 'idx',
      train: { images: path.join(dir, 'train-images-idx3-ubyte.gz'), labels: path.join(dir, 'train-labels-idx1-ubyte.gz') },
      test: { images: path.join(dir, 't10k-images-idx3-ubyte.gz'), labels: path.join(dir, 't10k-labels-idx1-ubyte.gz') },
      scale: 255,
      limit: nTrain,
    },
    { seed: 11 },
  );
  const n = Math.min(nTest, d.test.count);
  return { ...d, test: take(d.test.x as Float32Array, d.test.y, 784, Int32Array.from({ length: n }, (_, i) => i)) };
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

/**
 * Synthetic 28x28 "stroke images" (a Fashion-MNIST-sized task that is not Fashion-MNIST, so the
 * bench's dataset stays held out). Classes overlap on purpose, like Fashion-MNIST's shirts and
 * pullovers: 8 shared base strokes, each class draws 3 of them plus one stroke of its own. An
 * example re-draws its class's strokes with every endpoint jittered by up to ±2 pixels, shifts
 * the image by up to ±3 pixels, scales its contrast, blends in a random other class's strokes
 * (weight up to 0.6) and adds Gaussian pixel noise (0.25), clipped to [0, 1].
 */
export function strokeImages(nTrain: number, nTest: number, seed = 21, classes = 10): LoadedData {
  const S = 28;
  const rng = createRng(seed);
  const u = (a: number, b: number): number => a + (b - a) * rng.next();
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  type Stroke = [number, number, number, number];
  const stroke = (): Stroke => [u(5, 22), u(5, 22), u(5, 22), u(5, 22)];
  const base = Array.from({ length: 8 }, stroke);
  const classStrokes: Stroke[][] = Array.from({ length: classes }, () => {
    const picks = new Set<number>();
    while (picks.size < 3) picks.add(rng.int(base.length));
    return [...[...picks].map((i) => base[i]), stroke()];
  });
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
          const v = weight * Math.exp(-d2 / (2 * 1.2 * 1.2));
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
    draw(img, classStrokes[c], u(0.6, 1.1), 2, rng.int(7) - 3, rng.int(7) - 3);
    draw(img, classStrokes[other], u(0, 0.6), 2, rng.int(7) - 3, rng.int(7) - 3);
    for (let k = 0; k < S * S; k++) x[i * S * S + k] = Math.max(0, Math.min(1, img[k] + 0.25 * gauss()));
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    train: take(x, y, S * S, all.subarray(0, nTrain)), test: take(x, y, S * S, all.subarray(nTrain)),
    exampleShape: [S, S, 1], xDtype: 'float32', numClasses: classes,
  };
}
