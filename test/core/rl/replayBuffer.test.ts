import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayBuffer } from '../../../src/core/rl/replayBuffer';
import { createRng } from '../../../src/core/util/random';

describe('ReplayBuffer', () => {
  it('stores (s, a, s\', z, done) rows, overwrites the oldest when full, and samples only stored rows', () => {
    const b = new ReplayBuffer({ obs: 2, action: 2, skill: 1 }, 3);
    for (let i = 0; i < 5; i++) b.add([i, i], [i / 10, -i / 10], [i + 1, i + 1], [i], i === 4);
    assert.equal(b.size, 3);
    const batch = b.sample(200, createRng(1));
    const seen = new Set(Array.from(batch.skills));
    assert.deepEqual([...seen].sort(), [2, 3, 4], 'transitions 0 and 1 were overwritten');
    for (let k = 0; k < batch.size; k++) {
      const i = batch.skills[k];
      assert.deepEqual([batch.obs[2 * k], batch.nextObs[2 * k + 1], batch.dones[k]], [i, i + 1, i === 4 ? 1 : 0]);
      assert.ok(Math.abs(batch.actions[2 * k + 1] + i / 10) < 1e-6);
    }
  });

  it('round-trips its state: a restored buffer samples exactly the same batches', () => {
    const a = new ReplayBuffer({ obs: 2, action: 1, skill: 2 }, 50);
    const rng = createRng(7);
    for (let i = 0; i < 70; i++) a.add([rng.next(), rng.next()], [rng.next()], [rng.next(), rng.next()], [1, 0], false);
    const { rows, json } = a.state();
    const b = new ReplayBuffer({ obs: 2, action: 1, skill: 2 }, 50);
    b.restore(rows, json);
    assert.deepEqual(b.sample(32, createRng(3)), a.sample(32, createRng(3)));
    a.add([9, 9], [0], [9, 9], [0, 1], true);
    b.add([9, 9], [0], [9, 9], [0, 1], true);
    assert.deepEqual(b.state().rows, a.state().rows, 'the write position was restored too');
    assert.throws(() => new ReplayBuffer({ obs: 2, action: 2, skill: 2 }, 50).restore(rows, json), /does not fit/);
  });
});
