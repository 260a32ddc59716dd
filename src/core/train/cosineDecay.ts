/**
 * Cosine decay (SGDR / FreezeOut): `base` at step 0, falling along half a cosine to 0 at step
 * `total`. A learning rate, or with `base` 1 a scale of one.
 */
export function cosineDecay(base: number, step: number, total: number): number {
  return 0.5 * base * (1 + Math.cos((Math.PI * step) / total));
}
