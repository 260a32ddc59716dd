import { Rng } from '../util/random';
import { createMdp, Reward, TabularMdp } from './mdp';

/**
 * Random MDPs and rewards of the STARC paper's experiment (spec, "The paper's headline
 * experiment"), drawn from the project's seeded generator so runs are reproducible.
 */

/** Standard normal sampler (Box-Muller, both outputs used) on top of a uniform `Rng`. */
export function createGaussian(rng: Rng): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = rng.next(); // log(0) guard
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export interface RandomMdpOptions {
  states?: number;
  actions?: number;
  discount?: number;
}

/** Transitions: logits ~ N(0,1), entries <= 1 set to -20, softmax over s' (sparse-ish rows). */
export function randomMdp(gauss: () => number, opts: RandomMdpOptions = {}): TabularMdp {
  const S = opts.states ?? 32;
  const A = opts.actions ?? 4;
  const g = opts.discount ?? 0.95;
  const T = new Float64Array(S * A * S);
  for (let sa = 0; sa < S * A; sa++) {
    const base = sa * S;
    let max = -Infinity;
    for (let n = 0; n < S; n++) {
      const z = gauss();
      const logit = z <= 1 ? -20 : z;
      T[base + n] = logit;
      if (logit > max) max = logit;
    }
    let sum = 0;
    for (let n = 0; n < S; n++) {
      const e = Math.exp(T[base + n] - max);
      T[base + n] = e;
      sum += e;
    }
    for (let n = 0; n < S; n++) T[base + n] /= sum;
  }
  return createMdp(S, A, g, T);
}

/**
 * Reward: N(0,1) per (s,a,s'); with prob 0.2 keep only entries > 3; with prob 0.7 multiply by
 * 10*U; with prob 0.3 add 10*U; with prob 0.5 add shaping gamma*Phi(s') - Phi(s) with
 * Phi = z*10*U + U (z ~ N(0,1) per state, the U's scalars), as the authors' `random_reward`.
 */
export function randomReward(mdp: TabularMdp, rng: Rng, gauss: () => number): Reward {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const r = new Float64Array(S * A * S);
  for (let i = 0; i < r.length; i++) r[i] = gauss();
  if (rng.next() < 0.2) for (let i = 0; i < r.length; i++) if (!(r[i] > 3)) r[i] = 0;
  if (rng.next() < 0.7) {
    const k = 10 * rng.next();
    for (let i = 0; i < r.length; i++) r[i] *= k;
  }
  if (rng.next() < 0.3) {
    const c = 10 * rng.next();
    for (let i = 0; i < r.length; i++) r[i] += c;
  }
  if (rng.next() < 0.5) {
    const phi = new Float64Array(S);
    for (let s = 0; s < S; s++) phi[s] = gauss();
    const scale = 10 * rng.next();
    const shift = rng.next();
    for (let s = 0; s < S; s++) phi[s] = phi[s] * scale + shift;
    addShaping(mdp, r, phi);
  }
  return r;
}

/** r += gamma*Phi(s') - Phi(s), in place. */
export function addShaping(mdp: TabularMdp, r: Reward, phi: ArrayLike<number>): Reward {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const g = mdp.discount;
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const base = (s * A + a) * S;
      for (let n = 0; n < S; n++) r[base + n] += g * phi[n] - phi[s];
    }
  }
  return r;
}
