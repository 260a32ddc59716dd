import type { EnvSettings } from '../env/envs';
import type { MazeTask } from '../env/maze';
import type { ObservationEncoding } from './encoding';
import type { GoalSamplingSettings } from './goalSampling';

export type GcAlgo = 'hiql' | 'gcivl' | 'gcbc';
export const GC_ALGOS: readonly GcAlgo[] = ['hiql', 'gcivl', 'gcbc'];

export interface EvaluationSettings {
  tasks: MazeTask[];
  /** Episodes per task. */
  episodes: number;
  /** Probability of a random action at each step (as HIQL's discrete-maze evaluation: 0.05). */
  epsilon: number;
  /** Steps before an episode counts as failed. */
  maxSteps: number;
  /** Evaluate every this many epochs (and at the end). */
  everyEpochs: number;
  /**
   * Checkpoint selection: when set (non-empty), every evaluation also scores each policy on these
   * tasks (apart from `tasks`), and the final evaluation uses each algorithm's policies from the
   * epoch of its best success here (ties: the later epoch) instead of the last ones (docs/rl.md).
   */
  validationTasks?: MazeTask[];
}

/** An offline goal-conditioned run, resolved (the experiment file's `offline-gcrl` kind). */
export interface OfflineSettings {
  env: EnvSettings;
  /** Algorithms trained on the one value function (a run of the extension trains one). */
  algos: GcAlgo[];
  sampling: GoalSamplingSettings;
  expectile: number;
  /** AWR inverse temperature beta in exp(beta * advantage), both levels (HIQL: 1). */
  temperature: number;
  /** Polyak rate of the target value network. */
  tau: number;
  /** Adam learning rate of the value network (and of the policies unless `actorLearningRate` says otherwise). */
  learningRate: number;
  /**
   * Adam learning rate of every policy (HIQL's two levels, GCIVL's, GCBC's). The official code
   * uses one rate, 3e-4, for all networks; the study raised the value's to 1e-3 for its scale
   * (docs/rl.md), and this lets the policies keep their own. The value trains identically whatever it is.
   */
  actorLearningRate: number;
  batchSize: number;
  valueHidden: number[];
  actorHidden: number[];
  layerNorm: boolean;
  /**
   * Gradient steps of HIQL's high-level policy per update, each on its own minibatch drawn by its
   * own generator (official: 1, the joint update). More steps fit the high level closer to its
   * AWR target at a fraction of an update's cost; the value and the other policies train
   * identically whatever this is (docs/rl.md).
   */
  highSteps: number;
  /** What the networks see of a position (see `ObservationEncoding`). */
  encoding: ObservationEncoding;
  epochs: number;
  stepsPerEpoch: number;
  evaluation: EvaluationSettings;
  seed: number;
}

/** HIQL's official hyperparameters where they apply; sizes and budget scaled for this machine (docs/rl.md). */
export function defaultOfflineSettings(env: EnvSettings, tasks: MazeTask[]): OfflineSettings {
  return {
    env,
    algos: ['hiql'],
    sampling: { goals: { current: 0.2, trajectory: 0.5, random: 0.3 }, highRandom: 0.3, discount: 0.99, k: 25 },
    expectile: 0.7,
    temperature: 1,
    tau: 0.005,
    learningRate: 3e-4,
    actorLearningRate: 3e-4,
    batchSize: 256,
    valueHidden: [256, 256, 256],
    actorHidden: [256, 256],
    layerNorm: true,
    highSteps: 1,
    encoding: 'cells',
    epochs: 20,
    stepsPerEpoch: 1000,
    evaluation: { tasks, episodes: 20, epsilon: 0.05, maxSteps: 200, everyEpochs: 5 },
    seed: 0,
  };
}
