import { UserError } from '../../errors';
import type { TrainExperiment } from '../../experiment/types';
import { learningRateOf } from '../optimizer';
import { pretrainProblems } from './problems';
import type { MlmSettings } from './pretrain';

/** BERT's share of masked tokens. */
export const DEFAULT_MASK_PROBABILITY = 0.15;

/**
 * A train experiment's `pretrain` section with its defaults, or undefined without one. Problems
 * the schema cannot see are user errors at their field (the editor reports the same ones:
 * `pretrainProblems`).
 */
export function mlmSettings(exp: TrainExperiment): MlmSettings | undefined {
  const p = exp.pretrain;
  if (!p) return undefined;
  const problem = pretrainProblems(exp)[0];
  if (problem) throw new UserError(problem.message, problem.pointer);
  return {
    epochs: p.epochs ?? 1,
    ...(p.steps !== undefined ? { steps: p.steps } : {}),
    batchSize: p.batchSize ?? exp.training.batchSize,
    learningRate: p.learningRate ?? learningRateOf(exp.training.optimizer),
    maskProbability: p.maskProbability ?? DEFAULT_MASK_PROBABILITY,
    seed: (exp.training.seed ?? 0) * 31 + 5,
  };
}
