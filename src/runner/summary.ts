import type { ExtractionScores } from '../core/extract/eval';
import type { FlopsSaved } from '../core/train/events';
import type { ClassMetrics } from '../core/train/classificationReport';

/** `summary.json` of a run, and exactly the CLI's `--json` document; one shape per experiment kind. */
export type RunSummary = TrainSummary | ExtractTrainSummary | ExtractEvalSummary;

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
