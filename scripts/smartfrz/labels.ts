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
