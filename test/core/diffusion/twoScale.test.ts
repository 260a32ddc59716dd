import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initUnet, unet, type UnetShape } from '../../../src/core/diffusion/generation/networks';
import { coarseRowCount, type Noise, SCALE_SCHEDULES, sampleTwoScale, stageCalls, type TwoScaleModel, twoScaleLoss } from '../../../src/core/diffusion/generation/twoScale';
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

  it('coarse-to-fine splits its calls between the stages by the coarse share, at least one each', () => {
    assert.deepEqual(stageCalls(20, 0.5), { coarse: 10, fine: 10 });
    assert.deepEqual(stageCalls(20, 0.7), { coarse: 14, fine: 6 });
    assert.deepEqual(stageCalls(20, 0.3), { coarse: 6, fine: 14 });
    assert.deepEqual(stageCalls(2, 0.9), { coarse: 1, fine: 1 });
    assert.throws(() => stageCalls(1, 0.5), /calls must be a whole number >= 2/);
    assert.throws(() => stageCalls(20, 1), /coarseShare/);
  });

  it('the coarse latent conditions the fine prediction at 14x14, not only through the 7x7 bottleneck', () => {
    // Cut the coarse latent out of the 7x7 block (mid1's input channels after the 2 * width features):
    // the fine output must still change with the coarse latent.
    const cut = { ...p, 'mid1/w': tf.concat([tf.slice(p['mid1/w'], [0, 0, 0, 0], [3, 3, 2 * shape.width, -1]), tf.zeros([3, 3, shape.coarseChannels, 2 * shape.width])], 2) };
    const fine = tf.randomNormal([2, 14, 14, 1], 0, 1, 'float32', 11);
    const t = Int32Array.from([500, 500]);
    const lab = Int32Array.from([0, 1]);
    const a = unet(cut, shape, tf.randomNormal([2, 7, 7, 2], 0, 1, 'float32', 12), fine, t, lab, 'fine').fine;
    const b = unet(cut, shape, tf.randomNormal([2, 7, 7, 2], 0, 1, 'float32', 13), fine, t, lab, 'fine').fine;
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] > 1e-4, 'the fine prediction depends on the coarse latent at 14x14');
  });

  it('coarse-to-fine: the coarse stage sees no draw of the fine stage (its fine input is zeros), and the fine stage alone can run on given coarse latents', () => {
    // The first draw is the coarse x_T; later draws (the fine stage's) come from another seed per run.
    const source = (later: number) => {
      const rng = createRng(later);
      let calls = 0;
      return (s: number[]) => tf.randomNormal(s, 0, 1, 'float32', calls++ === 0 ? 42 : rng.int(2 ** 31 - 1));
    };
    const settings = { calls: 6, guidance: 1, coarseShare: 0.5 };
    const labels = Int32Array.from([0, 1, 2]);
    const a = sampleTwoScale(model('v'), p, 'coarse-to-fine', labels, settings, source(1));
    const b = sampleTwoScale(model('v'), p, 'coarse-to-fine', labels, settings, source(2));
    assert.deepEqual(Array.from(a.coarse.dataSync()), Array.from(b.coarse.dataSync()));
    assert.notDeepEqual(Array.from(a.fine.dataSync()), Array.from(b.fine.dataSync()));
    const given = tf.randomNormal([3, 7, 7, 2], 0, 0.5, 'float32', 7) as tf.Tensor4D;
    const f = sampleTwoScale(model('v'), p, 'coarse-to-fine', labels, settings, source(1), given);
    assert.deepEqual(Array.from(f.coarse.dataSync()), Array.from(given.dataSync()), 'the given coarse latents are kept');
    assert.deepEqual(f.fine.shape, [3, 14, 14, 1]);
    assert.throws(() => sampleTwoScale(model('v'), p, 'single-scale', labels, settings, source(1), given), /no fine stage/);
    tf.dispose([a.coarse, a.fine, b.coarse, b.fine, f.coarse, f.fine, given]);
  });

  it('coarse-to-fine: a share of the rows on the coarse stage, every row counting alike; single-scale ignores it', () => {
    assert.equal(coarseRowCount(64), 32);
    assert.equal(coarseRowCount(64, 2 / 3), 42);
    assert.equal(coarseRowCount(2, 0.9), 1);
    assert.throws(() => coarseRowCount(64, 1), /coarseRows/);
    assert.throws(() => coarseRowCount(1, 0.5), /at least 2 rows/);
    const at = (arm: (typeof SCALE_SCHEDULES)[number], coarseRows?: number) =>
      tf.tidy(() => {
        const l = twoScaleLoss(model('v'), p, arm, coarse0, fine0, labels, noise(9), { dropLabel: 0.1, minSnr: 0, coarseRows });
        return { loss: l.loss.dataSync()[0], coarse: l.coarse.dataSync()[0], fine: l.fine.dataSync()[0] };
      });
    const quarter = at('coarse-to-fine', 0.75); // 12 of 16 rows on the coarse stage
    assert.ok(Math.abs(quarter.loss - (0.75 * quarter.coarse + 0.25 * quarter.fine)) < 1e-5 * quarter.loss);
    assert.notEqual(quarter.coarse, at('coarse-to-fine').coarse);
    assert.deepEqual(at('single-scale', 0.75), at('single-scale'));
  });

  it("coarse-to-fine: the coarse stage trains and samples on its own (shifted) schedule, single-scale's joint chain on its own; the fine stage on neither", () => {
    const shifted: TwoScaleModel = { ...model('v'), coarseSchedule: makeSchedule('cosine', 1000, 2 * Math.LN2) };
    const run = (m: TwoScaleModel, arm: (typeof SCALE_SCHEDULES)[number]) =>
      tf.tidy(() => {
        const l = twoScaleLoss(m, p, arm, coarse0, fine0, labels, noise(9), { dropLabel: 0.1, minSnr: 0 });
        return { coarse: l.coarse.dataSync()[0], fine: l.fine.dataSync()[0] };
      });
    const plain = run(model('v'), 'coarse-to-fine');
    const moved = run(shifted, 'coarse-to-fine');
    assert.notEqual(moved.coarse, plain.coarse);
    assert.equal(moved.fine, plain.fine);
    assert.deepEqual(run(shifted, 'single-scale'), run(model('v'), 'single-scale'), "single-scale does not see the coarse stage's schedule");
    const joint: TwoScaleModel = { ...model('v'), jointSchedule: makeSchedule('cosine', 1000, -2 * Math.LN2) };
    assert.notDeepEqual(run(joint, 'single-scale'), run(model('v'), 'single-scale'));
    assert.deepEqual(run(joint, 'coarse-to-fine'), plain, "coarse-to-fine does not see single-scale's schedule");
    const settings = { calls: 6, guidance: 1, coarseShare: 0.5 };
    const lab = Int32Array.from([0, 1, 2]);
    const a = sampleTwoScale(model('v'), p, 'coarse-to-fine', lab, settings, noise(4).normal);
    const b = sampleTwoScale(shifted, p, 'coarse-to-fine', lab, settings, noise(4).normal);
    assert.notDeepEqual(Array.from(a.coarse.dataSync()), Array.from(b.coarse.dataSync()));
    const given = tf.randomNormal([3, 7, 7, 2], 0, 0.5, 'float32', 7) as tf.Tensor4D;
    const fa = sampleTwoScale(model('v'), p, 'coarse-to-fine', lab, settings, noise(4).normal, given);
    const fb = sampleTwoScale(shifted, p, 'coarse-to-fine', lab, settings, noise(4).normal, given);
    assert.deepEqual(Array.from(fa.fine.dataSync()), Array.from(fb.fine.dataSync()), 'the fine stage keeps the unshifted schedule');
    const sa = sampleTwoScale(model('v'), p, 'single-scale', lab, settings, noise(4).normal);
    const sb = sampleTwoScale(joint, p, 'single-scale', lab, settings, noise(4).normal);
    assert.notDeepEqual(Array.from(sa.coarse.dataSync()), Array.from(sb.coarse.dataSync()), "single-scale samples on its joint chain's schedule");
    tf.dispose([sa.coarse, sa.fine, sb.coarse, sb.fine]);
    tf.dispose([a.coarse, a.fine, b.coarse, b.fine, fa.coarse, fa.fine, fb.coarse, fb.fine, given]);
  });
});
