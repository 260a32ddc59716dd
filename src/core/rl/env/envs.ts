import { cellCentre, GRID_MOVES, isFree, type Maze, parseMaze } from './maze';

/** Continuous actions lie in [-1, 1]^dim (the environment scales them); discrete ones are indices. */
export type ActionSpace = { type: 'continuous'; dim: number } | { type: 'discrete'; n: number };

/**
 * An environment as a pure transition function on positions (x, y): no hidden state, so a batch
 * of rollouts, a dataset generator and a checkpoint need nothing but the positions.
 */
export interface Env {
  readonly type: 'point2d' | 'gridmaze' | 'pointmaze';
  /** Observations are positions (x, y). */
  readonly obsDim: 2;
  readonly action: ActionSpace;
  readonly maze?: Maze;
  /** Largest move per step along each axis, in position units. */
  readonly maxStep: number;
  /** The next position (written into `out`) from `s` under `action` (a vector, or an index). */
  step(s: ArrayLike<number>, action: ArrayLike<number> | number, out: Float32Array | number[], at?: number): void;
  /** What networks see of a position: roughly [-1, 1] in a maze, the raw position in the open plane. */
  normalize(x: number, y: number): [number, number];
  /** Inverse of `normalize`. */
  denormalize(u: number, v: number): [number, number];
}

/**
 * METRA's default environment: a point in the open plane, s' = s + a with |a_i| <= maxStep
 * (0.2 in the official code), starting at the origin. Positions go to networks unscaled, as
 * the official code does (its normaliser is off for this environment).
 */
export function point2d(maxStep = 0.2): Env {
  return {
    type: 'point2d',
    obsDim: 2,
    action: { type: 'continuous', dim: 2 },
    maxStep,
    step(s, action, out, at = 0) {
      const a = action as ArrayLike<number>;
      out[at] = s[0] + maxStep * clip1(a[0]);
      out[at + 1] = s[1] + maxStep * clip1(a[1]);
    },
    normalize: (x, y) => [x, y],
    denormalize: (u, v) => [u, v],
  };
}

/**
 * A grid maze: the agent sits at a cell centre and moves one cell (stay, up, down, left, right:
 * `GRID_MOVES`); a move into a wall leaves it where it is.
 */
export function gridMaze(maze: Maze): Env {
  const { normalize, denormalize } = mazeScale(maze);
  return {
    type: 'gridmaze',
    obsDim: 2,
    action: { type: 'discrete', n: GRID_MOVES.length },
    maze,
    maxStep: 1,
    step(s, action, out, at = 0) {
      const [dr, dc] = GRID_MOVES[action as number] ?? GRID_MOVES[0];
      const r = Math.floor(s[1]);
      const c = Math.floor(s[0]);
      const [x, y] = isFree(maze, r + dr, c + dc) ? cellCentre([r + dr, c + dc]) : cellCentre([r, c]);
      out[at] = x;
      out[at + 1] = y;
    },
    normalize,
    denormalize,
  };
}

/**
 * A point moving continuously through a maze: s' = s + maxStep * a (a in [-1, 1]^2, maxStep < 1).
 * A move that would enter a wall cell, or cut a wall's corner diagonally, slides along the
 * wall (the x part alone, else the y part alone) or stops.
 */
export function pointMaze(maze: Maze, maxStep = 0.5): Env {
  if (!(maxStep > 0 && maxStep < 1)) throw new RangeError(`a point maze's maxStep must be in (0, 1), got ${maxStep}`);
  const { normalize, denormalize } = mazeScale(maze);
  const open = (x0: number, y0: number, x1: number, y1: number): boolean => {
    const [r0, c0, r1, c1] = [Math.floor(y0), Math.floor(x0), Math.floor(y1), Math.floor(x1)];
    if (!isFree(maze, r1, c1)) return false;
    return r0 === r1 || c0 === c1 || (isFree(maze, r0, c1) && isFree(maze, r1, c0));
  };
  return {
    type: 'pointmaze',
    obsDim: 2,
    action: { type: 'continuous', dim: 2 },
    maze,
    maxStep,
    step(s, action, out, at = 0) {
      const a = action as ArrayLike<number>;
      const [x, y] = [s[0], s[1]];
      const [nx, ny] = [x + maxStep * clip1(a[0]), y + maxStep * clip1(a[1])];
      let [ox, oy] = [x, y];
      if (open(x, y, nx, ny)) [ox, oy] = [nx, ny];
      else if (open(x, y, nx, y)) ox = nx;
      else if (open(x, y, x, ny)) oy = ny;
      out[at] = ox;
      out[at + 1] = oy;
    },
    normalize,
    denormalize,
  };
}

function mazeScale(maze: Maze): Pick<Env, 'normalize' | 'denormalize'> {
  const [hx, hy] = [maze.cols / 2, maze.rows / 2];
  return {
    normalize: (x, y) => [(x - hx) / hx, (y - hy) / hy],
    denormalize: (u, v) => [u * hx + hx, v * hy + hy],
  };
}

function clip1(v: number): number {
  return v > 1 ? 1 : v < -1 ? -1 : Number.isFinite(v) ? v : 0;
}

/** An environment as an experiment file describes it. */
export type EnvSettings =
  | { type: 'point2d'; maxStep?: number }
  | { type: 'gridmaze'; layout: string[] }
  | { type: 'pointmaze'; layout: string[]; maxStep?: number };

/** Builds the environment an experiment describes (layouts are parsed and checked: `MazeError`). */
export function makeEnv(s: EnvSettings): Env {
  switch (s.type) {
    case 'point2d':
      return point2d(s.maxStep);
    case 'gridmaze':
      return gridMaze(parseMaze(s.layout));
    case 'pointmaze':
      return pointMaze(parseMaze(s.layout), s.maxStep);
  }
}
