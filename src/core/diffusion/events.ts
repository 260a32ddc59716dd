/**
 * Run events of the diffusion lab's kinds (in `events.jsonl` next to the shared `progress`,
 * `checkpoint` and `log` events), what the diffusion panel draws while a run goes and after.
 * `arm` is the policy arm (`diffusion-bc`, `diffusion-ql`, `gaussian`, `td3bc`, ...) or the
 * generation schedule (`coarse-to-fine`, `single-scale`); `step` counts optimiser steps.
 */
export type DiffusionEvent =
  | {
      type: 'diffusion-start';
      kind: 'diffusion-policy' | 'diffusion';
      arms: string[];
      /** Steps of the whole plan (every stage and arm). */
      totalSteps: number;
      backend: string;
      /** Set when the run continues from a checkpoint at this step. */
      resumedAt?: number;
      /** diffusion-policy: the data's modes (action, mean reward, label). */
      modes?: { action: number[]; reward: number; label?: string }[];
      modeRadius?: number;
      /** diffusion: class names, index = label. */
      classNames?: string[];
    }
  /** Training losses of a stage (every few steps): `stage` names it (`bc`, `ql`, `autoencoder`, an arm). */
  | { type: 'diffusion-loss'; stage: string; step: number; losses: Record<string, number> }
  /**
   * A measurement during training or at the end (`final`). diffusion-policy: onMode, bestModeShare,
   * expectedReward, modeShares; diffusion: distance, distance7, classConsistency (and samples).
   */
  | { type: 'diffusion-eval'; arm: string; step: number; final?: boolean; metrics: Record<string, number>; modeShares?: number[] }
  /** A file the run wrote into its folder for the panel (`chain.json`, `samples.json`, `grid.json`, a PNG). */
  | { type: 'diffusion-artifact'; what: 'chain' | 'samples' | 'grid' | 'png'; file: string; arm?: string };

export type DiffusionEventType = DiffusionEvent['type'];
