import type { CausalEvaluation } from '../core/extract/causal/evaluateCausal';
import type { ExtractionScores } from '../core/extract/eval';
import type { FlopsSaved } from '../core/train/events';
import type { ClassMetrics } from '../core/train/classificationReport';
import type { SamplingSettings } from '../core/diffusion/generation/twoScale';
import type { SamplingSelection } from '../core/diffusion/generation/validation';

/** `summary.json` of a run, and exactly the CLI's `--json` document; one shape per experiment kind. */
export type RunSummary = TrainSummary | ExtractTrainSummary | ExtractEvalSummary | SkillsSummary | OfflineGcrlSummary | DiffusionPolicySummary | DiffusionSummary | DistillSummary;

interface SummaryBase {
  /** `diverged` (train runs and session jobs): the loss (or the training state) became NaN or infinite; `message` says where. */
  status: 'completed' | 'cancelled' | 'failed' | 'diverged';
  /** Why a run did not complete, in one line (a diverged run). */
  message?: string;
  runId: string;
  experiment: string;
  experimentFile: string;
  runDir: string;
}

export interface TrainSummary extends SummaryBase {
  /** Absent in summaries written before other kinds existed; see `isTrainSummary`. */
  kind?: 'train';
  policy: string;
  backend: string;
  epochs: number;
  /** Epochs actually completed (less than `epochs` for a cancelled run). */
  epochsDone: number;
  /**
   * Metrics on the test split after the last completed epoch; a completed run with a test split
   * also has the final model's per-class scores and confusion matrix (rows = true class,
   * columns = predicted, in the order of `perClass`, whose `class` is the data's class name).
   */
  metrics: { accuracy: number; loss: number; perClass?: ClassMetrics[]; confusionMatrix?: number[][] };
  trainSeconds: number;
  samplesPerSecond: number;
  freezeEvents: { layer: string; epoch: number; step: number }[];
  flopsSaved: FlopsSaved;
  /** The data's text class labels, index = the model's output unit (absent for integer labels). */
  classNames?: string[];
  /** Masked-LM pretraining of the encoder (`pretrain`), when the experiment has it. */
  pretrain?: PretrainFigures;
}

/** What masked-LM pretraining did: on held-out text, the masked words' loss and accuracy at the end. */
export interface PretrainFigures {
  steps: number;
  trainSeconds: number;
  testLoss: number;
  testAccuracy: number;
  /** The pretrained encoder's `model.json`, relative to the run folder (`pretrain/encoder/model.json`). */
  encoder: string;
}

export interface ExtractTrainSummary extends SummaryBase {
  kind: 'extract-train';
  backend: string;
  /** The trained model's `extractor.json` (`causal.json` for a `semeval8` corpus; absent unless completed). */
  modelFile?: string;
  /** Scores of the final model on the dev sentences, when the experiment has them. */
  dev?: ExtractionScores;
  /** `semeval8`: the causal model's scores on the dev sentences, nominals given. */
  causal?: CausalEvaluation;
  trainSeconds: number;
}

export interface ExtractEvalSummary extends SummaryBase {
  kind: 'extract-eval';
  provider: string;
  /** Absent unless completed (format `conll04`). */
  scores?: ExtractionScores;
  /** Absent unless completed (format `semeval8`: the causal model, nominals given). */
  causal?: CausalEvaluation;
  seconds: number;
}

/** A `skills` run (METRA, DIAYN): coverage of the evaluated skills' trajectories. */
export interface SkillsSummary extends SummaryBase {
  kind: 'skills';
  algo: 'metra' | 'diayn' | 'lsd';
  backend: string;
  /** Distinct unit cells the evaluated skills' trajectories visit (at the last evaluation). */
  coverage: number;
  /** Mean distance of their last positions from the start, and the largest reachable. */
  finalDistance: number;
  maxDistance: number;
  /** `skills.json` in the run folder: the evaluation and the networks (absent if never evaluated). */
  skills?: string;
  /** Epoch of that evaluation. */
  epochsDone: number;
  trainSeconds: number;
}

/** An `offline-gcrl` run (HIQL, GCIVL, GCBC): success rate per start/goal task. */
export interface OfflineGcrlSummary extends SummaryBase {
  kind: 'offline-gcrl';
  algo: 'hiql' | 'gcivl' | 'gcbc';
  backend: string;
  /** Mean over tasks (at the last evaluation). */
  successRate: number;
  tasks: { start: [number, number]; goal: [number, number]; successRate: number }[];
  /** With `evaluation.validationTasks`: the epoch (from 1) whose policies the final evaluation used (checkpoint selection). */
  selectedEpoch?: number;
  epochsDone: number;
  trainSeconds: number;
}

/**
 * A `diffusion-policy` run (issue 16's shape): how the sampled actions sit on the data's modes,
 * shares as fractions. `modeShares` follows the modes of the run's `diffusion-start` event; a run
 * stopped before its first measurement has none of the four.
 */
export interface DiffusionPolicySummary extends SummaryBase {
  kind: 'diffusion-policy';
  onMode?: number;
  modeShares?: number[];
  bestModeShare?: number;
  expectedReward?: number;
  /** Maze data: share of rollouts (from every free cell) that reach the goal. */
  success?: number;
}

/** Per schedule of a `diffusion` run: the measurements of its final samples (see `GenerationMetrics`). */
export interface GenerationResult {
  distance: number;
  distance7: number;
  classConsistency: number;
  /** The sampling knobs of the final samples (a completed run). */
  sampling?: SamplingSettings;
  /** How they were chosen: every candidate's validation measurements and the rule. */
  validation?: SamplingSelection;
}

/** A `diffusion` run: one result per schedule it trained, and how good the measuring stick is. */
export interface DiffusionSummary extends SummaryBase {
  kind: 'diffusion';
  'coarse-to-fine'?: GenerationResult;
  'single-scale'?: GenerationResult;
  /** Accuracy of the classifier (whose features measure the samples) on the held-out images. */
  classifierAccuracy?: number;
  /** Distance of the autoencoder's reconstructions of held-out images: the floor for any generator here. */
  reconstructionDistance?: number;
}

export function isTrainSummary(s: RunSummary): s is TrainSummary {
  return (s.kind ?? 'train') === 'train';
}

/**
 * A `distill` run: the teacher and every arm, measured in the same run (issue 14's shape; the
 * bench prints the same per study). Accuracy on the test split; parameters counted over all
 * weights; CPU milliseconds per example of inference; seconds in training steps per arm.
 */
export interface DistillSummary extends SummaryBase {
  kind: 'distill';
  teacher: DistillModelFigures;
  arms: DistillArmFigures[];
  /** General distillation (the `general` section), once it ran: shared by the arms that start from it. */
  general?: DistillGeneralFigures;
}

/** What general distillation did: its length, time in steps, and its loss at the first and last loss points (means over the steps between points). */
export interface DistillGeneralFigures {
  epochs: number;
  steps: number;
  trainSeconds: number;
  firstLoss: number;
  lastLoss: number;
  /** Which arms started from its student. */
  arms: string[];
}

export interface DistillModelFigures {
  accuracy: number;
  parameters: number;
  msPerExample: number;
}

export interface DistillArmFigures extends DistillModelFigures {
  name: string;
  trainSeconds: number;
}
