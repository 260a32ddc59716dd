import { createRng, type Rng } from '../../util/random';
import { cellCentre, cellOf, distancesFrom, GRID_MOVES, type MazeTask, taskLength } from '../env/maze';
import { argmax } from '../nn/distributions';
import type { TaskResult } from '../events';
import type { GcAlgo, EvaluationSettings } from './settings';
import type { Env } from '../env/envs';

/**
 * What the evaluations read of a trained run (an `OfflineTrainer`). Structural, so that the trainer
 * can evaluate its own policies (checkpoint selection) without an import cycle.
 */
export interface TrainedGcrl {
  readonly env: Env;
  /** Deterministic outputs of a policy for rows of normalised [s, g] inputs (`OfflineTrainer.policyOutputs`). */
  policyOutputs(policy: string, rows: Float32Array, n: number): Float32Array;
  /** V(s, g) for rows of normalised [s, g] inputs. */
  values(rows: Float32Array): Float32Array;
}

/** One recorded episode: positions, and for HIQL the subgoal the high level proposed at each step. */
export interface Rollout {
  task: number;
  success: boolean;
  positions: [number, number][];
  subgoals?: [number, number][];
}

export type { TaskResult } from '../events';

export interface AlgoEvaluation {
  algo: GcAlgo;
  /** Mean over tasks. */
  successRate: number;
  tasks: TaskResult[];
  /** The first episode of each task. */
  rollouts: Rollout[];
}

/**
 * Success rate of one algorithm's policy on each start-goal task: `episodes` episodes per task,
 * all run side by side, deterministic policies (argmax or mean; HIQL's high level proposes a
 * subgoal at every step and the low level acts toward it) with a random action taken with
 * probability `epsilon`, success when the goal cell is reached (within 0.5 of its centre in a
 * point maze) before `maxSteps`. Randomness from `rng` only.
 */
export function evaluateAlgo(trainer: TrainedGcrl, algo: GcAlgo, e: EvaluationSettings, rng: Rng): AlgoEvaluation {
  const env = trainer.env;
  const maze = env.maze!;
  const n = e.tasks.length * e.episodes;
  const pos = new Float32Array(n * 2);
  const goalNorm = new Float32Array(n * 2);
  const goalCell: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const t = e.tasks[Math.floor(i / e.episodes)];
    pos.set(cellCentre(t.start), 2 * i);
    goalNorm.set(env.normalize(...cellCentre(t.goal)), 2 * i);
    goalCell.push(t.goal);
  }
  const done = new Uint8Array(n);
  const success = new Uint8Array(n);
  const recorded = (i: number) => i % e.episodes === 0;
  const positions: [number, number][][] = Array.from({ length: n }, (_, i) => (recorded(i) ? [[pos[2 * i], pos[2 * i + 1]]] : []));
  const subgoals: [number, number][][] = Array.from({ length: n }, () => []);
  const reached = (i: number): boolean => {
    const [x, y] = [pos[2 * i], pos[2 * i + 1]];
    if (env.type === 'gridmaze') {
      const [r, c] = cellOf(x, y);
      return r === goalCell[i][0] && c === goalCell[i][1];
    }
    const [gx, gy] = cellCentre(goalCell[i]);
    return Math.hypot(x - gx, y - gy) <= 0.5;
  };
  const discrete = env.action.type === 'discrete';
  const width = env.action.type === 'discrete' ? env.action.n : env.action.dim;
  const next = new Float32Array(2);
  for (let i = 0; i < n; i++) if (reached(i)) (done[i] = 1), (success[i] = 1);

  for (let step = 0; step < e.maxSteps; step++) {
    const active: number[] = [];
    for (let i = 0; i < n; i++) if (!done[i]) active.push(i);
    if (active.length === 0) break;
    const m = active.length;
    const rows = new Float32Array(m * 4);
    active.forEach((i, k) => {
      rows.set(env.normalize(pos[2 * i], pos[2 * i + 1]), 4 * k);
      rows.set(goalNorm.subarray(2 * i, 2 * i + 2), 4 * k + 2);
    });
    let out: Float32Array;
    if (algo === 'hiql') {
      const offsets = trainer.policyOutputs('hiqlHigh', rows, m);
      const low = new Float32Array(m * 4);
      active.forEach((i, k) => {
        const [u, v] = [rows[4 * k] + offsets[2 * k], rows[4 * k + 1] + offsets[2 * k + 1]];
        low.set([rows[4 * k], rows[4 * k + 1], u, v], 4 * k);
        if (recorded(i)) subgoals[i].push(env.denormalize(u, v));
      });
      out = trainer.policyOutputs('hiqlLow', low, m);
    } else {
      out = trainer.policyOutputs(algo, rows, m);
    }
    active.forEach((i, k) => {
      let action: number | number[];
      if (discrete) action = rng.next() < e.epsilon ? rng.int(width) : argmax(out, k * width, width);
      else action = rng.next() < e.epsilon ? [rng.next() * 2 - 1, rng.next() * 2 - 1] : [out[k * width], out[k * width + 1]];
      env.step(pos.subarray(2 * i, 2 * i + 2), action, next);
      pos.set(next, 2 * i);
      if (recorded(i)) positions[i].push([round(next[0]), round(next[1])]);
      if (reached(i)) (done[i] = 1), (success[i] = 1);
    });
  }

  const tasks: TaskResult[] = e.tasks.map((t, j) => {
    let wins = 0;
    for (let k = 0; k < e.episodes; k++) wins += success[j * e.episodes + k];
    return { start: t.start, goal: t.goal, shortestPath: taskLength(maze, t), successRate: wins / e.episodes };
  });
  const rollouts: Rollout[] = e.tasks.map((_, j) => {
    const i = j * e.episodes;
    const r: Rollout = { task: j, success: success[i] === 1, positions: positions[i] };
    if (algo === 'hiql') r.subgoals = subgoals[i].map(([x, y]) => [round(x), round(y)]);
    return r;
  });
  return { algo, successRate: mean(tasks.map((t) => t.successRate)), tasks, rollouts };
}

