import { UserError } from '../errors';

/**
 * The circuit-and-proof scheme. Bump the version whenever the circuit, the public inputs or
 * the proof parameters change: claims and verification keys name it, and
 * `verificationKeys.json` holds the expected key per circuit size of each version.
 * Version 2 proves on the SRS of the circuit's own domain (version 1 used o1js's 2^16 points).
 */
export const SCHEME = 'model-lab/accuracy/2';

/** The commitment layout of commitment.json and its secret (unchanged since version 1, so older runs can still be proven). */
export const COMMITMENT_SCHEME = 'model-lab/accuracy/1';

/** In a run folder: the public commitment to the test predictions and labels, its secret opening, and the proofs made from them. */
export const COMMITMENT_FILE = 'commitment.json';
export const COMMITMENT_SECRET_FILE = 'commitment.secret.json';
export const PROOFS_DIR = 'proofs';

/**
 * Circuit sizes: a run's n test predictions are padded to the smallest size that holds them
 * (a mask in the circuit counts only the first n). One verification key per size. 2048 is
 * the largest that fits o1js's 2^16-row circuits (about 17 rows per example).
 */
export const CIRCUIT_SIZES = [16, 64, 256, 512, 1024, 2048] as const;

/** Depth of the allow-list Merkle tree: up to 2^10 = 1024 approved test sets. */
export const ALLOW_LIST_DEPTH = 10;

export function circuitSizeFor(n: number): number {
  const size = CIRCUIT_SIZES.find((s) => s >= n);
  if (size === undefined || n < 1) {
    throw new UserError(`a proof covers 1 to ${CIRCUIT_SIZES[CIRCUIT_SIZES.length - 1]} test examples; this run has ${n}`);
  }
  return size;
}

/**
 * ceil(min * n) computed exactly from the decimal text of `min` (0.85 * 360 is
 * 306.00000000000006 in floating point, which would ask for 307).
 */
export function minCorrectFor(min: number, n: number): number {
  if (!Number.isFinite(min) || min < 0 || min > 1) throw new UserError(`--min must be a number from 0 to 1, got ${min}`);
  const text = min.toString();
  const m = /^(\d+)(?:\.(\d+))?(?:e-(\d+))?$/.exec(text);
  if (!m) throw new UserError(`--min must be a plain decimal from 0 to 1, got ${text}`);
  const digits = (m[1] + (m[2] ?? '')).replace(/^0+(?=\d)/, '');
  const scale = (m[2]?.length ?? 0) + Number(m[3] ?? 0);
  const numerator = BigInt(digits) * BigInt(n);
  const denominator = 10n ** BigInt(scale);
  return Number((numerator + denominator - 1n) / denominator);
}
