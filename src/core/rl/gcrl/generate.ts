import type { Rng } from '../../util/random';
import type { Env, EnvSettings } from '../env/envs';
import { cellCentre, distancesFrom, GRID_MOVES, type Maze } from '../env/maze';
import { normal } from '../nn/distributions';
import { type DatasetFile, fromTrajectories, type GcDataset } from './dataset';

/** The noisy-expert dataset: how many trajectories, how long, how noisy. */
export interface GenerateSettings {
  trajectories: number;
  /** Moves per trajectory. */
  length: number;
  /** Grid maze: probability of a random move instead of the expert's; point maze: std of Gaussian action noise. */
  noise: number;
}

/**
 * Noisy expert trajectories toward random waypoints (the spirit of D4RL's "diverse" AntMaze
 * data): each trajectory starts in a random free cell, heads for a random waypoint along a
 * shortest path, picks a new waypoint on arrival, and deviates from the expert with `noise`.
 * The data cover the maze, but no trajectory is a demonstration of an evaluation task.
 * Needs a maze environment; everything random comes from `rng`.
 */
export function generateDataset(env: Env, envSettings: EnvSettings, g: GenerateSettings, rng: Rng): GcDataset {
  const maze = env.maze;
  if (!maze) throw new Error('the noisy-expert generator needs a maze environment (gridmaze or pointmaze)');
  const fields = new Map<number, Int32Array>();
  const field = (cell: [number, number]): Int32Array => {
    const key = cell[0] * maze.cols + cell[1];
    let f = fields.get(key);
    if (!f) fields.set(key, (f = distancesFrom(maze, cell)));
    return f;
  };
  const randomCell = (): [number, number] => maze.free[rng.int(maze.free.length)];
  const trajectories: DatasetFile['trajectories'] = [];
  const next: number[] = [0, 0];
  for (let j = 0; j < g.trajectories; j++) {
    let pos = cellCentre(randomCell());
    let waypoint = randomCell();
    const observations: number[][] = [[pos[0], pos[1]]];
    const actions: (number | number[])[] = [];
    for (let t = 0; t < g.length; t++) {
      let cell: [number, number] = [Math.floor(pos[1]), Math.floor(pos[0])];
      while (cell[0] === waypoint[0] && cell[1] === waypoint[1] && atCentre(env, pos)) waypoint = randomCell();
      const move = expertMove(maze, field(waypoint), cell, rng);
      let action: number | number[];
      if (env.action.type === 'discrete') {
        action = rng.next() < g.noise ? rng.int(env.action.n) : move;
      } else {
        // Steer toward the centre of the next cell on the shortest path (or the waypoint's own centre).
        const target = cellCentre(move === 0 ? cell : [cell[0] + GRID_MOVES[move][0], cell[1] + GRID_MOVES[move][1]]);
        const scale = env.maxStep;
        action = [0, 1].map((d) => clip((target[d] - pos[d]) / scale + g.noise * normal(rng)));
      }
      env.step(pos, action, next);
      pos = [next[0], next[1]];
      cell = [Math.floor(pos[1]), Math.floor(pos[0])];
      observations.push([pos[0], pos[1]]);
      actions.push(action);
    }
    trajectories.push({ observations, actions });
  }
  return fromTrajectories(envSettings, env.action, trajectories);
}

/** A move (index into GRID_MOVES) one step down the distance field, ties broken at random; 0 at the goal. */
function expertMove(maze: Maze, dist: Int32Array, cell: [number, number], rng: Rng): number {
  const here = dist[cell[0] * maze.cols + cell[1]];
  if (here <= 0) return 0;
  const best: number[] = [];
  for (let m = 1; m < GRID_MOVES.length; m++) {
    const [r, c] = [cell[0] + GRID_MOVES[m][0], cell[1] + GRID_MOVES[m][1]];
    if (r < 0 || c < 0 || r >= maze.rows || c >= maze.cols) continue;
    const d = dist[r * maze.cols + c];
    if (d >= 0 && d === here - 1) best.push(m);
  }
  return best.length ? best[rng.int(best.length)] : 0;
}

/** Within 0.25 of its cell's centre (always true in a grid maze). */
function atCentre(env: Env, pos: [number, number]): boolean {
  if (env.type === 'gridmaze') return true;
  return Math.abs((pos[0] % 1) - 0.5) < 0.25 && Math.abs((pos[1] % 1) - 0.5) < 0.25;
}

function clip(v: number): number {
  return Math.max(-1, Math.min(1, v));
}
