import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { createStaticPolicy } from '../../../src/core/freezing/static';
import { plan, schedule, units } from './fixtures';

describe('static policy', () => {
  it('freezes the named prefix at the start of the given epoch', async () => {
    const p = createStaticPolicy({ policy: 'static', layers: ['l0', 'l1'], atEpoch: 2 });
    p.init(units(4), plan(4, 10));
    assert.deepEqual(await schedule(p, plan(4, 10)), [20, 20]);
  });

  it('freezes a prefix count at a global step, or from the start by default', async () => {
    const a = createStaticPolicy({ policy: 'static', prefix: 3, atStep: 7 });
    a.init(units(4), plan(2, 10));
    assert.deepEqual(await schedule(a, plan(2, 10)), [7, 7, 7]);
    const b = createStaticPolicy({ policy: 'static', prefix: 1 });
    b.init(units(4), plan(2, 10));
    assert.equal(b.frozenPrefix(), 1);
  });

  it('rejects layer lists that are not a prefix, unknown names and too many layers', () => {
    const bad = (cfg: Parameters<typeof createStaticPolicy>[0], pointer: string) =>
      assert.throws(
        () => createStaticPolicy(cfg).init(units(3), plan(2, 10)),
        (e: unknown) => e instanceof UserError && e.pointer === pointer,
      );
    bad({ policy: 'static', layers: ['l1'] }, '/freezing/layers/0');
    bad({ policy: 'static', layers: ['l0', 'l2'] }, '/freezing/layers/1');
    bad({ policy: 'static', layers: ['dropout_1'] }, '/freezing/layers/0');
    bad({ policy: 'static', prefix: 3 }, '/freezing/prefix');
    bad({ policy: 'static', prefix: 1, atStep: -1 }, '/freezing/atStep');
    // keepTrainable 0 allows freezing everything.
    createStaticPolicy({ policy: 'static', prefix: 3, keepTrainable: 0 }).init(units(3), plan(2, 10));
  });

  it('round-trips its state', async () => {
    const a = createStaticPolicy({ policy: 'static', prefix: 2, atStep: 5 });
    a.init(units(3), plan(1, 10));
    for (let g = 0; g < 6; g++) await a.afterStep({ epoch: 0, stepInEpoch: g, globalStep: g });
    const b = createStaticPolicy({ policy: 'static', prefix: 2, atStep: 5 });
    b.init(units(3), plan(1, 10));
    b.loadState(JSON.parse(JSON.stringify(a.saveState())));
    assert.equal(b.frozenPrefix(), 2);
    assert.equal(a.frozenPrefix(), 2);
  });
});
