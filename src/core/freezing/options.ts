import { UserError } from '../errors';
import type { FreezableUnit } from './policy';

/** Default of `freezing.keepTrainable`: the classifier (last weighted layer) keeps training. */
export const DEFAULT_KEEP_TRAINABLE = 1;

/** How many leading units a policy may freeze at most, given `keepTrainable`. */
export function maxFrozenUnits(units: FreezableUnit[], keepTrainable: number): number {
  return Math.max(0, units.length - keepTrainable);
}

/** A non-negative integer option, or its default; a UserError naming `/freezing/<field>` otherwise. */
export function intOption(value: number | undefined, field: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`${field} must be an integer >= ${min}, got ${value}`, `/freezing/${field}`);
  }
  return value;
}

/** A number option in [min, max], or its default. */
export function numberOption(value: number | undefined, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new UserError(`${field} must be a number in [${min}, ${max}], got ${value}`, `/freezing/${field}`);
  }
  return value;
}

/** Narrow a state object read from a checkpoint; a corrupt checkpoint is an internal error. */
export function stateObject(state: unknown, policy: string): Record<string, unknown> {
  if (typeof state !== 'object' || state === null) throw new Error(`${policy} policy: invalid saved state`);
  return state as Record<string, unknown>;
}
