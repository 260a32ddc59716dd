/**
 * HIQL's two levels measured apart, and the best a flat policy could do from the same value
 * (docs/rl.md, "Round 6: the full budget, and what limited HIQL"), on a grid maze's tasks under the study's protocol
 * (episodes per task, epsilon, step limit of `EvaluationSettings`):
 *
 * - `low|oracle m`: the learned low level steered by oracle subgoals: the cell m moves ahead on a
 *   shortest path to the goal (or the goal): what the low level does when the high level is perfect;
 * - `high`: the learned high level's proposals from every free cell toward every task's goal: the
 *   share that land in a wall, the share closer to the goal (by shortest path) than the cell they
 *   were proposed from, and the mean progress in moves of those not in a wall;
 * - `greedy V`: acting greedily on the value (the neighbour with the largest V(s', g)).
 *
 * `idealHigh` is the high level's best case, without training: per cell and goal, the mean of the
 * dataset's k-step targets from that cell weighted as AWR weighs them with the *true* value
 * (shortest paths): where an exact fit of HIQL's Gaussian high level with a perfect value would
 * propose subgoals (a mean of targets spread along winding corridors can fall in a wall).
 *
 * Used by `npm run bench:rl -- --levels` (after every epoch) and scripts/bench/rlHiqlProbe.ts.
 */
import { cellCentre, cellOf, distancesFrom, GRID_MOVES, isFree, type Maze, type MazeTask } from '../../src/core/rl/env/maze';
import type { EvaluationSettings } from '../../src/core/rl/gcrl/settings';
import type { OfflineTrainer } from '../../src/core/rl/gcrl/trainer';
import type { GcDataset } from '../../src/core/rl/gcrl/dataset';
import { argmax } from '../../src/core/rl/nn/distributions';
import type { Rng } from '../../src/core/util/random';

/** One line for the log: the diagnostics above, `rng()` giving each protocol its own generator. */
export function hiqlLevels(t: OfflineTrainer, e: EvaluationSettings, rng: () => Rng, oracle: number[] = [1, 5, 25]): string {
  const maze = t.env.maze!;
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const parts: string[] = [];
  if (t.hasPolicy('hiqlLow')) {
    for (const m of oracle) parts.push(`low|oracle ${m} ${pct(rollouts(t, maze, e, rng(), oracleLow(t, maze, m)))}`);
    const h = highQuality(t, maze, e.tasks);
    parts.push(`high: ${pct(h.wall)} in walls, ${pct(h.closer)} closer, progress ${h.progress.toFixed(1)} moves`);
  }
  parts.push(`greedy V ${pct(rollouts(t, maze, e, rng(), greedyValue(t, maze)))}`);
  return parts.join('; ');
}

/** Chooses the moves of `cells` (current cell, goal cell) in a batch. */
type Controller = (cells: [number, number][], goals: [number, number][]) => number[];

/** Success rate of a controller on the tasks under the study's protocol (grid maze). */
function rollouts(t: OfflineTrainer, maze: Maze, e: EvaluationSettings, rng: Rng, act: Controller): number {
  const { tasks, episodes, maxSteps, epsilon } = e;
  const cells: [number, number][] = [];
  const goals: [number, number][] = [];
  for (const task of tasks) for (let i = 0; i < episodes; i++) (cells.push([...task.start]), goals.push(task.goal));
  const done = cells.map((c, i) => c[0] === goals[i][0] && c[1] === goals[i][1]);
  const out = new Float32Array(2);
  for (let step = 0; step < maxSteps; step++) {
    const active = cells.map((_, i) => i).filter((i) => !done[i]);
    if (!active.length) break;
    const moves = act(active.map((i) => cells[i]), active.map((i) => goals[i]));
    active.forEach((i, j) => {
      const a = rng.next() < epsilon ? rng.int(GRID_MOVES.length) : moves[j];
      t.env.step(cellCentre(cells[i]), a, out);
      cells[i] = cellOf(out[0], out[1]);
      done[i] = cells[i][0] === goals[i][0] && cells[i][1] === goals[i][1];
    });
  }
  return done.filter(Boolean).length / done.length;
}

function distanceField(maze: Maze): (g: [number, number]) => Int32Array {
  const cache = new Map<number, Int32Array>();
  return (g) => {
    const key = g[0] * maze.cols + g[1];
    let d = cache.get(key);
    if (!d) cache.set(key, (d = distancesFrom(maze, g)));
    return d;
  };
}

