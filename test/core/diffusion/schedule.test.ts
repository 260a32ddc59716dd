import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { betasFor, makeSchedule, resolutionShift, SCHEDULE_NAMES, samplingTimesteps, shiftedAlphaBars } from '../../../src/core/diffusion/schedule';

describe('noise schedules', () => {
  for (const name of SCHEDULE_NAMES) {
    for (const steps of [5, 50, 1000]) {
      it(`${name}, T = ${steps}: betas in (0, 1), alphaBar falls from ~1 towards 0, posterior terms consistent`, () => {
        const s = makeSchedule(name, steps);
        assert.equal(s.betas.length, steps);
        for (let t = 0; t < steps; t++) {
          assert.ok(s.betas[t] > 0 && s.betas[t] < 1, `beta_${t} = ${s.betas[t]}`);
          if (t > 0) assert.ok(s.alphaBars[t] < s.alphaBars[t - 1], 'alphaBar decreases');
          assert.ok(Math.abs(s.alphaBarsPrev[t] - (t === 0 ? 1 : s.alphaBars[t - 1])) < 1e-15);
          // The posterior mean of x_t given x_0 = x_t's own mean recovers x_0 exactly when x_t is noiseless:
          // coef1 * x0 + coef2 * sqrt(alphaBar_t) x0 = sqrt(alphaBar_{t-1}) x0.
          const lhs = s.posteriorCoef1[t] + s.posteriorCoef2[t] * Math.sqrt(s.alphaBars[t]);
          assert.ok(Math.abs(lhs - Math.sqrt(s.alphaBarsPrev[t])) < 1e-9, `posterior mean at t=${t}: ${lhs}`);
          assert.ok(s.posteriorVariance[t] >= 0 && s.posteriorVariance[t] <= s.betas[t] + 1e-12, 'posterior variance <= beta');
        }
        assert.equal(s.posteriorVariance[0], 0, 'no noise is added at the last reverse step');
        assert.ok(s.alphaBars[steps - 1] < 0.02, `x_T is nearly pure noise: alphaBar_T = ${s.alphaBars[steps - 1]}`);
      });
    }
  }

  it('vp matches the official closed form at T = 50 (beta_1 and beta_T)', () => {
    const b = betasFor('vp', 50);
    assert.ok(Math.abs(b[0] - (1 - Math.exp(-0.1 / 50 - (0.5 * 9.9) / 2500))) < 1e-15);
    assert.ok(Math.abs(b[49] - (1 - Math.exp(-0.1 / 50 - (0.5 * 9.9 * 99) / 2500))) < 1e-15);
  });

  it('linear at T = 1000 is Ho et al.\'s 1e-4 .. 0.02; cosine is smallest at the start', () => {
    const lin = betasFor('linear', 1000);
    assert.ok(Math.abs(lin[0] - 1e-4) < 1e-12 && Math.abs(lin[999] - 0.02) < 1e-12);
    const cos = betasFor('cosine', 1000);
    assert.ok(cos[0] < cos[500] && cos[500] < cos[999]);
  });

  it('rejects bad step counts and names', () => {
    assert.throws(() => betasFor('vp', 0), /positive integer/);
    assert.throws(() => betasFor('vp', 2.5), /positive integer/);
    assert.throws(() => betasFor('sigmoid' as 'vp', 10), /unknown noise schedule/);
  });

  it('DDIM timesteps: evenly spaced, descending, from T-1 to 0, unique', () => {
    assert.deepEqual(samplingTimesteps(10, 10), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(samplingTimesteps(1000, 5), [999, 749, 500, 250, 0]);
    assert.deepEqual(samplingTimesteps(50, 1), [49]);
    assert.throws(() => samplingTimesteps(10, 11), /1\.\.10/);
  });

  describe('log SNR shift (simple diffusion)', () => {
    const logSnr = (ab: number) => Math.log(ab / (1 - ab));
    for (const name of SCHEDULE_NAMES) {
      for (const shift of [-2, 2 * Math.LN2, 4]) {
        it(`${name}, shift ${shift.toFixed(3)}: alphaBar stays strictly decreasing in (0, 1), log SNR moves by exactly the shift, posterior terms consistent`, () => {
          const plain = makeSchedule(name, 1000);
          const s = makeSchedule(name, 1000, shift);
          assert.equal(s.logSnrShift, shift);
          for (let t = 0; t < 1000; t++) {
            assert.ok(s.alphaBars[t] > 0 && s.alphaBars[t] < 1, `alphaBar_${t} = ${s.alphaBars[t]}`);
            assert.ok(s.betas[t] > 0 && s.betas[t] < 1, `beta_${t} = ${s.betas[t]}`);
            if (t > 0) assert.ok(s.alphaBars[t] < s.alphaBars[t - 1], `alphaBar decreases at ${t}`);
            // Less noise at every t for a positive shift, more for a negative one.
            assert.equal(Math.sign(s.alphaBars[t] - plain.alphaBars[t]), Math.sign(shift));
            assert.ok(Math.abs(logSnr(s.alphaBars[t]) - logSnr(plain.alphaBars[t]) - shift) < 1e-6, `log SNR at ${t}`);
            const lhs = s.posteriorCoef1[t] + s.posteriorCoef2[t] * Math.sqrt(s.alphaBars[t]);
            assert.ok(Math.abs(lhs - Math.sqrt(s.alphaBarsPrev[t])) < 1e-9, `posterior mean at t=${t}`);
          }
        });
      }
    }

    it('known values: alphaBar 0.5 shifted by ln 4 is 0.8; the shift for 7x7 against 14x14 is 2 ln 2; shift 0 changes nothing', () => {
      const out = shiftedAlphaBars(Float64Array.from([0.5, 0.2]), Math.log(4));
      assert.ok(Math.abs(out[0] - 0.8) < 1e-15, `${out[0]}`);
      assert.ok(Math.abs(out[1] - 0.5) < 1e-15, `0.2 has SNR 1/4, times 4 is SNR 1: ${out[1]}`);
      assert.ok(Math.abs(resolutionShift(7, 14) - 2 * Math.LN2) < 1e-15);
      assert.equal(resolutionShift(14, 14), 0);
      assert.deepEqual(Array.from(makeSchedule('cosine', 100, 0).betas), Array.from(betasFor('cosine', 100)));
      assert.throws(() => shiftedAlphaBars(Float64Array.from([0.5]), Number.NaN), /finite/);
      assert.throws(() => resolutionShift(0, 14), /positive/);
    });
  });
});
