import { UserError } from '../errors';
import type { DistillArmConfig, DistillExperiment, OptimizerConfig } from '../experiment/types';
import type { AugmentSettings } from './augment';
import type { DaflSettings } from './dafl';
import type { SynthesisSettings } from './deepInversion';
import type { IntermediateWeights } from './tinybert';

/** What an arm does (docs/distillation.md). */
export type ArmMethod = 'student' | 'kd' | 'tinybert' | 'tinybert+aug' | 'noise' | 'deepinversion' | 'dafl';

export const ARM_METHODS: readonly ArmMethod[] = ['student', 'kd', 'tinybert', 'tinybert+aug', 'noise', 'deepinversion', 'dafl'];

/** Arms that never see the training split: they learn from synthetic inputs and the teacher alone. */
export const DATA_FREE_METHODS: ReadonlySet<ArmMethod> = new Set<ArmMethod>(['noise', 'deepinversion', 'dafl']);

/** Arms that distil intermediate layers (TinyBERT). */
export const LAYERWISE_METHODS: ReadonlySet<ArmMethod> = new Set<ArmMethod>(['tinybert', 'tinybert+aug']);

export interface TinyBertSettings {
  /** Epochs of the intermediate stage (embedding, attention, hidden-state MSE). */
  intermediateEpochs: number;
  /** Epochs of the prediction stage (soft cross-entropy). */
  predictionEpochs: number;
  /** Learning rate of the prediction stage (the intermediate stage uses the optimizer's). */
  predictionLearningRate: number;
  /** Temperature of the prediction stage (the official code: 1). */
  temperature: number;
  weights: IntermediateWeights;
}

export interface GeneralSettings {
  /** Epochs of general distillation on the unlabelled training text. */
  epochs: number;
}

/** Every setting one arm runs with: the experiment's, with the arm's own overrides on top. */
export interface ArmSettings {
  name: string;
  method: ArmMethod;
  /** Epochs of the arm's one stage (student, kd, and the data-free arms' distillation). */
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** KD temperature of the kd and data-free arms. */
  temperature: number;
  /** The student's learning rate over a KD stage: constant, or cosine decay to 0. */
  schedule: 'constant' | 'cosine';
  /** Seeds the student's initial weights (the same for every arm) and the arm's session. */
  seed: number;
  /** Labelled training examples the `student` arm learns from (all when undefined). */
  labelled?: number;
  /** Start from the general-distillation student (tinybert arms by default; kd when asked). */
  general: boolean;
  tinybert: TinyBertSettings;
  augment: AugmentSettings;
  synthesis: SynthesisSettings;
  dafl: DaflSettings;
}

export const DEFAULT_TINYBERT: TinyBertSettings = {
  intermediateEpochs: 3,
  predictionEpochs: 2,
  predictionLearningRate: 3e-4,
  temperature: 1,
  weights: { embedding: 1, hidden: 1, attention: 1 },
};

export const DEFAULT_AUGMENT: AugmentSettings = { source: 'teacher-neighbours', copies: 4, probability: 0.4, candidates: 15 };

export const DEFAULT_SYNTHESIS: SynthesisSettings = {
  samples: 2048,
  batchSize: 256,
  steps: 200,
  learningRate: 0.05,
  bnWeight: 1,
  firstBnMultiplier: 1,
  tvWeight: 1e-3,
  l2Weight: 0,
  jitter: 0,
  flip: false,
  coarseSteps: 0,
  mixup: false,
  views: false,
  competition: 0,
  competitionSteps: 64,
  schedule: 'constant',
};

export const DEFAULT_DAFL: DaflSettings = {
  steps: 1000,
  batchSize: 256,
  learningRate: 1e-3,
  noiseDim: 64,
  hidden: 256,
  oneHotWeight: 1,
  activationWeight: 0.1,
  balanceWeight: 5,
};

/**
 * Every arm's settings from a distill experiment: the experiment's sections over the defaults,
 * then the arm's own overrides. Names default to the method; they must be unique.
 */
export function armSettings(exp: DistillExperiment): ArmSettings[] {
  const t = exp.training;
  const seen = new Set<string>();
  return exp.arms.map((a, i) => {
    const arm: DistillArmConfig = typeof a === 'string' ? { method: a } : a;
    const name = arm.name ?? arm.method;
    if (seen.has(name)) throw new UserError(`two arms are named '${name}'; give one a "name"`, `/arms/${i}`);
    seen.add(name);
    const problem = generalArmProblem(arm, exp.general !== undefined);
    if (problem) throw new UserError(problem, `/arms/${i}/general`);
    const weights: IntermediateWeights = { ...DEFAULT_TINYBERT.weights, ...stripUndefined(exp.tinybert?.weights), ...stripUndefined(arm.tinybert?.weights) };
    const tinybert: TinyBertSettings = { ...DEFAULT_TINYBERT, ...stripUndefined(exp.tinybert), ...stripUndefined(arm.tinybert), weights };
    return {
      name,
      method: arm.method,
      epochs: arm.epochs ?? t.epochs,
      batchSize: t.batchSize,
      optimizer: t.optimizer ?? { type: 'adam', learningRate: 0.001 },
      temperature: arm.temperature ?? t.temperature ?? 4,
      schedule: t.schedule ?? 'constant',
      seed: t.seed ?? 0,
      labelled: t.labelled,
      general: arm.general ?? (exp.general !== undefined && LAYERWISE_METHODS.has(arm.method)),
      tinybert,
      augment: { ...DEFAULT_AUGMENT, ...stripUndefined(exp.augment), ...stripUndefined(arm.augment) },
      synthesis: { ...DEFAULT_SYNTHESIS, ...stripUndefined(exp.synthesis), ...stripUndefined(arm.synthesis) },
      dafl: { ...DEFAULT_DAFL, ...stripUndefined(exp.dafl), ...stripUndefined(arm.dafl) },
    };
  });
}

/**
 * Why an arm cannot start from general distillation (`general: true`), or undefined: there is no
 * `general` section to run it, or the arm is data-free (general distillation reads the training text).
 */
export function generalArmProblem(arm: Pick<DistillArmConfig, 'method' | 'general'>, hasGeneral: boolean): string | undefined {
  if (arm.general !== true) return undefined;
  if (DATA_FREE_METHODS.has(arm.method)) return `${arm.method} is data-free: it cannot start from general distillation, which reads the training text`;
  if (!hasGeneral) return 'this arm starts from general distillation, but the experiment has no "general" section (add one with its epochs)';
  return undefined;
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The stages an arm runs, in order (what the panel lays out before the first step). */
export function armStageNames(s: Pick<ArmSettings, 'method'>): string[] {
  switch (s.method) {
    case 'student':
      return ['supervised'];
    case 'kd':
      return ['prediction'];
    case 'tinybert':
    case 'tinybert+aug':
      return ['intermediate', 'prediction'];
    case 'noise':
      return ['distillation'];
    case 'deepinversion':
      return ['synthesis', 'distillation'];
    case 'dafl':
      return ['generator', 'distillation'];
  }
}
