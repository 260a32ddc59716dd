import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/core/errors';
import { buildGridworld } from '../../../src/core/reward/gridworld';

const spec = { width: 4, height: 3, walls: [[1, 1]] as [number, number][], slip: 0.2, goal: [[3, 0, 1]] as [number, number, number][], penalty: [[3, 1, -1]] as [number, number, number][] };

test('states are the non-wall cells in row-major order; transitions follow the documented slip rule', () => {
  const { mdp, layout, task } = buildGridworld(spec, 0.9);
  assert.equal(mdp.nStates, 11);
  assert.equal(mdp.nActions, 4);
  assert.deepEqual(layout.cells.slice(0, 6), [[0, 0], [1, 0], [2, 0], [3, 0], [0, 1], [2, 1]]);
  assert.equal(layout.stateOf[1 * 4 + 1], -1);
  const S = 11;
  const T = (s: number, a: number, n: number) => mdp.transitions[(s * 4 + a) * S + n];
  const at = (x: number, y: number) => layout.stateOf[y * 4 + x];
  // From (0, 2) moving up (action 0): 0.8 to (0, 1); slip left (off grid: stay) 0.1, right 0.1 to (1, 2).
  const s = at(0, 2);
  assert.ok(Math.abs(T(s, 0, at(0, 1)) - 0.8) < 1e-12);
  assert.ok(Math.abs(T(s, 0, s) - 0.1) < 1e-12);
  assert.ok(Math.abs(T(s, 0, at(1, 2)) - 0.1) < 1e-12);
  // From (1, 0) moving down hits the wall: stays with 0.8, slips left/right 0.1 each.
  assert.ok(Math.abs(T(at(1, 0), 1, at(1, 0)) - 0.8) < 1e-12);
  // Goal and penalty cells are absorbing.
  for (const cell of [at(3, 0), at(3, 1)]) for (let a = 0; a < 4; a++) assert.equal(T(cell, a, cell), 1);
  assert.deepEqual(layout.terminal.filter(Boolean).length, 2);
  // Task reward: earned when entering the goal or penalty, not while inside.
  assert.ok(task);
  assert.equal(task[(at(2, 0) * 4 + 3) * S + at(3, 0)], 1);
  assert.equal(task[(at(2, 1) * 4 + 3) * S + at(3, 1)], -1);
  assert.equal(task[(at(3, 0) * 4 + 0) * S + at(3, 0)], 0);
  // R(s, a, s') = value(s') for every non-terminal s (9) and action (4), s' one of the 2 terminals.
  assert.equal(task.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0), 9 * 4 * 2);
});

test('no goal or penalty: no task reward; bad specs name the field', () => {
  assert.equal(buildGridworld({ width: 2, height: 1 }, 0.5).task, undefined);
  const bad = (s: object, pointer: string) =>
    assert.throws(() => buildGridworld(s as never, 0.9), (e: unknown) => e instanceof UserError && e.pointer === pointer, pointer);
  bad({ width: 0, height: 2 }, '/gridworld/width');
  bad({ width: 2, height: 2, slip: 1.5 }, '/gridworld/slip');
  bad({ width: 2, height: 2, walls: [[2, 0]] }, '/gridworld/walls/0');
  bad({ width: 2, height: 2, walls: [[0, 0]], goal: [[0, 0, 1]] }, '/gridworld/goal/0');
  bad({ width: 1, height: 1, walls: [[0, 0]] }, '/gridworld/walls');
});
