import { UserError } from '../../errors';
import { type Env, makeEnv } from '../../rl/env/envs';
import { cellOf, checkTasks, distancesFrom, MazeError } from '../../rl/env/maze';
import { datasetSize, type GcDataset } from '../../rl/gcrl/dataset';
import { generateDataset } from '../../rl/gcrl/generate';
import { createRng } from '../../util/random';
import { kMeans, meanRewardNear, type PolicyDataset } from './dataset';

/**
 * State-conditioned offline data from the RL lab's noisy-expert generator (`core/rl/gcrl/generate.ts`):
 * a point moving through a maze towards random waypoints, so at one state the data's actions point
 * in several directions (towards different waypoints). The task is goal-reaching: reward 1 on the
 * move that enters the goal cell, and the episode ends there (`done`); 0 on every other move.
 * States are positions scaled to about [-1, 1] (`Env.normalize`), actions in [-1, 1]^2.
 */
export interface MazeSource {
  maze: { layout: string[]; maxStep?: number };
  /** The goal cell [row, col]. */
  goal: [number, number];
  trajectories?: number;
  length?: number;
  noise?: number;
  seed?: number;
  /** Action modes to measure samples against, or how many to find by k-means (default 4: the four headings). */
  modes?: number[][] | number;
  modeRadius?: number;
}

export const MAZE_DEFAULTS = { trajectories: 100, length: 100, noise: 0.2, seed: 0, modes: 4, modeRadius: 0.2 } as const;

/** A maze dataset with what rollouts need: the environment, the goal and the evaluation horizon. */
export interface MazePolicyDataset extends PolicyDataset {
  maze: { env: Env; goal: [number, number]; horizon: number };
}

/** Generates the data (deterministic under `seed`); layout and goal problems are `UserError`s at their field. */
export function mazeTransitions(src: MazeSource, pointer = '/dataset'): MazePolicyDataset {
  let env: Env;
  try {
    env = makeEnv({ type: 'pointmaze', layout: src.maze.layout, maxStep: src.maze.maxStep });
  } catch (e) {
    if (e instanceof MazeError) throw new UserError(e.message, `${pointer}/maze/layout${e.at.length ? `/${e.at[0]}` : ''}`);
    if (e instanceof RangeError) throw new UserError(e.message, `${pointer}/maze/maxStep`);
    throw e;
  }
  try {
    checkTasks(env.maze!, [{ start: src.goal, goal: src.goal }]);
  } catch (e) {
    if (e instanceof MazeError) throw new UserError(e.message.replace(/^task 0: start/, 'the goal'), `${pointer}/goal`);
    throw e;
  }
  const g = { ...MAZE_DEFAULTS, ...src };
  const gc = generateDataset(env, { type: 'pointmaze', layout: src.maze.layout, maxStep: src.maze.maxStep }, { trajectories: g.trajectories, length: g.length, noise: g.noise }, createRng(g.seed));
  const data = transitionsOf(gc, env, src.goal);
  const centres = typeof g.modes === 'number' ? kMeans(data.actions, 2, g.modes, g.seed) : g.modes;
  const dist = distancesFrom(env.maze!, src.goal);
  const farthest = env.maze!.free.reduce((m, [r, c]) => Math.max(m, dist[r * env.maze!.cols + c]), 0);
  return {
    ...data,
    maxAction: 1,
    modeRadius: g.modeRadius,
    modes: centres.map((c) => ({ action: c, reward: meanRewardNear(data.actions, data.rewards, 2, c, g.modeRadius) })),
    // Long enough for the expert from the farthest cell three times over (a cell is >= 1 / maxStep moves).
    maze: { env, goal: src.goal, horizon: Math.ceil((3 * farthest) / env.maxStep) },
  };
}

/** Every move of every trajectory as (state, action, reward, next state, not done), states normalised. */
function transitionsOf(gc: GcDataset, env: Env, goal: [number, number]): Omit<PolicyDataset, 'maxAction' | 'modes' | 'modeRadius'> {
  const n = datasetSize(gc);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (gc.trajectoryEnd[i] !== i) rows.push(i);
  const size = rows.length;
  const states = new Float32Array(size * 2);
  const nextStates = new Float32Array(size * 2);
  const actions = new Float32Array(size * 2);
  const rewards = new Float32Array(size);
  const notDones = new Float32Array(size);
  rows.forEach((i, k) => {
    const [x, y, nx, ny] = [gc.observations[2 * i], gc.observations[2 * i + 1], gc.observations[2 * i + 2], gc.observations[2 * i + 3]];
    states.set(env.normalize(x, y), 2 * k);
    nextStates.set(env.normalize(nx, ny), 2 * k);
    actions.set(gc.actions.subarray(2 * i, 2 * i + 2), 2 * k);
    const reached = inCell(nx, ny, goal) && !inCell(x, y, goal);
    rewards[k] = reached ? 1 : 0;
    notDones[k] = reached ? 0 : 1;
  });
  return { size, stateDim: 2, actionDim: 2, states, actions, rewards, nextStates, notDones };
}

function inCell(x: number, y: number, cell: [number, number]): boolean {
  const [r, c] = cellOf(x, y);
  return r === cell[0] && c === cell[1];
}

/** Goal-reaching rollouts of a policy: the share of start cells from which it reaches the goal within the horizon. */
export interface RolloutResult {
  /** Share of episodes that reach the goal cell. */
  success: number;
  /** Mean moves of the successful episodes (the horizon when none succeeds). */
  steps: number;
  episodes: number;
}

/** Episodes per start cell (a stochastic policy differs between them). */
export const ROLLOUT_REPEATS = 4;

/** Whether a policy dataset comes from a maze (and can be rolled out). */
export function isMazeDataset(d: PolicyDataset): d is MazePolicyDataset {
  return (d as Partial<MazePolicyDataset>).maze !== undefined;
}

/**
 * Rolls a policy out `repeats` times from the centre of every free cell except the goal, all episodes as one
 * batch: `act` maps normalised states [B, 2] (flat) to actions [B, 2] in [-1, 1]. An episode ends
 * when its position enters the goal cell.
 */
export function mazeRollouts(d: MazePolicyDataset, act: (states: Float32Array) => Float32Array, repeats = ROLLOUT_REPEATS): RolloutResult {
  const { env, goal, horizon } = d.maze;
  const cells = env.maze!.free.filter(([r, c]) => r !== goal[0] || c !== goal[1]);
  const starts = Array.from({ length: cells.length * repeats }, (_, i) => cells[i % cells.length]);
  const pos = starts.map(([r, c]) => [c + 0.5, r + 0.5]);
  const doneAt = new Int32Array(starts.length).fill(-1);
  const next = [0, 0];
  for (let t = 0; t < horizon; t++) {
    const live = pos.map((_, i) => i).filter((i) => doneAt[i] < 0);
    if (live.length === 0) break;
    const states = new Float32Array(live.length * 2);
    live.forEach((i, k) => states.set(env.normalize(pos[i][0], pos[i][1]), 2 * k));
    const actions = act(states);
    live.forEach((i, k) => {
      env.step(pos[i], actions.subarray(2 * k, 2 * k + 2), next);
      pos[i] = [next[0], next[1]];
      if (inCell(next[0], next[1], goal)) doneAt[i] = t + 1;
    });
  }
  const reached = Array.from(doneAt).filter((s) => s >= 0);
  return {
    success: reached.length / starts.length,
    steps: reached.length ? reached.reduce((a, b) => a + b, 0) / reached.length : horizon,
    episodes: starts.length,
  };
}
