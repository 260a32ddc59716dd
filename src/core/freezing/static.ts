import { UserError } from '../errors';
import type { FreezingConfig } from '../experiment/types';
import { DEFAULT_KEEP_TRAINABLE, intOption, maxFrozenUnits, stateObject } from './options';
import type { FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from './policy';

/**
 * `static`: freeze a user-chosen prefix — `layers` (names, which must be the first weighted
 * layers in order) or `prefix` (a count) — once `atStep` optimizer steps have been taken, or at
 * the start of epoch `atEpoch` (0-based; default 0: frozen from the start, e.g. fine-tuning).
 */
export function createStaticPolicy(cfg: FreezingConfig): FreezingPolicy {
  const keepTrainable = intOption(cfg.keepTrainable, 'keepTrainable', DEFAULT_KEEP_TRAINABLE);
  if (cfg.layers !== undefined && cfg.prefix !== undefined) {
    throw new UserError('give either layers or prefix, not both', '/freezing/prefix');
  }
  if (cfg.atStep !== undefined && cfg.atEpoch !== undefined) {
    throw new UserError('give either atEpoch or atStep, not both', '/freezing/atStep');
  }
  const atStep = intOption(cfg.atStep, 'atStep', -1);
  const atEpoch = intOption(cfg.atEpoch, 'atEpoch', 0);
  let count = 0;
  let freezeStep = 0;
  let stepsTaken = 0;
  let epochReason = '';

  return {
    name: 'static',
    init(units: FreezableUnit[], plan: TrainingPlan) {
      if (cfg.layers !== undefined) {
        cfg.layers.forEach((name, i) => {
          const unit = units.find((u) => u.name === name);
          if (!unit) {
            throw new UserError(
              `'${name}' is not a layer with weights (freezable layers: ${units.map((u) => u.name).join(', ')})`,
              `/freezing/layers/${i}`,
            );
          }
          if (unit.index !== i) {
            throw new UserError(
              `static freezing needs a prefix of the model: layer ${i + 1} to freeze must be '${units[i]?.name}', got '${name}'`,
              `/freezing/layers/${i}`,
            );
          }
        });
        count = cfg.layers.length;
      } else {
        count = intOption(cfg.prefix, 'prefix', 0);
      }
      const limit = maxFrozenUnits(units, keepTrainable);
      if (count > limit) {
        throw new UserError(
          `cannot freeze ${count} layers: the model has ${units.length} layers with weights and keepTrainable is ${keepTrainable}`,
          cfg.layers !== undefined ? '/freezing/layers' : '/freezing/prefix',
        );
      }
      freezeStep = atStep >= 0 ? atStep : atEpoch * plan.stepsPerEpoch;
      epochReason = atStep >= 0 ? `static: atStep ${atStep}` : `static: atEpoch ${atEpoch}`;
      stepsTaken = 0;
    },
    afterStep(step: StepInfo) {
      stepsTaken = step.globalStep + 1;
    },
    frozenPrefix: () => (stepsTaken >= freezeStep ? count : 0),
    lastReason: () => epochReason,
    saveState: () => ({ stepsTaken }),
    loadState(state: unknown) {
      stepsTaken = Number(stateObject(state, 'static').stepsTaken);
    },
  };
}
