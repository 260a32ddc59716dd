/**
 * Files a diffusion run leaves in its folder for the panel (written by `runner/diffusionPolicyJob.ts`
 * and `runner/diffusionJob.ts`, read by `vscode/diffusion/`). Here, free of TensorFlow.js, so the
 * extension host can name them without loading the trainers.
 */

/** diffusion-policy: data actions and the final samples. */
export const POLICY_SAMPLES_FILE = 'samples.json';
/** diffusion-policy (diffusion policies): every state of the reverse chain of a few samples. */
export const POLICY_CHAIN_FILE = 'chain.json';
/** diffusion: the sample grids of every schedule (base64 pixels). */
export const GRID_FILE = 'grid.json';

/** diffusion: one schedule's sample grid as a PNG. */
export function gridPngFile(arm: 'coarse-to-fine' | 'single-scale'): string {
  return `samples-${arm}.png`;
}
