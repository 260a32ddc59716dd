import * as tf from '@tensorflow/tfjs';
import type { FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from '../../../src/core/freezing/policy';

/** `n` units with tiny real variables (policies under test never read them). */
export function units(n: number): FreezableUnit[] {
  return Array.from({ length: n }, (_, i) => {
    const kernel = tf.variable(tf.zeros([2, 2]));
    return { name: `l${i}`, index: i, layerIndex: 2 * i, type: 'Dense', kernel, variables: [kernel], flopsForward: 8, flopsBackward: 16 };
  });
}

export function plan(epochs: number, stepsPerEpoch: number): TrainingPlan {
  return { epochs, stepsPerEpoch, totalSteps: epochs * stepsPerEpoch, batchSize: 32 };
}

/**
 * Drive a policy through a whole plan the way the loop does (check the prefix before each step,
 * then `afterStep`), feeding `norms(step)` when it asks; returns the step at which each unit froze.
 */
export async function schedule(
  policy: FreezingPolicy,
  p: TrainingPlan,
  norms: (globalStep: number) => number[] = () => [],
): Promise<number[]> {
  const frozeAt: number[] = [];
  for (let g = 0; g < p.totalSteps; g++) {
    while (frozeAt.length < policy.frozenPrefix()) frozeAt.push(g);
    const step: StepInfo = { epoch: Math.floor(g / p.stepsPerEpoch), stepInEpoch: g % p.stepsPerEpoch, globalStep: g };
    await policy.afterStep(step, policy.wantsGradientNorms?.(step) ? norms(g) : undefined);
  }
  while (frozeAt.length < policy.frozenPrefix()) frozeAt.push(p.totalSteps);
  return frozeAt;
}
