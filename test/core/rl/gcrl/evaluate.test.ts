import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeEnv } from '../../../../src/core/rl/env/envs';
import { distancesFrom } from '../../../../src/core/rl/env/maze';
import { valueOrdering } from '../../../../src/core/rl/gcrl/evaluate';
import type { OfflineTrainer } from '../../../../src/core/rl/gcrl/trainer';

/** A value function given as a formula of the true shortest-path distance (what `valueOrdering` reads of a trainer). */
function withValue(layout: string[], v: (distance: number, row: number) => number): OfflineTrainer {
  const env = makeEnv({ type: 'gridmaze', layout });
  const maze = env.maze!;
  const values = (rows: Float32Array) => {
    const out = new Float32Array(rows.length / 4);
    for (let i = 0; i < out.length; i++) {
      const [x, y] = env.denormalize(rows[4 * i], rows[4 * i + 1]);
      const [gx, gy] = env.denormalize(rows[4 * i + 2], rows[4 * i + 3]);
      const [r, c, gr, gc] = [y, x, gy, gx].map(Math.floor);
      out[i] = v(distancesFrom(maze, [gr, gc])[r * maze.cols + c], r);
    }
    return out;
  };
  return { env, values } as unknown as OfflineTrainer;
}

describe('value ordering (how well V orders neighbouring cells toward a goal)', () => {
  const corridor = ['#######', '#.....#', '#######'];

  it('counts every pair of neighbours one move apart toward every goal, split by distance', () => {
    const exact = valueOrdering(withValue(corridor, (d) => -d), undefined, 2);
    // 5 cells in a row: from each goal, every other cell has one neighbour a move closer -> 5 x 4 pairs;
    // pairs whose farther cell is <= 2 moves away: per goal at column 1..5, 2 + 3 + 4 + 3 + 2 = 14.
    assert.deepEqual(exact, { all: 1, near: 1, far: 1, pairs: 20 });
    assert.deepEqual(valueOrdering(withValue(corridor, (d) => d), undefined, 2), { all: 0, near: 0, far: 0, pairs: 20 });
  });

  it('a value right only near the goal scores 1 near and 0 far; ties count as wrong', () => {
    const o = valueOrdering(withValue(corridor, (d) => (d <= 2 ? -d : d)), undefined, 2);
    assert.equal(o.near, 1);
    assert.equal(o.far, 0);
    assert.equal(o.all, 14 / 20);
    assert.equal(valueOrdering(withValue(corridor, () => -1), [[1, 1]]).all, 0, 'a flat value orders nothing');
  });
});
