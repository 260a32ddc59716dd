import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initMlpDenoiser, mlpDenoiser } from '../../../src/core/diffusion/mlpDenoiser';
import {
  denoisingLoss, type EpsModel, epsFromPrediction, minSnrWeights, predictionTarget, predictX0, qSample, randomTimesteps, sampleDdim, sampleDdpm,
} from '../../../src/core/diffusion/sampler';
import { makeSchedule } from '../../../src/core/diffusion/schedule';
import { TrainingSession } from '../../../src/core/train/loop';
import { createRng } from '../../../src/core/util/random';
import { useBackend } from '../train/fixtures';

before(useBackend);

const seeded = (seed: number) => {
  const rng = createRng(seed);
  return (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', rng.int(2 ** 31 - 1));
};

/** The exact noise model of data that is a single point c: eps = (x_t - sqrt(alphaBar_t) c) / sqrt(1 - alphaBar_t). */
function pointOracle(schedule: ReturnType<typeof makeSchedule>, c: number[]): EpsModel {
  return (x, t) => {
    const ab = Float32Array.from(t, (ti) => schedule.alphaBars[ti]);
    const a = tf.tensor2d(ab, [t.length, 1]);
    return tf.div(tf.sub(x, tf.mul(tf.sqrt(a), tf.tensor1d(c))), tf.sqrt(tf.sub(1, a)));
  };
}

describe('forward process and samplers', () => {
  it('qSample and predictX0 invert each other given the true noise', () => {
    const s = makeSchedule('cosine', 100);
    const x0 = tf.tensor2d([[0.3, -0.7], [1, 0.1], [-0.2, 0.5]]);
    const eps = tf.tensor2d([[1, -1], [0.5, 2], [-1.5, 0]]);
    const t = Int32Array.from([0, 50, 99]);
    const back = predictX0(s, qSample(s, x0, t, eps), t, eps);
    assert.ok(tf.max(tf.abs(tf.sub(back, x0))).dataSync()[0] < 1e-3);
  });

  for (const [name, sample] of [
    ['DDPM', (s: ReturnType<typeof makeSchedule>, m: EpsModel, xT: tf.Tensor, seed: number) => sampleDdpm(s, m, xT, { noise: seeded(seed) })],
    ['DDIM (10 of 100 steps)', (s: ReturnType<typeof makeSchedule>, m: EpsModel, xT: tf.Tensor, seed: number) => sampleDdim(s, m, xT, 10, { noise: seeded(seed) })],
    ['DDIM eta = 1', (s: ReturnType<typeof makeSchedule>, m: EpsModel, xT: tf.Tensor, seed: number) => sampleDdim(s, m, xT, 10, { noise: seeded(seed), eta: 1 })],
  ] as const) {
    it(`${name}: the exact noise model of a point distribution brings every sample to that point, shape kept`, () => {
      const s = makeSchedule('vp', 100);
      const c = [0.6, -0.4, 0.1];
      const out = sample(s, pointOracle(s, c), tf.randomNormal([64, 3], 0, 1, 'float32', 3), 5);
      assert.deepEqual(out.shape, [64, 3]);
      const err = tf.max(tf.abs(tf.sub(out, tf.tensor1d(c)))).dataSync()[0];
      assert.ok(err < 1e-3, `max distance from the point ${err}`);
    });
  }

  it('same seeds, same samples; another seed, other samples (stochastic DDPM)', () => {
    const s = makeSchedule('linear', 20);
    const p = initMlpDenoiser({ dim: 2, condDim: 0, hidden: 16, timeDim: 8 }, 1);
    const model: EpsModel = (x, t) => mlpDenoiser(p, { dim: 2, condDim: 0, hidden: 16, timeDim: 8 }, x, t);
    const run = (seed: number) => Array.from(sampleDdpm(s, model, seeded(seed)([8, 2]), { noise: seeded(seed + 1) }).dataSync());
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });

  it('x0 clipping keeps predicted clean samples in range: an exploding noise model still ends inside [-1, 1]', () => {
    const s = makeSchedule('vp', 10);
    const wild: EpsModel = (x) => tf.mul(x, -50);
    const out = sampleDdim(s, wild, seeded(4)([32, 2]), 10, { noise: seeded(5), clipX0: { lo: -1, hi: 1 } });
    assert.ok(tf.max(tf.abs(out)).dataSync()[0] <= 1 + 1e-5);
  });

  it('onStep sees every reverse step in order (DDPM: T-1 .. 0; DDIM: its subsequence)', () => {
    const s = makeSchedule('vp', 12);
    const zero: EpsModel = (x) => tf.zerosLike(x);
    const seen: number[] = [];
    sampleDdpm(s, zero, seeded(1)([2, 2]), { noise: seeded(2), onStep: (t) => seen.push(t) });
    assert.deepEqual(seen, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const ddim: number[] = [];
    sampleDdim(s, zero, seeded(1)([2, 2]), 4, { noise: seeded(2), onStep: (t) => ddim.push(t) });
    assert.deepEqual(ddim, [11, 7, 4, 0]);
  });

  it('the samplers release their temporaries (no tensors left besides the result)', () => {
    const s = makeSchedule('vp', 10);
    const p = initMlpDenoiser({ dim: 2, condDim: 0, hidden: 8, timeDim: 4 }, 2);
    const model: EpsModel = (x, t) => mlpDenoiser(p, { dim: 2, condDim: 0, hidden: 8, timeDim: 4 }, x, t);
    const xT = seeded(3)([4, 2]);
    const before = tf.memory().numTensors;
    const out = sampleDdpm(s, model, xT, { noise: seeded(4), clipX0: { lo: -1, hi: 1 } });
    const out2 = sampleDdim(s, model, xT, 5, { noise: seeded(4), eta: 0.5 });
    assert.equal(tf.memory().numTensors, before + 2);
    tf.dispose([out, out2, xT]);
  });

  it('a denoiser trained with the DDPM loss learns a 1-D two-mode distribution: samples land on both modes', async () => {
    const schedule = makeSchedule('vp', 20);
    const shape = { dim: 1, condDim: 0, hidden: 64, timeDim: 16 };
    const session = new TrainingSession({ seed: 11 });
    const p = session.addVariables('denoiser', initMlpDenoiser(shape, 11), { optimizer: { type: 'adam', learningRate: 3e-3 } });
    const model: EpsModel = (x, t) => mlpDenoiser(p, shape, x, t);
    const losses: number[] = [];
    await session.run([
      {
        name: 'bc',
        steps: 1200,
        trainable: 'denoiser',
        loss: () => {
          // Modes at -1 and +1, std 0.05.
          const signs = Float32Array.from({ length: 128 }, () => (session.rng.next() < 0.5 ? -1 : 1));
          const x0 = tf.add(tf.tensor2d(signs, [128, 1]), session.randomNormal([128, 1], 0, 0.05));
          return denoisingLoss(schedule, model, x0, randomTimesteps(session.rng, 128, schedule.steps), session.randomNormal([128, 1]));
        },
      },
    ], { onStep: (r) => void losses.push(r.metrics.loss) });
    const x = Array.from(sampleDdpm(schedule, model, seeded(7)([400, 1]), { noise: seeded(8), clipX0: { lo: -1.5, hi: 1.5 } }).dataSync());
    const near = (m: number) => x.filter((v) => Math.abs(v - m) < 0.2).length / x.length;
    assert.ok(near(-1) > 0.3 && near(1) > 0.3, `shares near -1: ${near(-1)}, near +1: ${near(1)}`);
    assert.ok(near(-1) + near(1) > 0.8, `on a mode: ${near(-1) + near(1)} (a Gaussian fit would put almost nothing there)`);
    session.dispose();
  });
});

describe('v prediction and Min-SNR weighting', () => {
  it('the v target and its conversion back to eps are exact inverses, and v gives x0 as sqrt(ab) x_t - sqrt(1 - ab) v', () => {
    const s = makeSchedule('cosine', 1000);
    const x0 = tf.tensor2d([[0.3, -0.7], [1, 0.1], [-0.2, 0.5]]);
    const eps = tf.tensor2d([[1, -1], [0.5, 2], [-1.5, 0]]);
    const t = Int32Array.from([0, 500, 999]);
    const xt = qSample(s, x0, t, eps);
    const v = predictionTarget(s, x0, t, eps, 'v');
    assert.ok(tf.max(tf.abs(tf.sub(epsFromPrediction(s, xt, t, v, 'v'), eps))).dataSync()[0] < 1e-4);
    const ab = tf.tensor2d(Float32Array.from(t, (i) => s.alphaBars[i]), [3, 1]);
    const x0FromV = tf.sub(tf.mul(tf.sqrt(ab), xt), tf.mul(tf.sqrt(tf.sub(1, ab)), v));
    assert.ok(tf.max(tf.abs(tf.sub(x0FromV, x0))).dataSync()[0] < 1e-4);
    // At t = T-1, v is almost -x0 (the noise has almost no weight): the network learns the clean latent there.
    const last = (v as tf.Tensor2D).arraySync()[2];
    assert.ok(Math.abs(last[0] - 0.2) < 1e-3 && Math.abs(last[1] + 0.5) < 1e-3);
    // eps is its own target and conversion.
    assert.equal(predictionTarget(s, x0, t, eps, 'eps'), eps);
    assert.equal(epsFromPrediction(s, xt, t, eps, 'eps'), eps);
  });

  it('DDIM with the exact v model of a point distribution lands on the point (cosine, T = 1000, from t = T-1, x0 clipped)', () => {
    const s = makeSchedule('cosine', 1000);
    const c = [0.6, -0.4, 0.1];
    // v*(x_t) = (sqrt(ab) x_t - c) / sqrt(1 - ab) for data at the point c.
    const vModel: EpsModel = (x, t) => {
      const a = tf.tensor2d(Float32Array.from(t, (ti) => s.alphaBars[ti]), [t.length, 1]);
      const v = tf.div(tf.sub(tf.mul(tf.sqrt(a), x), tf.tensor1d(c)), tf.sqrt(tf.sub(1, a)));
      return epsFromPrediction(s, x, t, v, 'v');
    };
    const out = sampleDdim(s, vModel, tf.randomNormal([64, 3], 0, 1, 'float32', 3), 20, { noise: seeded(4), clipX0: { lo: -1, hi: 1 } });
    const err = tf.max(tf.abs(tf.sub(out, tf.tensor1d(c)))).dataSync()[0];
    assert.ok(err < 1e-3, `max distance from the point ${err}`);
  });

  it('Min-SNR-gamma: the x0 error at every timestep counts min(SNR, gamma) under both predictions; gamma 0 weights all alike', () => {
    const s = makeSchedule('cosine', 1000);
    const t = Int32Array.from([0, 100, 400, 700, 999]);
    const gamma = 5;
    const we = minSnrWeights(s, t, gamma, 'eps');
    const wv = minSnrWeights(s, t, gamma, 'v');
    for (let i = 0; i < t.length; i++) {
      const ab = s.alphaBars[t[i]];
      const snr = ab / (1 - ab);
      // eps loss = SNR * |x0 error|^2, v loss = (SNR + 1) * |x0 error|^2.
      assert.ok(Math.abs(we[i] * snr - Math.min(snr, gamma)) < 1e-4 * Math.max(1, snr), `eps at t=${t[i]}`);
      assert.ok(Math.abs(wv[i] * (snr + 1) - Math.min(snr, gamma)) < 1e-4 * Math.max(1, snr), `v at t=${t[i]}`);
    }
    // Nearly clean steps are down-weighted, noisy ones kept (eps).
    assert.ok(we[0] < 0.01 && we[4] === 1);
    assert.deepEqual(Array.from(minSnrWeights(s, t, 0, 'v')), [1, 1, 1, 1, 1]);
  });
});
