import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverageOf } from '../../../../src/core/rl/skills/coverage';

describe('skill coverage', () => {
  it('counts distinct unit cells over all trajectories, distinct end cells, and the mean final distance', () => {
    const r = coverageOf([
      [[0, 0], [0.5, 0.5], [1.2, 0.1], [2.5, -0.5]],
      [[0, 0], [-0.4, 0], [-3, 4]],
      [[0, 0], [0.9, 0.9]],
    ]);
    // cells: (0,0) (1,0) (2,-1) | (-1,0) (-3,4) | (0,0)
    assert.equal(r.coverage, 5);
    assert.equal(r.finalCells, 3);
    assert.ok(Math.abs(r.finalDistance - (Math.hypot(2.5, 0.5) + 5 + Math.hypot(0.9, 0.9)) / 3) < 1e-9);
  });
});
