import { parseIdxImages, parseIdxLabels } from '../../data/idx';
import { readDataFile } from '../../data/readFile';
import { UserError } from '../../errors';
import { createRng, type Rng } from '../../util/random';

/** Labelled grey images, pixels in [0, 1], row-major [count, height, width]. */
export interface LabelledImages {
  count: number;
  height: number;
  width: number;
  x: Float32Array;
  y: Int32Array;
  classes: number;
}

/** Fashion-MNIST's classes (Zalando Research), index = label. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The generated `shapes` toy's classes (see `shapesDataset`). */
export const SHAPES_CLASSES = ['square', 'ring', 'disc', 'h-bar', 'v-bar', 'diagonal \\', 'diagonal /', 'plus', 'cross', 'triangle'];

/** An IDX image file and its label file (e.g. Fashion-MNIST's `train-*-ubyte.gz`), pixels / 255. */
export async function readIdxImages(images: string, labels: string, pointer: string, limit?: number): Promise<LabelledImages> {
  const img = parseIdxImages(await readDataFile(images, `${pointer}/images`), images, `${pointer}/images`, 255);
  const lab = parseIdxLabels(await readDataFile(labels, `${pointer}/labels`), labels, `${pointer}/labels`);
  if (img.count !== lab.length) throw new UserError(`${img.count} images but ${lab.length} labels`, `${pointer}/labels`, labels);
  if (img.height !== 28 || img.width !== 28) throw new UserError(`images are ${img.height}x${img.width}; the two-scale autoencoder needs 28x28`, `${pointer}/images`, images);
  const count = Math.min(img.count, limit ?? Infinity);
  let classes = 0;
  for (let i = 0; i < count; i++) classes = Math.max(classes, lab[i] + 1);
  return { count, height: 28, width: 28, x: img.x.subarray(0, count * 784), y: lab.subarray(0, count), classes };
}

/** The first `count` images (views, no copy). */
export function takeImages(d: LabelledImages, start: number, count: number): LabelledImages {
  const n = Math.max(0, Math.min(count, d.count - start));
  const px = d.height * d.width;
  return { ...d, count: n, x: d.x.subarray(start * px, (start + n) * px), y: d.y.subarray(start, start + n) };
}

/**
 * A generated, learnable 10-class image toy at 28x28 for tests and offline examples: a filled
 * square, a ring, a disc, a horizontal bar, a vertical bar, two diagonals, a plus, a cross and a
 * triangle, each with random size, position and brightness, anti-aliased, plus faint noise.
 * Deterministic under `seed`; classes are balanced (round robin).
 */
export function shapesDataset(count: number, seed: number): LabelledImages {
  const rng = createRng(seed);
  const x = new Float32Array(count * 784);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 10;
    y[i] = c;
    drawShape(x.subarray(i * 784, (i + 1) * 784), c, rng);
  }
  return { count, height: 28, width: 28, x, y, classes: 10 };
}

function drawShape(img: Float32Array, c: number, rng: Rng): void {
  const cx = 14 + (rng.next() - 0.5) * 6;
  const cy = 14 + (rng.next() - 0.5) * 6;
  const r = 6 + rng.next() * 3;
  const bright = 0.7 + 0.3 * rng.next();
  const w = 1.6 + rng.next() * 0.8;
  const lineDist = (px: number, py: number, ax: number, ay: number, bx: number, by: number) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(px - ax - t * dx, py - ay - t * dy);
  };
  for (let py = 0; py < 28; py++) {
    for (let px = 0; px < 28; px++) {
      const u = px + 0.5 - cx;
      const v = py + 0.5 - cy;
      const d = Math.hypot(u, v);
      // Signed distance-like value: <= 0 inside the stroke or shape.
      let s: number;
      switch (c) {
        case 0: s = Math.max(Math.abs(u), Math.abs(v)) - r; break;
        case 1: s = Math.abs(d - r) - w / 2; break;
        case 2: s = d - r; break;
        case 3: s = Math.max(Math.abs(u) - r, Math.abs(v) - w); break;
        case 4: s = Math.max(Math.abs(v) - r, Math.abs(u) - w); break;
        case 5: s = lineDist(u, v, -r, -r, r, r) - w / 2; break;
        case 6: s = lineDist(u, v, -r, r, r, -r) - w / 2; break;
        case 7: s = Math.min(Math.max(Math.abs(u) - r, Math.abs(v) - w / 2), Math.max(Math.abs(v) - r, Math.abs(u) - w / 2)); break;
        case 8: s = Math.min(lineDist(u, v, -r, -r, r, r), lineDist(u, v, -r, r, r, -r)) - w / 2; break;
        default: {
          // Triangle pointing up: inside when below both slanted edges and above the base.
          const base = v - r * 0.8;
          const left = -(v + r) * 0.5 - u * 0.87;
          const right = -(v + r) * 0.5 + u * 0.87;
          s = Math.max(base, left * 0.9, right * 0.9);
        }
      }
      const coverage = Math.min(1, Math.max(0, 0.5 - s));
      img[py * 28 + px] = Math.min(1, Math.max(0, bright * coverage + 0.03 * (rng.next() - 0.5)));
    }
  }
}
