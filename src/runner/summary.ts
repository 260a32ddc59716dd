import type { ExtractionScores } from '../core/extract/eval';
import type { FlopsSaved } from '../core/train/events';

/** `summary.json` of a run, and exactly the CLI's `--json` document; one shape per experiment kind. */
export type RunSummary = TrainSummary | ExtractTrainSummary | ExtractEvalSummary | DistillSummary;

interface SummaryBase {
  /** `diverged` (train runs): the loss became NaN or infinite; `message` says where. */
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
  /** Metrics on the test split after the last completed epoch. */
  metrics: { accuracy: number; loss: number };
  trainSeconds: number;
  samplesPerSecond: number;
  freezeEvents: { layer: string; epoch: number; step: number }[];
  flopsSaved: FlopsSaved;
  /** The data's text class labels, index = the model's output unit (absent for integer labels). */
  classNames?: string[];
}

export interface ExtractTrainSummary extends SummaryBase {
  kind: 'extract-train';
  backend: string;
  /** The trained model's `extractor.json` (absent unless completed). */
  modelFile?: string;
  /** Scores of the final model on the dev sentences, when the experiment has them. */
  dev?: ExtractionScores;
  trainSeconds: number;
}

export interface ExtractEvalSummary extends SummaryBase {
  kind: 'extract-eval';
  provider: string;
  /** Absent unless completed. */
  scores?: ExtractionScores;
  seconds: number;
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
