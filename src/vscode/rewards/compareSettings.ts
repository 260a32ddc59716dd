import { UserError } from '../../core/errors';
import { parseCanonicalization } from '../../core/reward/names';
import { parseNormalization } from '../../core/reward/norms';
import { CANON_OPTIONS, DEFAULT_SETTINGS, METRIC_OPTIONS, NORM_OPTIONS, type CompareSettings } from '../../panels/rewards/messages';

/**
 * Settings from a `kind: "reward-compare"` experiment (or any caller): missing fields take the
 * defaults; names the panel shows (`VAL`, `L2`, `weighted L∞`) are accepted; an unknown value is
 * a UserError naming the field and the allowed values.
 */
export function settingsFrom(options: { canon?: string; norm?: string; metric?: string } = {}): CompareSettings {
  const pick = <T extends string>(field: string, value: string | undefined, allowed: readonly T[], fallback: T): T => {
    if (value === undefined) return fallback;
    const v = field === 'canon' ? parseCanonicalization(String(value)) : parseNormalization(String(value));
    if (v === undefined || !(allowed as readonly string[]).includes(v)) {
      throw new UserError(`unknown ${field} "${value}" (expected one of ${allowed.join(', ')})`, `/${field}`);
    }
    return v as T;
  };
  return {
    canon: pick('canon', options.canon, CANON_OPTIONS, DEFAULT_SETTINGS.canon),
    norm: pick('norm', options.norm, NORM_OPTIONS, DEFAULT_SETTINGS.norm),
    metric: pick('metric', options.metric, METRIC_OPTIONS, DEFAULT_SETTINGS.metric),
  };
}
