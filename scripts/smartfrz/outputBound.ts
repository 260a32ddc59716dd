/**
 * The output guard's bound (`minOutputSimilarity`, round 11) from recorded pairs: the least CKA
 * of the model's predictions between consecutive checkpoints that the guard accepts. A pair's
 * predictions are called converged at a checkpoint when their CKA to the final predictions
 * exceeds `ckaMin` (the CKA labels' bound); the bound is the grid value whose "at least this"
 * best separates converged from not (balanced accuracy; ties: the lower, more permissive,
 * bound). Only checkpoints where the first unit has a drift label count: where a freezing stage
 * could ask (past the span, before the run's tail). The recordings store the last unit's output
 * after its softmax, which is what the guard reads (softmax of the loop's logits).
 */
import { DEFAULT_LABELS, DRIFT_LABELS, driftLabels } from './labels';
import type { RunRecord } from './record';

export interface OutputBound {
  bound: number;
  balancedAccuracy: number;
  /** Share of converged checkpoints the bound passes, and of the others it holds. */
  passesConverged: number;
  holdsFar: number;
  converged: number;
  far: number;
}

/** Candidate bounds: 0.9 to 0.995 in steps of 0.005. */
export const OUTPUT_BOUND_GRID = Array.from({ length: 20 }, (_, i) => +(0.9 + 0.005 * i).toFixed(3));

export function outputSimilarityBound(runs: Array<Pick<RunRecord, 'units' | 'checkpoints' | 'totalSteps'>>, ckaMin = DEFAULT_LABELS.ckaMin): OutputBound {
  const converged: number[] = [];
  const far: number[] = [];
  for (const r of runs) {
    if (r.units.length < 2) continue;
    const labels = driftLabels(r.units.map((u) => u.back), r.checkpoints, r.totalSteps, DRIFT_LABELS);
    const out = r.units[r.units.length - 1];
    r.checkpoints.forEach((_, c) => {
      const previous = out.back[c]?.[0];
      if (labels[0][c] === null || previous === undefined) return;
      (out.cka[c] > ckaMin ? converged : far).push(previous);
    });
  }
  if (converged.length === 0 || far.length === 0) throw new Error(`the output bound needs converged and unconverged checkpoints (got ${converged.length} and ${far.length})`);
  let best: OutputBound | undefined;
  for (const bound of OUTPUT_BOUND_GRID) {
    const passesConverged = converged.filter((s) => s >= bound).length / converged.length;
    const holdsFar = far.filter((s) => s < bound).length / far.length;
    const balancedAccuracy = (passesConverged + holdsFar) / 2;
    if (best === undefined || balancedAccuracy > best.balancedAccuracy + 1e-12) best = { bound, balancedAccuracy, passesConverged, holdsFar, converged: converged.length, far: far.length };
  }
  return best!;
}
