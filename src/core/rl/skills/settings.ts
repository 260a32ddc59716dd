import type { EnvSettings } from '../env/envs';
import type { SacSettings } from '../sac';

export type SkillAlgo = 'metra' | 'diayn' | 'lsd';

/** Everything a skill-discovery run needs (the experiment file's `skills` kind, resolved). */
export interface SkillsSettings {
  env: EnvSettings;
  /** Start cell in a maze ([row, col]); the open plane starts at the origin. */
  start?: [number, number];
  /** Steps per trajectory (METRA's max_path_length). */
  horizon: number;
  algo: SkillAlgo;
  skills: { dim: number; discrete: boolean };
  sac: SacSettings & { batchSize: number; bufferSize: number; minBuffer: number };
  /** Hidden sizes of phi (METRA's representation; DIAYN's discriminator q(z|s)). */
  phiHidden: number[];
  metra: { lambdaInit: number; slack: number };
  epochs: number;
  trajectoriesPerEpoch: number;
  gradientStepsPerEpoch: number;
  evaluation: { skills: number; everyEpochs: number };
  seed: number;
}

/**
 * The miniature's defaults: the official code's settings (lambda 30, slack 1e-3, target
 * entropy -|A|/2, discount 0.99, tau 5e-3, minibatch 256, 8 trajectories per epoch, 48
 * evaluation skills) with smaller networks, a higher learning rate and a shorter horizon and
 * budget so that a run takes minutes here (docs/rl.md lists every difference).
 */
export function defaultSkillsSettings(): SkillsSettings {
  return {
    env: { type: 'point2d', maxStep: 0.2 },
    horizon: 50,
    algo: 'metra',
    skills: { dim: 2, discrete: false },
    sac: {
      hidden: [256, 256],
      learningRate: 3e-4,
      discount: 0.99,
      tau: 5e-3,
      // The official 0.01 makes METRA's 48 skills a few straight rays in this short-horizon
      // miniature (a box action space rewards its corners); 0.1 is the schema's default too.
      alphaInit: 0.1,
      targetEntropyPerDim: -0.5,
      batchSize: 256,
      bufferSize: 100_000,
      minBuffer: 2_000,
    },
    phiHidden: [256, 256],
    metra: { lambdaInit: 30, slack: 1e-3 },
    epochs: 150,
    trajectoriesPerEpoch: 8,
    gradientStepsPerEpoch: 25,
    evaluation: { skills: 48, everyEpochs: 10 },
    seed: 0,
  };
}
