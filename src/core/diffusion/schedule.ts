/**
 * Noise schedules of a discrete-time diffusion (DDPM, Ho et al. 2020): the forward process adds
 * Gaussian noise in T steps, q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), so
 * x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps. Everything a sampler or a loss needs is
 * precomputed here in float64, indexed by t = 0..T-1 (t = 0 is the least noisy step).
 */
export type ScheduleName = 'linear' | 'cosine' | 'vp';

export const SCHEDULE_NAMES: readonly ScheduleName[] = ['linear', 'cosine', 'vp'];

export interface NoiseSchedule {
  name: ScheduleName;
  /** Number of diffusion steps T. */
  steps: number;
  /** The shift added to log SNR at every step (`shiftedAlphaBars`; 0: the named schedule as it is). */
  logSnrShift: number;
  betas: Float64Array;
  /** alphaBar_t = prod_{s <= t} (1 - beta_s). */
  alphaBars: Float64Array;
  /** alphaBar_{t-1} (1 at t = 0). */
  alphaBarsPrev: Float64Array;
  /** Variance of the posterior q(x_{t-1} | x_t, x_0): beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t). */
  posteriorVariance: Float64Array;
  /** Its log, clipped away from log 0 at t = 0 (as the official code does). */
  posteriorLogVariance: Float64Array;
  /** Posterior mean = coef1 * x_0 + coef2 * x_t. */
  posteriorCoef1: Float64Array;
  posteriorCoef2: Float64Array;
}

/**
 * The betas of a named schedule for T steps.
 * - `linear`: Ho et al.'s 1e-4 .. 0.02 for T = 1000, scaled by 1000 / T so that any T ends near
 *   pure noise (as improved DDPM does; the unscaled range leaves much of x_0 at small T).
 * - `cosine`: Nichol & Dhariwal 2021, alphaBar(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2), s = 0.008,
 *   betas clipped at 0.999.
 * - `vp`: the variance-preserving SDE discretised (Song et al. 2021) as in Diffusion-QL's code:
 *   alpha_t = exp(-b_min / T - (b_max - b_min) (2t - 1) / (2 T^2)), b_min = 0.1, b_max = 10, t = 1..T.
 */
export function betasFor(name: ScheduleName, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`diffusion steps must be a positive integer, got ${steps}`);
  const betas = new Float64Array(steps);
  switch (name) {
    case 'linear': {
      const scale = 1000 / steps;
      const start = scale * 1e-4;
      const end = Math.min(scale * 0.02, 0.999);
      for (let t = 0; t < steps; t++) betas[t] = steps === 1 ? end : start + ((end - start) * t) / (steps - 1);
      break;
    }
    case 'cosine': {
      const s = 0.008;
      const f = (t: number) => Math.cos((((t / steps) + s) / (1 + s)) * Math.PI * 0.5) ** 2;
      for (let t = 0; t < steps; t++) betas[t] = Math.min(Math.max(1 - f(t + 1) / f(t), 0), 0.999);
      break;
    }
    case 'vp': {
      const bMin = 0.1;
      const bMax = 10;
      for (let i = 1; i <= steps; i++) {
        const alpha = Math.exp(-bMin / steps - (0.5 * (bMax - bMin) * (2 * i - 1)) / steps ** 2);
        betas[i - 1] = 1 - alpha;
      }
      break;
    }
    default:
      throw new RangeError(`unknown noise schedule '${name as string}' (${SCHEDULE_NAMES.join(', ')})`);
  }
  return betas;
}

/**
 * A named schedule for T steps, optionally with its log SNR shifted by `logSnrShift` at every step
 * (`shiftedAlphaBars`).
 */
export function makeSchedule(name: ScheduleName, steps: number, logSnrShift = 0): NoiseSchedule {
  const named = betasFor(name, steps);
  const betas = logSnrShift === 0 ? named : betasOf(shiftedAlphaBars(alphaBarsOf(named), logSnrShift));
  const alphaBars = new Float64Array(steps);
  const alphaBarsPrev = new Float64Array(steps);
  const posteriorVariance = new Float64Array(steps);
  const posteriorLogVariance = new Float64Array(steps);
  const posteriorCoef1 = new Float64Array(steps);
  const posteriorCoef2 = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) {
    alphaBarsPrev[t] = prod;
    prod *= 1 - betas[t];
    alphaBars[t] = prod;
  }
  for (let t = 0; t < steps; t++) {
    const ab = alphaBars[t];
    const abPrev = alphaBarsPrev[t];
    posteriorVariance[t] = (betas[t] * (1 - abPrev)) / (1 - ab);
    posteriorLogVariance[t] = Math.log(Math.max(posteriorVariance[t], 1e-20));
    posteriorCoef1[t] = (betas[t] * Math.sqrt(abPrev)) / (1 - ab);
    posteriorCoef2[t] = ((1 - abPrev) * Math.sqrt(1 - betas[t])) / (1 - ab);
  }
  return { name, steps, logSnrShift, betas, alphaBars, alphaBarsPrev, posteriorVariance, posteriorLogVariance, posteriorCoef1, posteriorCoef2 };
}

/**
 * The resolution-dependent shift of "simple diffusion" (Hoogeboom, Heek, Salimans 2023): with
 * logSNR(t) = log(alphaBar_t / (1 - alphaBar_t)), the shifted schedule has logSNR(t) + `shift`,
 * i.e. alphaBar'_t = sigmoid(logSNR(t) + shift). A latent with fewer coordinates carries less
 * redundant signal at the same noise level (averaging a 2x2 block of a 4x larger image halves the
 * noise), so at equal t it is effectively noisier; simple diffusion shifts by
 * 2 log(d_ref / d) for a d x d image against the d_ref x d_ref the schedule was made for
 * (SD3's timestep shift is the same map for rectified flow). Positive shifts mean less noise at
 * every t, negative more (what the Frido miniature's chains measured best: docs/diffusion.md). The
 * shift keeps alphaBar strictly decreasing and in (0, 1) when it is so before.
 */
export function shiftedAlphaBars(alphaBars: Float64Array, shift: number): Float64Array {
  if (!Number.isFinite(shift)) throw new RangeError(`a log SNR shift must be a finite number, got ${shift}`);
  return alphaBars.map((ab) => {
    // sigmoid(log(ab / (1 - ab)) + shift) = ab e^s / (ab e^s + 1 - ab), without forming the log.
    const scaled = ab * Math.exp(shift);
    return scaled / (scaled + (1 - ab));
  });
}

/** The log SNR shift of simple diffusion for a latent `size` x `size` against one `reference` x `reference`: 2 log(reference / size). */
export function resolutionShift(size: number, reference: number): number {
  if (!(size > 0 && reference > 0)) throw new RangeError(`sizes must be positive, got ${size} and ${reference}`);
  return 2 * Math.log(reference / size);
}

function alphaBarsOf(betas: Float64Array): Float64Array {
  let prod = 1;
  return betas.map((b) => (prod *= 1 - b));
}

function betasOf(alphaBars: Float64Array): Float64Array {
  return alphaBars.map((ab, t) => 1 - ab / (t === 0 ? 1 : alphaBars[t - 1]));
}

/**
 * The `count` timesteps a DDIM sampler visits, from most to least noisy: evenly spaced over
 * 0..T-1 and always ending at 0 (count = T gives every step).
 */
export function samplingTimesteps(steps: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > steps) throw new RangeError(`sampling steps must be an integer in 1..${steps}, got ${count}`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.round((i * (steps - 1)) / Math.max(count - 1, 1)));
  if (count === 1) out[0] = steps - 1;
  return [...new Set(out)].sort((a, b) => b - a);
}
