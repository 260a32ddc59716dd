/**
 * How the Frido miniature chooses its sampling knobs (the guidance weight w, and coarse-to-fine's
 * split of the network calls between its stages) without looking at the numbers it reports: on a
 * validation split (fresh samples from their own seed, measured against held-out images that the
 * reported distance never uses), by a rule fixed before any run.
 *
 * The rule (`pickByRule`): the candidate with the highest validation class consistency (the
 * issue's target), where every candidate within one binomial standard error of the best counts as
 * tied; among the tied, the lowest validation distance (stronger guidance buys class consistency
 * with distance, so a gain within noise does not get to spend distance). Candidates in the order
 * given break exact ties.
 */

/** One measured candidate: its knobs and its validation measurements. */
export interface ValidationPoint {
  guidance: number;
  coarseShare: number;
  distance: number;
  classConsistency: number;
}

/** What a schedule's selection chose, and everything it measured to choose it (recorded in the run). */
export interface SamplingSelection {
  guidance: number;
  coarseShare: number;
  /** Samples per candidate (and held-out validation images as the distance's reference). */
  samples: number;
  rule: string;
  candidates: ValidationPoint[];
}

export const SELECTION_RULE =
  'highest validation class consistency; candidates within one binomial standard error of the best are tied, and the tied candidate with the lowest validation distance wins';

/** The index of the candidate the rule picks (see the module comment); `samples`: samples per candidate. */
export function pickByRule(points: readonly Pick<ValidationPoint, 'distance' | 'classConsistency'>[], samples: number): number {
  if (points.length === 0) throw new Error('no candidates to choose from');
  const best = Math.max(...points.map((p) => p.classConsistency));
  const se = Math.sqrt((best * (1 - best)) / samples);
  let pick = -1;
  points.forEach((p, i) => {
    if (p.classConsistency >= best - se - 1e-12 && (pick < 0 || p.distance < points[pick].distance)) pick = i;
  });
  return pick;
}

/**
 * The held-out images' two disjoint parts: the reference of the reported measurements (the first
 * `reportSamples`, at most all but the validation part) and the validation reference (the last
 * `validationSamples`, at most half of them).
 */
export function heldOutSplit(count: number, reportSamples: number, validationSamples: number): { report: [number, number]; validation: [number, number] } {
  const v = Math.min(validationSamples, Math.floor(count / 2));
  const r = Math.min(reportSamples, count - v);
  return { report: [0, r], validation: [count - v, count] };
}
