import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTasks, distancesFrom, MazeError, parseMaze, parseMazeFile, taskLength } from '../../../../src/core/rl/env/maze';

const U = ['#####', '#...#', '#.#.#', '#.#.#', '#####'];

describe('maze layouts', () => {
  it('parses walls and free cells and measures shortest paths with 4-neighbour moves', () => {
    const m = parseMaze(U);
    assert.equal(m.rows, 5);
    assert.equal(m.cols, 5);
    assert.equal(m.free.length, 7);
    const d = distancesFrom(m, [3, 1]);
    assert.equal(d[3 * 5 + 3], 6, 'around the wall: up 2, right 2, down 2');
    assert.equal(d[0], -1, 'walls are unreachable');
    assert.equal(taskLength(m, { start: [3, 1], goal: [1, 2] }), 3);
  });

  it('rejects a ragged layout, an unknown character and disconnected free cells, naming the row', () => {
    assert.throws(() => parseMaze(['###', '#..#', '###']), (e: MazeError) => e instanceof MazeError && /row 1 has 4 cells/.test(e.message) && e.at[0] === 1);
    assert.throws(() => parseMaze(['###', '#x#', '###']), (e: MazeError) => /'x' is neither/.test(e.message) && e.at[0] === 1);
    assert.throws(() => parseMaze(['#####', '#.#.#', '#####']), (e: MazeError) => /cannot be reached/.test(e.message) && e.at[0] === 1);
    assert.throws(() => parseMaze(['##', '##']), /no free cell/);
    assert.throws(() => parseMaze(['#']), /at least 2 rows/);
  });

  it('checks tasks: inside the maze and on free cells', () => {
    const m = parseMaze(U);
    checkTasks(m, [{ start: [1, 1], goal: [3, 3] }]);
    assert.throws(() => checkTasks(m, [{ start: [1, 1], goal: [2, 2] }]), (e: MazeError) => /goal \[2, 2\] is a wall/.test(e.message) && e.at.join() === '0,goal');
    assert.throws(() => checkTasks(m, [{ start: [9, 1], goal: [1, 1] }]), /outside the 5x5 maze/);
    assert.throws(() => checkTasks(m, [{ start: [1] as unknown as [number, number], goal: [1, 1] }]), /\[row, col\]/);
  });

  it('reads the maze file format and points at the broken field', () => {
    const { maze, tasks } = parseMazeFile({ layout: U, tasks: [{ start: [3, 1], goal: [3, 3] }] });
    assert.equal(maze.free.length, 7);
    assert.deepEqual(tasks, [{ start: [3, 1], goal: [3, 3] }]);
    assert.throws(() => parseMazeFile({ layout: U, tasks: [] }), (e: MazeError) => e.at[0] === 'tasks');
    assert.throws(() => parseMazeFile({ layout: ['###', '#.', '###'], tasks: [{ start: [1, 1], goal: [1, 1] }] }), (e: MazeError) => e.at.join() === 'layout,1');
    assert.throws(() => parseMazeFile({ layout: U, tasks: [{ start: [1, 1], goal: [0, 0] }] }), (e: MazeError) => e.at.join() === 'tasks,0,goal');
  });
});
