import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { randomViews } from '../../../src/core/distill/views';
import { createRng } from '../../../src/core/util/random';
import { useBackend } from '../train/fixtures';

before(useBackend);

const N = 16;
const H = 6;
const W = 5;
/** Distinct pixel values, so a view identifies its shift and flip. */
function batch(): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: N * H * W }, (_, i) => 1 + i), [N, H, W, 1]);
}

/** The image `img` (`[h][w]`) shifted by (dy, dx) with zeros coming in, optionally mirrored first. */
function expected(img: number[][], dy: number, dx: number, mirrored: boolean): number[][] {
  const src = mirrored ? img.map((r) => [...r].reverse()) : img;
  return src.map((_, y) => src[0].map((__, x) => src[y - dy]?.[x - dx] ?? 0));
}

function images(t: tf.Tensor4D): number[][][] {
  return (t.reshape([N, H, W]).arraySync() as number[][][]);
}

it('without jitter or flip a view is the batch itself', () => {
  const x = batch();
  const v = randomViews(x, 0, false, createRng(1));
  assert.deepEqual(v.dataSync(), x.dataSync());
  tf.dispose([x, v]);
});

it('each image is shifted by its own offset within the jitter (zeros shifted in) and mirrored on its own', () => {
  const x = batch();
  const before = tf.memory().numTensors;
  const v = randomViews(x, 2, true, createRng(7));
  assert.equal(tf.memory().numTensors, before + 1, 'only the view is left');
  const src = images(x);
  const out = images(v);
  const seen = new Set<string>();
  let mirrored = 0;
  for (let i = 0; i < N; i++) {
    let match: string | undefined;
    for (let dy = -2; dy <= 2 && !match; dy++) {
      for (let dx = -2; dx <= 2 && !match; dx++) {
        for (const m of [false, true]) {
          const e = expected(src[i], dy, dx, m);
          if (e.every((row, y) => row.every((val, xx) => Math.abs(val - out[i][y][xx]) < 1e-4))) match = `${dy},${dx},${m}`;
        }
      }
    }
    assert.ok(match, `image ${i} is no shift of at most 2 pixels of its source, mirrored or not`);
    seen.add(match!.split(',').slice(0, 2).join(','));
    if (match!.endsWith('true')) mirrored++;
  }
  assert.ok(seen.size >= 4, `images drew their own shifts (${seen.size} distinct over ${N})`);
  assert.ok(mirrored > 0 && mirrored < N, `some images mirrored, some not (${mirrored} of ${N})`);
  tf.dispose([x, v]);
});

it('is a function of the random state: the same draws give the same views', () => {
  const x = batch();
  const a = randomViews(x, 1, true, createRng(3));
  const b = randomViews(x, 1, true, createRng(3));
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([x, a, b]);
});
