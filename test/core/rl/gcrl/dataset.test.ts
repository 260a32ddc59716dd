import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeEnv } from '../../../../src/core/rl/env/envs';
import { cellOf, distancesFrom, isFree, parseMaze } from '../../../../src/core/rl/env/maze';
import { datasetSize, parseDatasetFile, toDatasetFile } from '../../../../src/core/rl/gcrl/dataset';
import { generateDataset } from '../../../../src/core/rl/gcrl/generate';
import { createRng } from '../../../../src/core/util/random';

const layout = ['#######', '#.....#', '#.###.#', '#.....#', '#######'];
const grid = { type: 'gridmaze' as const, layout };
const point = { type: 'pointmaze' as const, layout, maxStep: 0.5 };

describe('noisy-expert datasets', () => {
  it('grid: trajectories of the asked length stay on free cells and move like the environment', () => {
    const env = makeEnv(grid);
    const d = generateDataset(env, grid, { trajectories: 4, length: 30, noise: 0.3 }, createRng(1));
    assert.equal(d.starts.length, 4);
    assert.equal(datasetSize(d), 4 * 31);
    const out = [0, 0];
    for (let i = 0; i < datasetSize(d); i++) {
      const [r, c] = cellOf(d.observations[2 * i], d.observations[2 * i + 1]);
      assert.ok(isFree(env.maze!, r, c));
      if (d.trajectoryEnd[i] === i) continue;
      env.step(d.observations.subarray(2 * i, 2 * i + 2), d.actions[i], out);
      assert.deepEqual(out, [d.observations[2 * i + 2], d.observations[2 * i + 3]], `state ${i + 1} follows from state ${i} and its action`);
    }
  });

  it('without noise the expert walks shortest paths: every move gets one step closer to its waypoint or picks a new one', () => {
    const env = makeEnv(grid);
    const d = generateDataset(env, grid, { trajectories: 3, length: 40, noise: 0 }, createRng(2));
    let stays = 0;
    for (let i = 0; i < datasetSize(d) - 1; i++) {
      if (d.trajectoryEnd[i] === i) continue;
      if (d.observations[2 * i] === d.observations[2 * i + 2] && d.observations[2 * i + 1] === d.observations[2 * i + 3]) stays++;
    }
    assert.equal(stays, 0, 'a noiseless expert never bumps into walls or stands still');
  });

  it('point maze: continuous actions in [-1, 1], the data reach far across the maze', () => {
    const env = makeEnv(point);
    const d = generateDataset(env, point, { trajectories: 2, length: 150, noise: 0.2 }, createRng(3));
    assert.ok(d.actions.every((a) => a >= -1 && a <= 1));
    const from = cellOf(d.observations[0], d.observations[1]);
    const dist = distancesFrom(env.maze!, from);
    let far = 0;
    for (let i = 0; i <= d.trajectoryEnd[0]; i++) {
      const [r, c] = cellOf(d.observations[2 * i], d.observations[2 * i + 1]);
      far = Math.max(far, dist[r * env.maze!.cols + c]);
    }
    assert.ok(far >= 4, `the first trajectory got ${far} cells away from its start`);
  });

  it('is reproducible from the seed', () => {
    const env = makeEnv(point);
    const a = generateDataset(env, point, { trajectories: 2, length: 20, noise: 0.2 }, createRng(5));
    const b = generateDataset(env, point, { trajectories: 2, length: 20, noise: 0.2 }, createRng(5));
    assert.deepEqual(a, b);
  });

  it('round-trips through the file format, and a bad file is an error that names the field', () => {
    const env = makeEnv(grid);
    const d = generateDataset(env, grid, { trajectories: 2, length: 10, noise: 0.5 }, createRng(4));
    const file = JSON.parse(JSON.stringify(toDatasetFile(d)));
    assert.deepEqual(parseDatasetFile(file, grid, env.action), d);
    assert.throws(() => parseDatasetFile({ ...file, format: 'x' }, grid, env.action), /format/);
    assert.throws(() => parseDatasetFile(file, { ...grid, layout: ['###', '#.#', '###'] }, env.action), /another environment/);
    const bad = JSON.parse(JSON.stringify(file));
    bad.trajectories[1].actions[3] = 7;
    assert.throws(() => parseDatasetFile(bad, grid, env.action), /trajectories\[1\]\.actions: 7 is not a valid action/);
    bad.trajectories[1].actions.pop();
    assert.throws(() => parseDatasetFile(bad, grid, env.action), /one action per move/);
  });
});
