import { createRng } from '../../../src/core/util/random';
import { createMdp, TabularMdp } from '../../../src/core/reward/mdp';
import { createGaussian, randomMdp } from '../../../src/core/reward/randomMdp';

/** The spec's worked example (3 states, 2 actions, gamma 0.9). */
export const WORKED = {
  T: [[[0.5, 0.5, 0], [0, 0.2, 0.8]], [[1, 0, 0], [0, 0.3, 0.7]], [[0.1, 0.1, 0.8], [0, 0, 1]]],
  R1: [[[1, 0, -1], [2, 0, 0]], [[0, 1, 0], [-1, 3, 1]], [[0, 0, 2], [1, -2, 0]]],
  R2: [[[0, 1, -1], [2, 1, 0]], [[1, 1, 0], [0, 2, 1]], [[-1, 0, 2], [1, -1, 1]]],
};

export const flat = (x: number[][][]): Float64Array => Float64Array.from(x.flat(2));

export function workedMdp(): TabularMdp {
  return createMdp(3, 2, 0.9, flat(WORKED.T));
}

/** A random MDP with dense-ish transitions plus a Gaussian sampler, both seeded. */
export function randomSetup(seed: number, states = 7, actions = 3, discount = 0.8) {
  const rng = createRng(seed);
  const gauss = createGaussian(rng);
  const mdp = randomMdp(gauss, { states, actions, discount });
  const reward = () => Float64Array.from({ length: states * actions * states }, gauss);
  const potential = () => Float64Array.from({ length: states }, () => 5 * gauss());
  return { rng, gauss, mdp, reward, potential };
}
