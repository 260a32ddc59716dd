import type { CausalEvaluation } from '../core/extract/causal/evaluateCausal';
import type { ExtractionScores } from '../core/extract/eval';
import type { FlopsSaved } from '../core/train/events';

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

export function isTrainSummary(s: RunSummary): s is TrainSummary {
  return (s.kind ?? 'train') === 'train';
}
