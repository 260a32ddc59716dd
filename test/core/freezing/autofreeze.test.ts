import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { createAutoFreezePolicy, percentileOf } from '../../../src/core/freezing/autofreeze';
import { plan, schedule, units } from './fixtures';

describe('autofreeze policy', () => {
  it('computes percentiles by linear interpolation', () => {
    assert.equal(percentileOf([3, 1, 2], 50), 2);
    assert.equal(percentileOf([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentileOf([1, 2, 3, 4], 100), 4);
  });

  it('freezes the prefix before the first unit whose gradient still changes a lot', async () => {
    // Per-step norms: units 0 and 1 settle (constant), unit 2 and 3 keep changing.
    const norms = (g: number) => [1, 2, 1 + g, 5 + 3 * g];
    const p = createAutoFreezePolicy({ policy: 'autofreeze', intervalSteps: 4 });
    const pl = plan(3, 8);
    p.init(units(4), pl);
    // First interval (steps 0-3) only records; at step 8 r = [0, 0, 0.8, 0.7...] -> threshold p50;
    // units 0 and 1 are below it, unit 2 is not: freeze 2 units.
    const frozeAt = await schedule(p, pl, norms);
    assert.deepEqual(frozeAt, [8, 8]);
    assert.match(p.lastReason!() ?? '', /AutoFreeze/);
  });

  it('never freezes the kept-trainable units, and stops asking for norms when done', async () => {
    const p = createAutoFreezePolicy({ policy: 'autofreeze', intervalSteps: 2, keepTrainable: 1 });
    const pl = plan(4, 4);
    p.init(units(2), pl);
    // Unit 0 constant, unit 1 changing: unit 0 freezes, unit 1 never.
    const frozeAt = await schedule(p, pl, (g) => [1, 1 + g * g]);
    assert.deepEqual(frozeAt, [4]);
    assert.equal(p.wantsGradientNorms!({ epoch: 3, stepInEpoch: 0, globalStep: 12 }), false);
  });

  it('defaults the interval to a quarter epoch and validates options', async () => {
    const p = createAutoFreezePolicy({ policy: 'autofreeze' });
    const pl = plan(2, 20);
    p.init(units(4), pl);
    // Interval 5 steps: at step 10 units 0 and 1 (r = 0) freeze; at step 15 unit 2's relative
    // change (25/40) is below unit 3's (50/75), so unit 2 freezes too; unit 3 is kept trainable.
    const frozeAt = await schedule(p, pl, (g) => [1, 1, 1 + g, 1 + 2 * g]);
    assert.deepEqual(frozeAt, [10, 10, 15]);
    assert.throws(
      () => createAutoFreezePolicy({ policy: 'autofreeze', percentile: 120 }),
      (e: unknown) => e instanceof UserError && e.pointer === '/freezing/percentile',
    );
    assert.throws(
      () => createAutoFreezePolicy({ policy: 'autofreeze', intervalSteps: 0 }).init(units(2), pl),
      (e: unknown) => e instanceof UserError && e.pointer === '/freezing/intervalSteps',
    );
  });

  it('round-trips its state mid-interval and decides the same afterwards', async () => {
    const norms = (g: number) => [1, 2, 1 + g, 5 + 3 * g];
    const pl = plan(3, 8);
    const a = createAutoFreezePolicy({ policy: 'autofreeze', intervalSteps: 4 });
    a.init(units(4), pl);
    for (let g = 0; g < 6; g++) await a.afterStep({ epoch: 0, stepInEpoch: g, globalStep: g }, norms(g));
    const b = createAutoFreezePolicy({ policy: 'autofreeze', intervalSteps: 4 });
    b.init(units(4), pl);
    b.loadState(JSON.parse(JSON.stringify(a.saveState())));
    for (const p of [a, b]) for (let g = 6; g < 8; g++) await p.afterStep({ epoch: 0, stepInEpoch: g, globalStep: g }, norms(g));
    assert.equal(a.frozenPrefix(), 2);
    assert.equal(b.frozenPrefix(), 2);
    assert.deepEqual(b.saveState(), a.saveState());
  });
});
