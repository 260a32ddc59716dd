import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNonePolicy } from '../../../src/core/freezing/none';
import { plan, schedule, units } from './fixtures';

describe('none policy', () => {
  it('never freezes', async () => {
    const p = createNonePolicy();
    p.init(units(3), plan(2, 5));
    assert.deepEqual(await schedule(p, plan(2, 5)), []);
    assert.equal(p.lrScale, undefined);
  });
});
