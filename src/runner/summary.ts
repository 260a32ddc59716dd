import type { FlopsSaved } from '../core/train/events';

/** `summary.json` of a run, and exactly the CLI's `--json` document. */
export interface RunSummary {
  status: 'completed' | 'cancelled' | 'failed';
  runId: string;
  experiment: string;
  experimentFile: string;
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
  runDir: string;
}