/** The evaluation's own generator: fixed by the run's seed and the epoch, so it never shifts training. */
export function evaluationRng(seed: number, epoch: number): Rng {
  return createRng((seed * 7919 + epoch * 104729 + 17) >>> 0);
}

/** The validation evaluation's generator (checkpoint selection): episodes of their own, apart from `evaluationRng`'s. */
export function validationRng(seed: number, epoch: number): Rng {
  return createRng((seed * 7919 + epoch * 104729 + 0x5eed) >>> 0);
}

/**
 * V(s, g) for every free cell s and every goal cell g in `goals` (cell centres), for the
 * panel's heatmap: `values[j][i]` is V(free[i], goals[j]), rounded to 0.1.
 */
export function valueGrid(trainer: TrainedGcrl, goals: [number, number][]): { cells: [number, number][]; goals: [number, number][]; values: number[][] } {
  const free = trainer.env.maze!.free;
  const v = valueTable(trainer, goals);
  const values = goals.map((_, j) => Array.from(v.subarray(j * free.length, (j + 1) * free.length), (x) => Math.round(x * 10) / 10));
  return { cells: free.map((c) => [c[0], c[1]]), goals, values };
}

/** V(free[i], goals[j]) at [j * free.length + i], unrounded. */
function valueTable(trainer: TrainedGcrl, goals: [number, number][]): Float32Array {
  const env = trainer.env;
  const free = env.maze!.free;
  const rows = new Float32Array(free.length * goals.length * 4);
  let p = 0;
  for (const g of goals) {
    const gn = env.normalize(...cellCentre(g));
    for (const c of free) {
      rows.set([...env.normalize(...cellCentre(c)), gn[0], gn[1]], p);
      p += 4;
    }
  }
  return trainer.values(rows);
}

/** How well V orders neighbouring cells toward goals (`valueOrdering`). */
export interface ValueOrdering {
  /** Fraction of pairs ordered correctly, over all pairs. */
  all: number;
  /** ... over pairs whose farther cell is at most `near` moves from the goal ... */
  near: number;
  /** ... and over the rest (the pairs a flat policy toward a far goal depends on). */
  far: number;
  pairs: number;
}

/**
 * The value's ordering of neighbours, the cheap check of what a greedy policy needs: for every
 * goal g in `goals` (default: every free cell) and every pair of adjacent free cells s, s' with
 * s' one move closer to g, whether V(s', g) > V(s, g). Split at `near` moves from the goal.
 */
export function valueOrdering(trainer: TrainedGcrl, goals?: [number, number][], near = 25): ValueOrdering {
  const maze = trainer.env.maze!;
  const targets = goals ?? maze.free;
  const v = valueTable(trainer, targets);
  const n = maze.free.length;
  const index = new Int32Array(maze.rows * maze.cols).fill(-1);
  maze.free.forEach(([r, c], i) => (index[r * maze.cols + c] = i));
  const counts = { near: [0, 0], far: [0, 0] };
  targets.forEach((g, j) => {
    const dist = distancesFrom(maze, g);
    maze.free.forEach(([r, c], i) => {
      const d = dist[r * maze.cols + c];
      for (let m = 1; m < GRID_MOVES.length; m++) {
        const at = (r + GRID_MOVES[m][0]) * maze.cols + c + GRID_MOVES[m][1];
        const k = index[at];
        if (k < 0 || dist[at] !== d - 1) continue;
        const bucket = d <= near ? counts.near : counts.far;
        bucket[1]++;
        if (v[j * n + k] > v[j * n + i]) bucket[0]++;
      }
    });
  });
  const frac = ([ok, n]: number[]) => (n ? ok / n : 0);
  return { all: frac([counts.near[0] + counts.far[0], counts.near[1] + counts.far[1]]), near: frac(counts.near), far: frac(counts.far), pairs: counts.near[1] + counts.far[1] };
}

/** Tasks whose shortest path is at least `minSteps` moves. */
export function farTasks(trainer: TrainedGcrl, tasks: MazeTask[], minSteps: number): MazeTask[] {
  return tasks.filter((t) => taskLength(trainer.env.maze!, t) >= minSteps);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
