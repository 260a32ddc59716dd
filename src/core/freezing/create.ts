import { UserError } from '../errors';
import type { FreezingConfig } from '../experiment/types';
import { createAutoFreezePolicy } from './autofreeze';
import { createLinearPolicy } from './linear';
import { createNonePolicy } from './none';
import type { FreezingPolicy } from './policy';
import { createSmartFrzPolicy } from './smartfrz/policy';
import { createStaticPolicy } from './static';

/** The freezing policy an experiment asks for (`none` when it has no `freezing` section). */
export function createPolicy(cfg: FreezingConfig | undefined): FreezingPolicy {
  if (cfg === undefined) return createNonePolicy();
  switch (cfg.policy) {
    case 'none':
      return createNonePolicy();
    case 'static':
      return createStaticPolicy(cfg);
    case 'linear':
      return createLinearPolicy(cfg);
    case 'autofreeze':
      return createAutoFreezePolicy(cfg);
    case 'smartfrz':
      return createSmartFrzPolicy(cfg);
    default:
      throw new UserError(
        `unknown freezing policy '${(cfg as { policy: string }).policy}' (one of none, static, linear, autofreeze, smartfrz)`,
        '/freezing/policy',
      );
  }
}
