import type { FreezingPolicy } from './policy';

/** `none`: full training, nothing ever freezes (the reference every other policy is compared with). */
export function createNonePolicy(): FreezingPolicy {
  return {
    name: 'none',
    init() {},
    afterStep() {},
    frozenPrefix: () => 0,
    saveState: () => ({}),
    loadState() {},
  };
}
