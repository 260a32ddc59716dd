import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridMaze, makeEnv, point2d, pointMaze } from '../../../../src/core/rl/env/envs';
import { parseMaze } from '../../../../src/core/rl/env/maze';

const step = (env: ReturnType<typeof point2d>, s: number[], a: number | number[]) => {
  const out = [0, 0];
  env.step(s, a, out);
  return out.map((v) => Math.round(v * 1e6) / 1e6);
};

describe('environments', () => {
  it("point2d: s' = s + 0.2 a, each action component clipped to [-1, 1] (|a_i| <= 0.2 in position units)", () => {
    const env = point2d();
    assert.deepEqual(step(env, [0, 0], [1, -0.5]), [0.2, -0.1]);
    assert.deepEqual(step(env, [1, 1], [3, -7]), [1.2, 0.8]);
    assert.deepEqual(step(env, [0, 0], [Number.NaN, 0]), [0, 0]);
    assert.deepEqual(env.normalize(3, -4), [3, -4], 'positions go to networks unscaled, as in the official code');
  });

  it('grid maze: one cell per move, walls block, positions are cell centres', () => {
    const env = gridMaze(parseMaze(['####', '#..#', '#.##', '####']));
    assert.deepEqual(step(env, [1.5, 1.5], 4), [2.5, 1.5], 'right');
    assert.deepEqual(step(env, [2.5, 1.5], 4), [2.5, 1.5], 'into a wall: stays');
    assert.deepEqual(step(env, [1.5, 1.5], 2), [1.5, 2.5], 'down');
    assert.deepEqual(step(env, [1.5, 1.5], 0), [1.5, 1.5], 'stay');
    assert.deepEqual(env.normalize(2, 2), [0, 0]);
    assert.deepEqual(env.denormalize(...env.normalize(1.5, 2.5)), [1.5, 2.5]);
  });

  it('point maze: moves by maxStep * a, slides along walls, never cuts a wall corner', () => {
    const env = pointMaze(parseMaze(['#####', '#...#', '#.#.#', '#####']), 0.5);
    assert.deepEqual(step(env, [1.5, 1.5], [1, 0]), [2, 1.5]);
    assert.deepEqual(step(env, [1.5, 1.2], [0, -1]), [1.5, 1.2], 'the wall above stops it');
    assert.deepEqual(step(env, [1.8, 1.8], [1, 1]), [2.3, 1.8], 'diagonal into the wall block slides along x');
    assert.deepEqual(step(env, [1.8, 2.2], [1, -1]), [1.8, 1.7], 'cannot cut the corner of the wall at [2, 2] into [1, 2]: slides along y');
    assert.throws(() => pointMaze(parseMaze(['###', '#.#', '###']), 1), /maxStep/);
  });

  it('makeEnv builds what an experiment describes and rejects a bad layout', () => {
    assert.equal(makeEnv({ type: 'point2d' }).type, 'point2d');
    assert.equal(makeEnv({ type: 'gridmaze', layout: ['###', '#.#', '###'] }).action.type, 'discrete');
    assert.throws(() => makeEnv({ type: 'pointmaze', layout: ['##', '#'] }), /rectangular/);
  });
});
