import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { deepInversionLoss, halfResolution } from '../../../src/core/distill/deepInversion';
import { DEFAULT_SYNTHESIS } from '../../../src/core/distill/settings';
import { UserError } from '../../../src/core/errors';
import type { LayerConfig } from '../../../src/core/experiment/types';
import { buildModel } from '../../../src/core/model/build';
import { createRng } from '../../../src/core/util/random';
import { useBackend } from '../train/fixtures';

before(useBackend);

/** Images `[n, h, w, c]` of distinct seeded values. */
function images(n: number, h: number, w: number, c: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => rng.next()), [n, h, w, c]);
}

it('half resolution replaces each 2x2 block of every channel by its mean, at full size', () => {
  const x = images(2, 4, 6, 3, 1);
  const got = halfResolution(x).arraySync();
  const v = x.arraySync();
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < 4; y++) {
      for (let xx = 0; xx < 6; xx++) {
        for (let c = 0; c < 3; c++) {
          const [y0, x0] = [y - (y % 2), xx - (xx % 2)];
          const mean = (v[n][y0][x0][c] + v[n][y0 + 1][x0][c] + v[n][y0][x0 + 1][c] + v[n][y0 + 1][x0 + 1][c]) / 4;
          assert.ok(Math.abs(got[n][y][xx][c] - mean) < 1e-6, `(${n}, ${y}, ${xx}, ${c}): ${got[n][y][xx][c]} vs ${mean}`);
        }
      }
    }
  }
  assert.throws(() => halfResolution(images(1, 5, 4, 1, 2)), (e: unknown) => e instanceof UserError && /even sides, got 5x4/.test((e as Error).message));
});

it('a coarse synthesis step: the loss of a block-constant batch is unchanged, and the gradient is one value per 2x2 block', async () => {
  const shape = [8, 8, 1];
  const teacher = await buildModel({ inputShape: shape, layers: [
    { name: 'flatten', type: 'flatten' },
    { name: 'fc1', type: 'dense', units: 16, activation: 'relu' },
    { name: 'bn1', type: 'batchNormalization' },
    { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ] as LayerConfig[] }, { exampleShape: shape, inputDtype: 'float32', seed: 2 });
  const s = { ...DEFAULT_SYNTHESIS, tvWeight: 1e-2 };
  const y = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');
  const lossOf = (x: tf.Tensor, coarse: boolean) => deepInversionLoss(teacher, x, y, s, { dy: 1, dx: -1, flip: false, coarse }).loss;

  const blocky = halfResolution(images(6, 8, 8, 1, 3));
  assert.ok(Math.abs(lossOf(blocky, true).dataSync()[0] - lossOf(blocky, false).dataSync()[0]) < 1e-5);

  const x = images(6, 8, 8, 1, 4);
  const coarse = tf.grad((v: tf.Tensor) => lossOf(v, true))(x).arraySync() as number[][][][];
  const fine = tf.grad((v: tf.Tensor) => lossOf(v, false))(x).arraySync() as number[][][][];
  let spreadInBlocks = 0;
  let fineSpread = 0;
  for (let n = 0; n < 6; n++) {
    for (let by = 0; by < 8; by += 2) {
      for (let bx = 0; bx < 8; bx += 2) {
        const block = (g: number[][][][]) => [g[n][by][bx][0], g[n][by + 1][bx][0], g[n][by][bx + 1][0], g[n][by + 1][bx + 1][0]];
        spreadInBlocks = Math.max(spreadInBlocks, Math.max(...block(coarse)) - Math.min(...block(coarse)));
        fineSpread = Math.max(fineSpread, Math.max(...block(fine)) - Math.min(...block(fine)));
      }
    }
  }
  assert.ok(spreadInBlocks < 1e-7, `coarse gradient differs inside a block by ${spreadInBlocks}`);
  assert.ok(fineSpread > 1e-4, `the full-resolution gradient should differ inside blocks (${fineSpread})`);
  teacher.dispose();
});
