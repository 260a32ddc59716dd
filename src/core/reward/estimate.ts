import { UserError } from '../errors';
import type { Canonicalization } from './canonicalize';
import type { Norm, Normalization } from './norms';

/**
 * Memory and time of a reward comparison, estimated from the file's dimensions before anything
 * is allocated, so that a large comparison is refused or confirmed first instead of taking a
 * machine's memory (a 100 x 100 gridworld is 10,000 states: every (s, a, s') array is 3.2 GB).
 *
 * The model counts what `rewardsFile.ts`, `canonicalize.ts` and `pairwiseNorms.ts` allocate
 * (N = S*A*S float64 entries for T and for each reward; per canonicalisation its arrays) and the
 * work they do (passes over N entries, LU factorisations whose elimination runs over whole rows,
 * DARD's products), converted to seconds with rates measured on a 2-core machine
 * (`DEFAULT_RATES`). It is an estimate: memory within tens of percent, time within a factor of
 * about two on that machine (see docs/rewards.md, "Size limits").
 */

/** What the estimate needs to know about a rewards file (read from its JSON, before building anything). */
export interface ComparisonSize {
  states: number;
  actions: number;
  /** Rewards to compare (including a gridworld's "task"). */
  rewards: number;
  /** Of which learned reward models (scored on every transition with TensorFlow.js). */
  learned: number;
  /** Non-zero transition probabilities (S*A*S for a dense MDP). */
  nonZeros: number;
  /** Largest |s - s'| with T(s, a, s') > 0: the band of I - gamma*P, which bounds the LU's work. */
  bandwidth: number;
  /** Characters of the file (its parse tree is held while the arrays are built). */
  textLength: number;
}

export interface ComparisonSettings {
  canon: Canonicalization;
  norm: Normalization;
  metric: Norm;
}

export interface ComparisonEstimate {
  /** Peak bytes allocated (typed arrays and the parse tree). */
  bytes: number;
  /** Seconds of computation on the reference machine, one thread. */
  seconds: number;
}

/**
 * Throughputs of the reference machine (2 shared cores, Node 20), fitted with
 * `npm run bench:estimate` (CPU time, which other load does not inflate): float64 entries per
 * second for simple passes (fill, validate, canonicalise, norms), multiply-adds per second for
 * the scalar LU and the wasm SIMD product, terms per second of the sparse sums, entry-pairs per
 * second in the pairwise stage, characters per second of parsing, bytes of parse tree per
 * character of JSON.
 */
export interface EstimateRates {
  entriesPerSecond: number;
  scalarMultiplyAddsPerSecond: number;
  /** DARD's and minimal's sums over the non-zero transitions (indexed loads). */
  sparseTermsPerSecond: number;
  gemmMultiplyAddsPerSecond: number;
  pairEntriesPerSecond: number;
  /** Parsing the file (JSON with comments) into its tree and values. */
  charsPerSecond: number;
  treeBytesPerChar: number;
}

export const DEFAULT_RATES: EstimateRates = {
  entriesPerSecond: 4.5e8,
  scalarMultiplyAddsPerSecond: 8e8,
  sparseTermsPerSecond: 2.5e8,
  gemmMultiplyAddsPerSecond: 2e9,
  pairEntriesPerSecond: 4e9,
  charsPerSecond: 1.2e7,
  treeBytesPerChar: 40,
};

/** Bytes of a Node process with the reward code and TensorFlow.js loaded. */
const BASE_BYTES = 150 * 2 ** 20;
/** Rows a learned reward model scores at once (`scoreRewardModel`'s batch). */
const LEARNED_BATCH = 8192;

/** A dense MDP (DARD and minimal then use dense products instead of the sparse sums). */
function isDense(size: ComparisonSize): boolean {
  return size.nonZeros > 0.5 * size.states * size.actions * size.states;
}

