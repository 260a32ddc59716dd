/**
 * Freezing labels from layer representational similarity (the SmartFRZ recipe):
 * unit u "can freeze after epoch t" when its output's linear CKA to the final model's output is
 * already high (> `ckaMin`) and has stopped changing (variance of CKA over the last `window`
 * epochs < `varMax`). Freezing is front-to-back, so when unit u can freeze every earlier unit is
 * labelled frozen too. The last `keepTrainable` units are never candidates (the policy never asks
 * about them), and the last epoch is dropped (its CKA to the final model is 1 by definition).
 *
 * Thresholds (tuned on the training runs' CKA curves, see docs/smartfrz.md): the spec's inferred
 * CKA > 0.3 is far too lenient for small networks — their layers reach CKA ~0.9 to the final
 * model after a single epoch — so we require CKA > 0.95 with variance < 1e-4 over 3 epochs.
 */
export interface LabelOptions {
  ckaMin: number;
  varMax: number;
  window: number;
  keepTrainable: number;
}

export const DEFAULT_LABELS: LabelOptions = { ckaMin: 0.95, varMax: 1e-4, window: 3, keepTrainable: 1 };

function variance(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

/** labels[u][t] for the candidate units (all but the last keepTrainable) and epochs 0..E-2. */
export function freezeLabels(cka: number[][], o: LabelOptions = DEFAULT_LABELS): boolean[][] {
  const candidates = Math.max(0, cka.length - o.keepTrainable);
  const epochs = cka[0]?.length ?? 0;
  const stable = (u: number, t: number): boolean =>
    t >= o.window - 1 && cka[u][t] > o.ckaMin && variance(cka[u].slice(t - o.window + 1, t + 1)) < o.varMax;
  const labels: boolean[][] = [];
  for (let u = 0; u < candidates; u++) {
    const row: boolean[] = [];
    for (let t = 0; t < epochs - 1; t++) {
      let any = false;
      for (let v = u; v < candidates && !any; v++) any = stable(v, t);
      row.push(any);
    }
    labels.push(row);
  }
  return labels;
}
