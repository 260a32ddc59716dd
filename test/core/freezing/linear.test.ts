import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLinearPolicy } from '../../../src/core/freezing/linear';
import { plan, schedule, units } from './fixtures';

describe('linear (FreezeOut) policy', () => {
  it('freezes unit i at t_i = t0 + (1 - t0) i / L of training, keeping the last unit', async () => {
    const p = createLinearPolicy({ policy: 'linear', t0: 0.5 });
    const pl = plan(10, 10);
    p.init(units(5), pl); // L = 4 freezable units
    assert.deepEqual(await schedule(p, pl), [50, 63, 75, 88]);
  });

  it('supports the cubic schedule', async () => {
    const p = createLinearPolicy({ policy: 'linear', t0: 0.5, cubic: true });
    const pl = plan(10, 10);
    p.init(units(3), pl); // L = 2: t = 0.5^3, 0.75^3
    assert.deepEqual(await schedule(p, pl), [13, 43]);
  });

  it('anneals each unit\'s learning rate with a half cosine to 0 at its freeze point', () => {
    const p = createLinearPolicy({ policy: 'linear', t0: 0.5 });
    p.init(units(3), plan(1, 100)); // t = 0.5, 0.75 -> horizons 50 and 75 steps
    const at = (u: number, g: number) => p.lrScale!(u, { epoch: 0, stepInEpoch: g, globalStep: g });
    assert.equal(at(0, 0), 1);
    assert.ok(Math.abs(at(0, 25) - 0.5) < 1e-12);
    assert.ok(Math.abs(at(1, 25) - 0.5 * (1 + Math.cos(Math.PI / 3))) < 1e-12);
    assert.equal(at(0, 50), 0);
    assert.equal(at(2, 99), 1, 'the kept-trainable unit is not annealed');
  });

  it('round-trips its state', async () => {
    const a = createLinearPolicy({ policy: 'linear' });
    a.init(units(3), plan(1, 10));
    for (let g = 0; g < 8; g++) await a.afterStep({ epoch: 0, stepInEpoch: g, globalStep: g });
    const b = createLinearPolicy({ policy: 'linear' });
    b.init(units(3), plan(1, 10));
    b.loadState(JSON.parse(JSON.stringify(a.saveState())));
    assert.equal(b.frozenPrefix(), a.frozenPrefix());
    assert.equal(b.frozenPrefix(), 2);
  });
});
