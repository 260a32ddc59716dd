import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initUnet, type UnetShape } from '../../../src/core/diffusion/generation/networks';
import { type Noise, SCALE_SCHEDULES, sampleTwoScale, type TwoScaleModel, twoScaleLoss } from '../../../src/core/diffusion/generation/twoScale';
import type { Prediction } from '../../../src/core/diffusion/sampler';
import { makeSchedule } from '../../../src/core/diffusion/schedule';
import { createRng } from '../../../src/core/util/random';
import { useBackend } from '../train/fixtures';

before(useBackend);

const shape: UnetShape = { coarseChannels: 2, fineChannels: 1, width: 4, classes: 3, embed: 8 };
const model = (prediction: Prediction): TwoScaleModel => ({ shape, schedule: makeSchedule('cosine', 1000), scale: { coarse: 0.5, fine: 0.5 }, prediction });

/** The same seeded draws for every call made with the same seed. */
function noise(seed: number): Noise {
  const rng = createRng(seed);
  return { normal: (s) => tf.randomNormal(s, 0, 1, 'float32', rng.int(2 ** 31 - 1)), int: (n) => rng.int(n), next: () => rng.next() };
}

describe('two-scale latent diffusion: loss options and sampling', () => {
  let p: ReturnType<typeof initUnet>;
  let coarse0: tf.Tensor4D;
  let fine0: tf.Tensor4D;
  before(() => {
    p = initUnet(shape, 1);
    coarse0 = tf.randomNormal([16, 7, 7, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    fine0 = tf.randomNormal([16, 14, 14, 1], 0, 1, 'float32', 6) as tf.Tensor4D;
  });
  const labels = Int32Array.from({ length: 16 }, (_, i) => i % 3);
  const loss = (arm: (typeof SCALE_SCHEDULES)[number], prediction: Prediction, minSnr: number) =>
    tf.tidy(() => {
      const l = twoScaleLoss(model(prediction), p, arm, coarse0, fine0, labels, noise(9), { dropLabel: 0.1, minSnr });
      return { loss: l.loss.dataSync()[0], coarse: l.coarse.dataSync()[0], fine: l.fine.dataSync()[0] };
    });

  for (const arm of SCALE_SCHEDULES) {
    it(`${arm}: Min-SNR weights lower the eps loss (nearly clean rows count less); the loss combines the two latents as documented`, () => {
      const plain = loss(arm, 'eps', 0);
      const weighted = loss(arm, 'eps', 5);
      assert.ok(Number.isFinite(weighted.loss) && weighted.loss > 0);
      assert.ok(weighted.loss < plain.loss, `${weighted.loss} < ${plain.loss}`);
      for (const l of [plain, weighted]) {
        // single-scale: every latent coordinate alike (49*2 coarse, 196 fine); coarse-to-fine: Frido's 0.5 / 0.5.
        const expected = arm === 'single-scale' ? (98 * l.coarse + 196 * l.fine) / 294 : 0.5 * l.coarse + 0.5 * l.fine;
        assert.ok(Math.abs(l.loss - expected) < 1e-5 * expected, `${l.loss} vs ${expected}`);
      }
    });

    it(`${arm}: v prediction trains on another target than eps (same draws)`, () => {
      const eps = loss(arm, 'eps', 0);
      const v = loss(arm, 'v', 0);
      assert.ok(Number.isFinite(v.loss) && v.loss > 0);
      assert.ok(Math.abs(v.loss - eps.loss) > 1e-3, `${v.loss} vs ${eps.loss}`);
    });

    it(`${arm}: sampling a v model gives latents of the right shapes inside the clipping range, the same for the same noise`, () => {
      const run = () => {
        const z = sampleTwoScale(model('v'), p, arm, Int32Array.from([0, 1, 2, 0]), { calls: 4, guidance: 2, coarseShare: 0.5 }, noise(3).normal);
        return { coarse: z.coarse, fine: z.fine };
      };
      const a = run();
      const b = run();
      assert.deepEqual(a.coarse.shape, [4, 7, 7, 2]);
      assert.deepEqual(a.fine.shape, [4, 14, 14, 1]);
      // The last DDIM step returns the clipped x0: |latent| <= 1 / scale = 2.
      for (const z of [a.coarse, a.fine]) assert.ok(tf.max(tf.abs(z)).dataSync()[0] <= 2 + 1e-5);
      assert.deepEqual(Array.from(a.fine.dataSync()), Array.from(b.fine.dataSync()));
      tf.dispose([a.coarse, a.fine, b.coarse, b.fine]);
    });
  }
});
