import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { createPolicy } from '../../../src/core/freezing/create';
import type { FreezingConfig } from '../../../src/core/experiment/types';

describe('createPolicy', () => {
  it('creates each baseline policy by name, none by default', () => {
    assert.equal(createPolicy(undefined).name, 'none');
    for (const name of ['none', 'static', 'linear', 'autofreeze'] as const) assert.equal(createPolicy({ policy: name }).name, name);
  });

  it('rejects unknown policies and bad options with the field', () => {
    assert.throws(() => createPolicy({ policy: 'magic' } as unknown as FreezingConfig), (e: unknown) => e instanceof UserError && e.pointer === '/freezing/policy');
    assert.throws(() => createPolicy({ policy: 'linear', t0: 2 }), (e: unknown) => e instanceof UserError && e.pointer === '/freezing/t0');
    assert.throws(() => createPolicy({ policy: 'linear', keepTrainable: -1 }), (e: unknown) => e instanceof UserError && e.pointer === '/freezing/keepTrainable');
  });
});
