import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEV_LONG, DEV_MAX, DEV_TASKS, devMaze, devMazeText } from '../../../scripts/bench/rlDevMaze';
import { FAR_STEPS } from '../../../scripts/bench/rlStudies';
import { distancesFrom, parseMazeFile, taskLength } from '../../../src/core/rl/env/maze';

const mazes = path.join(__dirname, '../../../examples/rl/mazes');
const read = (file: string) => readFileSync(path.join(mazes, file), 'utf8');

/** The longest shortest path between two free cells. */
function diameter(file: string): number {
  const { maze } = parseMazeFile(JSON.parse(read(file)));
  let best = 0;
  for (const c of maze.free) for (const d of distancesFrom(maze, c)) if (d < maze.rows * maze.cols) best = Math.max(best, d);
  return best;
}

describe('the offline study\'s dev mazes (scripts/bench/rlDevMaze.ts)', () => {
  const test = ['corridors.json', 'switchbacks.json'].map((f) => parseMazeFile(JSON.parse(read(f))));
  for (const seed of [1, 11]) {
    const file = `dev/dev-${seed}.json`;
    it(`${file} is the generator's output for seed ${seed}, the same every time`, () => {
      assert.equal(read(file), devMazeText(devMaze(seed)));
      assert.equal(devMazeText(devMaze(seed)), devMazeText(devMaze(seed)));
    });

    it(`${file}: the test mazes' size class, far tasks of 40-50 moves (half >= 45), distinct cells, no test maze`, () => {
      const { maze, tasks } = parseMazeFile(JSON.parse(read(file)));
      assert.deepEqual([maze.rows, maze.cols, maze.free.length], [test[0].maze.rows, test[0].maze.cols, test[1].maze.free.length]);
      const lengths = tasks.map((t) => taskLength(maze, t));
      assert.equal(tasks.length, DEV_TASKS);
      assert.ok(lengths.every((d) => d >= FAR_STEPS && d <= DEV_MAX), lengths.join(','));
      assert.equal(lengths.filter((d) => d >= DEV_LONG).length, DEV_TASKS / 2, lengths.join(','));
      const cells = tasks.flatMap((t) => [t.start.join(), t.goal.join()]);
      assert.equal(new Set(cells).size, cells.length, 'no cell is two tasks\' start or goal');
      for (const t of test) assert.notDeepEqual(maze.layout, t.maze.layout);
      // The longest shortest path within the test mazes' (corridors 48, switchbacks 52).
      const d = diameter(file);
      assert.ok(d >= Math.min(diameter('corridors.json'), diameter('switchbacks.json')) && d <= Math.max(diameter('corridors.json'), diameter('switchbacks.json')), `diameter ${d}`);
    });
  }

  it('a seed whose maze lacks the far tasks is refused, naming the count', () => {
    assert.throws(() => devMaze(0), /too few far pairs \(\d+ of 10\)/);
  });
});