export function estimateComparison(size: ComparisonSize, settings: ComparisonSettings, rates: EstimateRates = DEFAULT_RATES): ComparisonEstimate {
  const S = size.states;
  const A = size.actions;
  const k = size.rewards;
  const N = S * A * S;
  const SA = S * A;
  const SS = S * S;
  const dense = isDense(size);
  const rowNonZeros = size.nonZeros / Math.max(1, SA);
  // The LU's elimination updates whole rows for every non-zero below the pivot: band x S^2 / 2.
  const luMultiplyAdds = (Math.min(Math.max(1, size.bandwidth), S) * SS) / 2;

  // Loading: T and every reward (built, then validated), the parse tree, learned models' batches.
  let bytes = BASE_BYTES + 8 * N * (1 + k) + size.textLength * rates.treeBytesPerChar;
  if (size.learned > 0) bytes += 2 * LEARNED_BATCH * (2 * S + A) * 4;
  let entries = 3 * N * (1 + k) + size.learned * N * (2 * S + A);
  let scalar = 0;
  let sparse = 0;
  let gemm = 0;

  // Canonicalisation: what each kind keeps per reward and its work (setup once, then per reward).
  switch (settings.canon) {
    case 'none':
      entries += k * N;
      break;
    case 'epic':
      bytes += 8 * N * k;
      entries += 4 * N * k;
      break;
    case 'val':
      bytes += 16 * SS + 8 * SA * k;
      scalar += luMultiplyAdds + k * SS;
      entries += SS + 4 * N * k;
      break;
    case 'dard':
      bytes += 4 * size.nonZeros + 8 * SS * k + (dense ? 8 * N + 8 * (A + 4) * SS : 0);
      if (dense) gemm += 2 * A * S * SS * k;
      else sparse += 2 * A * SS * rowNonZeros * k;
      entries += N + 4 * N * k;
      break;
    case 'minimal':
      bytes += 4 * size.nonZeros + 16 * SS + (dense ? 8 * N : 0) + 8 * N * k;
      if (dense) gemm += SS * SA;
      else sparse += SA * rowNonZeros * rowNonZeros;
      scalar += luMultiplyAdds + k * SS;
      entries += 2 * N + 4 * N * k;
      break;
  }

  // The pairwise stage: every pair over every entry (VAL's canonical rewards have S*A entries).
  const length = settings.canon === 'val' ? SA : N;
  const pairs = (k * (k - 1)) / 2;
  bytes += 16 * k * k;
  const seconds =
    size.textLength / rates.charsPerSecond +
    entries / rates.entriesPerSecond +
    scalar / rates.scalarMultiplyAddsPerSecond +
    sparse / rates.sparseTermsPerSecond +
    gemm / rates.gemmMultiplyAddsPerSecond +
    (pairs * length) / rates.pairEntriesPerSecond;
  return { bytes, seconds };
}

/**
 * Above the soft limit a comparison is only computed after the user agreed (the editor asks,
 * with the estimate); in Restricted Mode it is refused. Above the hard limit (half the machine's
 * memory: the rest is the editor's, the system's, other programs') it is refused everywhere.
 */
export const SOFT_LIMIT = { bytes: 2 ** 30, seconds: 15 };

export interface SizeCheck {
  estimate: ComparisonEstimate;
  /** Above the soft limit: compute only with the user's agreement. */
  large: boolean;
}

export interface SizeCheckOptions {
  totalMemoryBytes: number;
  /** Restricted Mode: nothing above the soft limit. */
  restricted?: boolean;
  /** Named in the refusal. */
  file?: string;
}

/**
 * Sizes a comparison before anything is built; throws a UserError naming the size, the
 * estimate and what to change when it must not run.
 */
export function checkComparisonSize(size: ComparisonSize, settings: ComparisonSettings, opts: SizeCheckOptions, rates: EstimateRates = DEFAULT_RATES): SizeCheck {
  const estimate = estimateComparison(size, settings, rates);
  const what = `comparing ${size.rewards} rewards on ${size.states} states x ${size.actions} actions (${settings.canon}) needs ${describeEstimate(estimate)}`;
  if (!(estimate.bytes <= opts.totalMemoryBytes / 2)) {
    throw new UserError(`${what}, more than half of this machine's ${formatBytes(opts.totalMemoryBytes)}: use fewer states or rewards`, undefined, opts.file);
  }
  const large = estimate.bytes > SOFT_LIMIT.bytes || estimate.seconds > SOFT_LIMIT.seconds;
  if (large && opts.restricted) {
    throw new UserError(`${what}; Restricted Mode runs only comparisons under ${formatBytes(SOFT_LIMIT.bytes)} and ${SOFT_LIMIT.seconds} s: trust the workspace to run it`, undefined, opts.file);
  }
  return { estimate, large };
}

/** e.g. "about 3.4 GB of memory and 40 s": for messages and the confirmation dialog. */
export function describeEstimate(estimate: ComparisonEstimate): string {
  return `about ${formatBytes(estimate.bytes)} of memory and ${formatSeconds(estimate.seconds)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toPrecision(2)} GB`;
  return `${Math.max(1, Math.round(bytes / 2 ** 20))} MB`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 1) return 'under a second';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toPrecision(2)} h`;
}
