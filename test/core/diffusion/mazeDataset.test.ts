import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellOf, distancesFrom, GRID_MOVES } from '../../../src/core/rl/env/maze';
import { isMazeDataset, mazeRollouts, mazeTransitions, ROLLOUT_REPEATS } from '../../../src/core/diffusion/policy/mazeDataset';
import { UserError } from '../../../src/core/errors';

const LAYOUT = ['#######', '#.....#', '#.###.#', '#.....#', '#######'];
const SOURCE = { maze: { layout: LAYOUT }, goal: [3, 5] as [number, number], trajectories: 20, length: 40, noise: 0.2, seed: 3 };

describe('maze dataset (the RL lab noisy-expert generator as a diffusion-policy source)', () => {
  it('turns trajectories into normalised transitions with a goal-reaching reward that ends the episode', () => {
    const d = mazeTransitions(SOURCE);
    assert.ok(isMazeDataset(d));
    assert.equal(d.size, 20 * 40, 'one transition per move');
    assert.equal(d.stateDim, 2);
    assert.equal(d.actionDim, 2);
    assert.ok(d.states.every((v) => v >= -1 && v <= 1) && d.nextStates!.every((v) => v >= -1 && v <= 1), 'positions scaled into [-1, 1]');
    assert.ok(d.actions.every((v) => v >= -1 && v <= 1));
    const entries = Array.from(d.rewards).filter((r) => r === 1).length;
    assert.ok(entries > 0, 'some moves enter the goal cell');
    assert.ok(d.rewards.every((r, i) => (r === 1 ? d.notDones![i] === 0 : r === 0 && d.notDones![i] === 1)), 'reward 1 exactly where the episode ends');
    for (let i = 0; i < d.size; i++) {
      if (d.rewards[i] !== 1) continue;
      const [x, y] = d.maze.env.denormalize(d.nextStates![2 * i], d.nextStates![2 * i + 1]);
      assert.deepEqual(cellOf(x, y), [3, 5], 'the rewarded move lands in the goal cell');
    }
    // Four k-means modes: the four headings of the expert (actions saturate at +-1 along one axis).
    assert.equal(d.modes.length, 4);
    const headings = d.modes.map((m) => m.action.map((v) => Math.round(v))).map(String).sort();
    assert.deepEqual(headings, ['-1,0', '0,-1', '0,1', '1,0']);
    assert.deepEqual(mazeTransitions(SOURCE).actions, d.actions, 'deterministic under the seed');
    assert.notDeepEqual(mazeTransitions({ ...SOURCE, seed: 4 }).actions, d.actions);
  });

  it('layout and goal problems are errors at their field', () => {
    const at = (src: object) => {
      try {
        mazeTransitions(src as typeof SOURCE);
      } catch (e) {
        assert.ok(e instanceof UserError, String(e));
        return [e.pointer, e.message];
      }
      return assert.fail('no error');
    };
    assert.deepEqual(at({ ...SOURCE, goal: [0, 0] }), ['/dataset/goal', 'the goal [0, 0] is a wall']);
    assert.equal(at({ ...SOURCE, maze: { layout: ['#####', '#..#', '#####'] } })[0], '/dataset/maze/layout/1');
  });

  it('rollouts: the expert reaches the goal from every cell, a policy that stands still from none', () => {
    const d = mazeTransitions(SOURCE);
    const { env } = d.maze;
    const field = distancesFrom(env.maze!, [3, 5]);
    const expert = (states: Float32Array) => {
      const out = new Float32Array(states.length);
      for (let k = 0; k < states.length / 2; k++) {
        const [x, y] = env.denormalize(states[2 * k], states[2 * k + 1]);
        const [r, c] = cellOf(x, y);
        const here = field[r * env.maze!.cols + c];
        const m = GRID_MOVES.findIndex(([dr, dc], i) => i > 0 && field[(r + dr) * env.maze!.cols + c + dc] === here - 1);
        // Towards the next cell's centre, the way the generator's expert steers.
        const [tx, ty] = [c + GRID_MOVES[m][1] + 0.5, r + GRID_MOVES[m][0] + 0.5];
        out[2 * k] = Math.max(-1, Math.min(1, (tx - x) / env.maxStep));
        out[2 * k + 1] = Math.max(-1, Math.min(1, (ty - y) / env.maxStep));
      }
      return out;
    };
    const cells = env.maze!.free.length - 1;
    const good = mazeRollouts(d, expert);
    assert.equal(good.episodes, cells * ROLLOUT_REPEATS);
    assert.equal(good.success, 1);
    assert.ok(good.steps > 1 && good.steps < d.maze.horizon);
    const still = mazeRollouts(d, (s) => new Float32Array(s.length));
    assert.equal(still.success, 0);
    assert.equal(still.steps, d.maze.horizon);
  });
});
