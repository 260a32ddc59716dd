/**
 * Files an `offline-gcrl` run writes next to its summary (the panel reads them). Apart from the
 * job so the extension host can name them without bundling the job's TensorFlow.js code.
 */
export const GCRL_FILES = {
  /** The generated dataset (format model-lab-rl-dataset/1): reusable as `dataset.file`. */
  dataset: 'dataset.json',
  /** V(s, g) for every free cell s and every goal cell g, at the end. */
  value: 'value.json',
  /** One recorded episode per task of the last evaluation (positions; HIQL's subgoals). */
  rollouts: 'rollouts.json',
} as const;
