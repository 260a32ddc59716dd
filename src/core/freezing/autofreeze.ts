import type { FreezingConfig } from '../experiment/types';
import { DEFAULT_KEEP_TRAINABLE, intOption, maxFrozenUnits, numberOption, stateObject } from './options';
import type { FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from './policy';

/**
 * `autofreeze` (AutoFreeze, Liu et al. 2021). Every `intervalSteps` optimizer steps (default:
 * a quarter epoch): G_l = the unit's gradient L1 norm accumulated over the interval (the sum of
 * the per-step L1 norms the loop reports — the loop hands over per-step norms, and summing them
 * avoids keeping a gradient-sized accumulator per layer); r_l = |G_prev,l - G_l| / G_prev,l;
 * threshold = the `percentile` (default 50, linear interpolation) of r over the active
 * (not yet frozen) units; the prefix before the first active unit with r >= threshold freezes
 * (never more than all but `keepTrainable` units). The first interval only records G_prev.
 */
export function createAutoFreezePolicy(cfg: FreezingConfig): FreezingPolicy {
  const keepTrainable = intOption(cfg.keepTrainable, 'keepTrainable', DEFAULT_KEEP_TRAINABLE);
  const percentile = numberOption(cfg.percentile, 'percentile', 50, 0, 100);
  let interval = 1;
  let numUnits = 0;
  let limit = 0;
  let stepsTaken = 0;
  let frozen = 0;
  let accum: number[] = [];
  let prev: number[] | null = null;
  let reason: string | undefined;

  const evaluate = () => {
    const g = accum;
    accum = new Array(numUnits).fill(0);
    const last = prev;
    prev = g;
    if (last === null || frozen >= limit) return;
    const r: number[] = [];
    for (let l = frozen; l < numUnits; l++) {
      const p = last[l];
      r.push(p > 0 ? Math.abs(p - g[l]) / p : g[l] > 0 ? Infinity : 0);
    }
    const threshold = percentileOf(r, percentile);
    let first = r.findIndex((v) => v >= threshold);
    if (first < 0) first = r.length;
    const next = Math.min(limit, frozen + first);
    if (next > frozen) {
      reason = `AutoFreeze: gradient change ${r[next - 1 - frozen].toFixed(3)} < p${percentile} ${threshold.toFixed(3)}`;
      frozen = next;
    }
  };

  return {
    name: 'autofreeze',
    init(units: FreezableUnit[], plan: TrainingPlan) {
      interval = intOption(cfg.intervalSteps, 'intervalSteps', Math.max(1, Math.round(plan.stepsPerEpoch / 4)), 1);
      numUnits = units.length;
      limit = maxFrozenUnits(units, keepTrainable);
      stepsTaken = 0;
      frozen = 0;
      accum = new Array(numUnits).fill(0);
      prev = null;
      reason = undefined;
    },
    wantsGradientNorms: () => frozen < limit,
    afterStep(step: StepInfo, gradL1?: number[]) {
      stepsTaken = step.globalStep + 1;
      if (gradL1) for (let l = 0; l < numUnits; l++) accum[l] += gradL1[l] ?? 0;
      if (stepsTaken % interval === 0) evaluate();
    },
    frozenPrefix: () => frozen,
    lastReason: () => reason,
    saveState: () => ({ stepsTaken, frozen, accum, prev, reason }),
    loadState(state: unknown) {
      const s = stateObject(state, 'autofreeze');
      stepsTaken = Number(s.stepsTaken);
      frozen = Number(s.frozen);
      accum = (s.accum as number[]).map(Number);
      prev = s.prev === null ? null : (s.prev as number[]).map(Number);
      reason = s.reason as string | undefined;
    },
  };
}

/** The p-th percentile (0..100) of `values`, interpolating linearly between order statistics. */
export function percentileOf(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi || sorted[hi] === sorted[lo]) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
