import type { FreezingPolicyName } from '../../core/experiment/types';

/** The freezing policies users can pick, with the one-line descriptions the quick picks show. */
export interface PolicyChoice {
  policy: FreezingPolicyName;
  label: string;
  description: string;
  detail: string;
}

export const POLICY_CHOICES: readonly PolicyChoice[] = [
  { policy: 'none', label: 'none', description: 'baseline', detail: 'Train every layer for every epoch.' },
  { policy: 'static', label: 'static', description: 'fixed schedule', detail: 'Freeze the first layers at a fixed epoch or step: the file\'s static settings, or the layers and epoch you pick next.' },
  { policy: 'linear', label: 'linear', description: 'FreezeOut', detail: 'Anneal each layer\'s learning rate to zero on a schedule, then freeze it, front to back.' },
  { policy: 'autofreeze', label: 'autofreeze', description: 'gradient-norm based', detail: 'Freeze a layer once its gradient changes fall below a percentile of the others.' },
  { policy: 'smartfrz', label: 'smartfrz', description: 'learned predictor', detail: 'A small predictor watches weight histories and freezes layers that have converged (SmartFRZ).' },
];
