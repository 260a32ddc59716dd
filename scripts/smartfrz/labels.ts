/**
 * Freezing labels from layer representational similarity (the SmartFRZ recipe), at step-spaced
 * checkpoints: unit u "can freeze at checkpoint c" when its output's linear CKA to the final
 * model's output is already high (> `ckaMin`) and has stopped changing (variance of CKA over the
 * checkpoints of the last `spanSteps` optimizer steps < `varMax`). Freezing is front-to-back, so
 * when unit u can freeze every earlier unit is labelled frozen too. The last `keepTrainable`
 * units are never candidates (the policy never asks about them).
 *
 * Checkpoints in the last `tailFraction` of the run get no label (null): CKA to the final model
 * tends to 1 there by definition, whatever the layer is still doing. Neither do checkpoints
 * before `spanSteps` (too little CKA history to call it stable or not).
 *
 * Thresholds (checked against the recorded CKA curves, see docs/smartfrz.md): the spec's
 * inferred CKA > 0.3 labels nearly every checkpoint frozen in these networks (their layers reach
 * CKA ~0.9 to the final model within one or two hundred steps), so we require CKA > 0.95 with
 * variance < 1e-4 over the last 120 steps (4 checkpoints at 40 steps).
 */
export interface LabelOptions {
  ckaMin: number;
  varMax: number;
  spanSteps: number;
  tailFraction: number;
  keepTrainable: number;
}

export const DEFAULT_LABELS: LabelOptions = { ckaMin: 0.95, varMax: 1e-4, spanSteps: 120, tailFraction: 0.15, keepTrainable: 1 };

function variance(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

/**
 * labels[u][c] for the candidate units (all but the last keepTrainable) and every checkpoint;
 * null where a checkpoint gets no label (the run's tail). `steps[c]`: optimizer steps done at
 * checkpoint c; `totalSteps`: the run's length.
 */
export function freezeLabels(cka: number[][], steps: number[], totalSteps: number, o: LabelOptions = DEFAULT_LABELS): Array<Array<boolean | null>> {
  const candidates = Math.max(0, cka.length - o.keepTrainable);
  const stable = (u: number, c: number): boolean => {
    const span: number[] = [];
    for (let k = c; k >= 0 && steps[k] >= steps[c] - o.spanSteps; k--) span.push(cka[u][k]);
    return span.length >= 2 && cka[u][c] > o.ckaMin && variance(span) < o.varMax;
  };
  const labels: Array<Array<boolean | null>> = [];
  for (let u = 0; u < candidates; u++) {
    const row: Array<boolean | null> = [];
    for (let c = 0; c < steps.length; c++) {
      if (steps[c] > (1 - o.tailFraction) * totalSteps || steps[c] < o.spanSteps) {
        row.push(null);
        continue;
      }
      let any = false;
      for (let v = u; v < candidates && !any; v++) any = stable(v, c);
      row.push(any);
    }
    labels.push(row);
  }
  return labels;
}

/**
 * Drift labels (round 10): unit u "can freeze at checkpoint c" when its representation no longer
 * drifts, by the same signal the policy reads (`RepresentationConvergence.driftRatio`): its change
 * (1 - CKA) since `spanCheckpoints` checkpoints back is at most `maxRatio` times its mean change
 * between consecutive checkpoints over that span, at c **and** in the median over the labelled
 * checkpoints after c (hindsight the policy does not have: a ratio that dips once while the layer
 * still drifts is no label). A layer jittering around a point under the optimizer's noise gets
 * labelled freeze however much it jitters; the CKA labels (`freezeLabels`) required CKA > 0.95
 * to the final model, which a first layer jittering at CKA 0.97-0.99 between readings does not
 * reach steadily, so the predictor fitted on them learned "still changing" and held back every
 * Fashion MLP freeze the drift signal let through (docs/smartfrz.md, round 9).
 *
 * Each unit is labelled on its own signal (no front-to-back carry: a later layer's jitter says
 * nothing about an earlier layer still drifting). Checkpoints before the span and in the last
 * `tailFraction` of the run get no label (null), as with the CKA labels.
 */
export interface DriftLabelOptions {
  /** Checkpoints back (5 at 40 steps: 200 steps, the policy's 4 readings x 50). */
  spanCheckpoints: number;
  /**
   * Largest drift ratio labelled freeze (5 over 5 intervals: the policy's 4 over 4 readings,
   * scaled with the interval count, as a random walk's ratio grows with it).
   */
  maxRatio: number;
  tailFraction: number;
  keepTrainable: number;
}

export const DRIFT_LABELS: DriftLabelOptions = { spanCheckpoints: 5, maxRatio: 5, tailFraction: 0.15, keepTrainable: 1 };

/**
 * The drift ratio at checkpoint c from `back` (back[c][k - 1]: CKA with the checkpoint k back):
 * change over `span` checkpoints / mean change per checkpoint over the same span; NaN before
 * the span, 0 when nothing changed, Infinity when only the span changed.
 */
export function driftRatioAt(back: number[][], c: number, span: number): number {
  if (c < span || (back[c]?.length ?? 0) < span) return NaN;
  const long = Math.max(0, 1 - back[c][span - 1]);
  let short = 0;
  for (let j = 0; j < span; j++) short += Math.max(0, 1 - back[c - j][0]);
  short /= span;
  if (long === 0) return 0;
  return short === 0 ? Infinity : long / short;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * labels[u][c] from the drift signal for the candidate units (all but the last keepTrainable);
 * `back[u]`: the unit's `UnitRecord.back`; `steps[c]`: optimizer steps done at checkpoint c.
 */
export function driftLabels(back: number[][][], steps: number[], totalSteps: number, o: DriftLabelOptions = DRIFT_LABELS): Array<Array<boolean | null>> {
  const candidates = Math.max(0, back.length - o.keepTrainable);
  const labelled = (c: number) => c >= o.spanCheckpoints && steps[c] <= (1 - o.tailFraction) * totalSteps;
  const labels: Array<Array<boolean | null>> = [];
  for (let u = 0; u < candidates; u++) {
    const ratios = steps.map((_, c) => (labelled(c) ? driftRatioAt(back[u], c, o.spanCheckpoints) : NaN));
    labels.push(steps.map((_, c) => {
      if (!labelled(c) || Number.isNaN(ratios[c])) return null;
      const later = ratios.slice(c).filter((r) => !Number.isNaN(r));
      return ratios[c] <= o.maxRatio && median(later) <= o.maxRatio;
    }));
  }
  return labels;
}
