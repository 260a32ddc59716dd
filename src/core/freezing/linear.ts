import type { FreezingConfig } from '../experiment/types';
import { cosineDecay } from '../train/cosineDecay';
import { DEFAULT_KEEP_TRAINABLE, intOption, maxFrozenUnits, numberOption, stateObject } from './options';
import type { FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from './policy';

/**
 * `linear` (FreezeOut, Brock et al. 2017): unit i of the L freezable units (all but the last
 * `keepTrainable`) freezes after fraction t_i = t0 + (1 - t0) * i / L of training
 * (cubic: t_i^3), and its learning rate anneals to 0 by then:
 * lr_i(j) = lr0 * 0.5 * (1 + cos(pi * j / (t_i * J))), exposed as `lrScale` (the training loop
 * scales the unit's update, not its gradient, so the schedule holds for Adam too).
 * Units kept trainable run at scale 1 throughout.
 */
export function createLinearPolicy(cfg: FreezingConfig): FreezingPolicy {
  const keepTrainable = intOption(cfg.keepTrainable, 'keepTrainable', DEFAULT_KEEP_TRAINABLE);
  const t0 = numberOption(cfg.t0, 't0', 0.5, 0, 1);
  const cubic = cfg.cubic === true;
  /** Global step count at which each freezable unit freezes. */
  let freezeAt: number[] = [];
  /** t_i * J, the annealing horizon in steps (not rounded). */
  let horizon: number[] = [];
  /** t_i, the fraction of training after which unit i freezes. */
  let fractions: number[] = [];
  let stepsTaken = 0;

  const frozenPrefix = () => {
    let k = 0;
    while (k < freezeAt.length && stepsTaken >= freezeAt[k]) k++;
    return k;
  };

  return {
    name: 'linear',
    init(units: FreezableUnit[], plan: TrainingPlan) {
      const L = maxFrozenUnits(units, keepTrainable);
      fractions = [];
      for (let i = 0; i < L; i++) {
        const t = t0 + ((1 - t0) * i) / L;
        fractions.push(cubic ? t ** 3 : t);
      }
      horizon = fractions.map((t) => t * plan.totalSteps);
      freezeAt = horizon.map((h) => Math.max(1, Math.ceil(h)));
      stepsTaken = 0;
    },
    afterStep(step: StepInfo) {
      stepsTaken = step.globalStep + 1;
    },
    frozenPrefix,
    lastReason() {
      const k = frozenPrefix();
      if (k === 0) return undefined;
      return `FreezeOut schedule: t=${fractions[k - 1].toFixed(3)} of training`;
    },
    lrScale(unit: number, step: StepInfo) {
      if (unit >= horizon.length) return 1;
      const j = step.globalStep;
      if (j >= horizon[unit]) return 0;
      return cosineDecay(1, j, horizon[unit]);
    },
    saveState: () => ({ stepsTaken }),
    loadState(state: unknown) {
      stepsTaken = Number(stateObject(state, 'linear').stepsTaken);
    },
  };
}