/** The learned low level toward the cell `m` moves ahead on a shortest path to the goal. */
function oracleLow(t: OfflineTrainer, maze: Maze, m: number): Controller {
  const field = distanceField(maze);
  return (cells, goals) => {
    const rows = new Float32Array(cells.length * 4);
    cells.forEach((c, j) => {
      const dist = field(goals[j]);
      let at: [number, number] = c;
      for (let s = 0; s < m && dist[at[0] * maze.cols + at[1]] > 0; s++) {
        const d = dist[at[0] * maze.cols + at[1]];
        const mv = GRID_MOVES.find(([dr, dc]) => isFree(maze, at[0] + dr, at[1] + dc) && dist[(at[0] + dr) * maze.cols + at[1] + dc] === d - 1)!;
        at = [at[0] + mv[0], at[1] + mv[1]];
      }
      rows.set([...t.env.normalize(...cellCentre(c)), ...t.env.normalize(...cellCentre(at))], 4 * j);
    });
    const out = t.policyOutputs('hiqlLow', rows, cells.length);
    const n = GRID_MOVES.length;
    return cells.map((_, j) => argmax(out, j * n, n));
  };
}

/** The move to the neighbour (or stay) with the largest V(s', g). */
function greedyValue(t: OfflineTrainer, maze: Maze): Controller {
  return (cells, goals) => {
    const n = GRID_MOVES.length;
    const rows = new Float32Array(cells.length * n * 4);
    cells.forEach((c, j) => {
      const g = t.env.normalize(...cellCentre(goals[j]));
      GRID_MOVES.forEach(([dr, dc], m) => {
        const to: [number, number] = isFree(maze, c[0] + dr, c[1] + dc) ? [c[0] + dr, c[1] + dc] : c;
        rows.set([...t.env.normalize(...cellCentre(to)), ...g], 4 * (j * n + m));
      });
    });
    const v = t.values(rows);
    return cells.map((_, j) => argmax(v, j * n, n));
  };
}

/** The high level's proposals from every free cell (not the goal) toward each far task's goal. */
function highQuality(t: OfflineTrainer, maze: Maze, tasks: MazeTask[]): { wall: number; closer: number; progress: number } {
  const field = distanceField(maze);
  const from: [number, number][] = [];
  const goals: [number, number][] = [];
  for (const task of tasks) for (const c of maze.free) if (c[0] !== task.goal[0] || c[1] !== task.goal[1]) (from.push(c), goals.push(task.goal));
  const rows = new Float32Array(from.length * 4);
  from.forEach((c, j) => rows.set([...t.env.normalize(...cellCentre(c)), ...t.env.normalize(...cellCentre(goals[j]))], 4 * j));
  const offsets = t.policyOutputs('hiqlHigh', rows, from.length);
  let wall = 0;
  let closer = 0;
  let progress = 0;
  from.forEach((c, j) => {
    const [x, y] = t.env.denormalize(rows[4 * j] + offsets[2 * j], rows[4 * j + 1] + offsets[2 * j + 1]);
    const [r, col] = cellOf(x, y);
    if (!isFree(maze, r, col)) return void wall++;
    const dist = field(goals[j]);
    const p = dist[c[0] * maze.cols + c[1]] - dist[r * maze.cols + col];
    if (p > 0) closer++;
    progress += p;
  });
  return { wall: wall / from.length, closer: closer / from.length, progress: progress / Math.max(1, from.length - wall) };
}

/** `idealHigh`: the AWR-weighted mean k-step target per free cell toward each task's goal, under the true value. */
export function idealHigh(maze: Maze, d: GcDataset, tasks: MazeTask[], k: number, temperature: number, discount: number): { wall: number; closer: number } {
  const cellAt = (i: number) => Math.floor(d.observations[2 * i + 1]) * maze.cols + Math.floor(d.observations[2 * i]);
  const from = new Map<number, number[]>();
  for (let i = 0; i < d.trajectoryEnd.length; i++) {
    if (d.trajectoryEnd[i] === i) continue;
    if (!from.has(cellAt(i))) from.set(cellAt(i), []);
    from.get(cellAt(i))!.push(i);
  }
  const value = (moves: number) => -(1 - discount ** moves) / (1 - discount);
  let wall = 0;
  let closer = 0;
  let total = 0;
  for (const task of tasks) {
    const dist = distancesFrom(maze, task.goal);
    for (const [r, c] of maze.free) {
      const here = dist[r * maze.cols + c];
      if (here === 0) continue;
      total++;
      let [sw, sx, sy] = [0, 0, 0];
      for (const i of from.get(r * maze.cols + c) ?? []) {
        const j = Math.min(i + k, d.trajectoryEnd[i]);
        const w = Math.min(Math.exp(temperature * (value(dist[cellAt(j)]) - value(here))), 100);
        sw += w;
        sx += w * (d.observations[2 * j] - d.observations[2 * i]);
        sy += w * (d.observations[2 * j + 1] - d.observations[2 * i + 1]);
      }
      if (sw === 0) continue;
      const [pr, pc] = cellOf(c + 0.5 + sx / sw, r + 0.5 + sy / sw);
      if (!isFree(maze, pr, pc)) wall++;
      else if (dist[pr * maze.cols + pc] < here) closer++;
    }
  }
  return { wall: wall / total, closer: closer / total };
}
