/**
 * A maze drawn as text: rows of `#` (wall) and `.` (free), as users write it in an experiment
 * file or a maze file. Cells are addressed [row, col] from the top-left; positions in the
 * continuous plane are (x, y) = (col, row) units, so cell [r, c] spans x in [c, c+1), y in
 * [r, r+1) and its centre is (c + 0.5, r + 0.5).
 */
export interface Maze {
  readonly rows: number;
  readonly cols: number;
  /** `true` where a wall is, row-major (rows x cols). */
  readonly walls: Uint8Array;
  /** Free cells in row-major order, as [row, col]. */
  readonly free: [number, number][];
  readonly layout: string[];
}

/** A start-goal pair for evaluation, in cells. */
export interface MazeTask {
  start: [number, number];
  goal: [number, number];
}

/** A problem with a layout or a task, with the place it is at (a row, or a task field). */
export class MazeError extends Error {
  constructor(
    message: string,
    /** Path below the layout's or tasks' field: `[3]` for row 3, `[1, 'goal']` for task 1's goal. */
    readonly at: (string | number)[] = [],
  ) {
    super(message);
    this.name = 'MazeError';
  }
}

/** Parses and checks a layout: at least 2x2, rectangular, only `#` and `.`, some free cell, free cells connected. */
export function parseMaze(layout: readonly string[]): Maze {
  if (!Array.isArray(layout) || layout.length < 2) throw new MazeError('a maze layout needs at least 2 rows');
  const cols = layout[0].length;
  if (cols < 2) throw new MazeError('a maze layout needs at least 2 columns', [0]);
  const walls = new Uint8Array(layout.length * cols);
  const free: [number, number][] = [];
  layout.forEach((row, r) => {
    if (typeof row !== 'string') throw new MazeError(`row ${r} is not a string`, [r]);
    if (row.length !== cols) throw new MazeError(`row ${r} has ${row.length} cells, row 0 has ${cols}: a layout must be rectangular`, [r]);
    for (let c = 0; c < cols; c++) {
      const ch = row[c];
      if (ch === '#') walls[r * cols + c] = 1;
      else if (ch === '.') free.push([r, c]);
      else throw new MazeError(`row ${r}, column ${c}: '${ch}' is neither '#' (wall) nor '.' (free)`, [r]);
    }
  });
  if (free.length === 0) throw new MazeError('the maze has no free cell');
  const maze: Maze = { rows: layout.length, cols, walls, free, layout: [...layout] };
  const reach = distancesFrom(maze, free[0]);
  const cut = free.find(([r, c]) => reach[r * cols + c] < 0);
  if (cut) throw new MazeError(`cell [${cut}] cannot be reached from cell [${free[0]}]: every free cell must be connected`, [cut[0]]);
  return maze;
}

export function isFree(maze: Maze, r: number, c: number): boolean {
  return r >= 0 && c >= 0 && r < maze.rows && c < maze.cols && maze.walls[r * maze.cols + c] === 0;
}

/** Moves of the grid maze, also the expert's vocabulary: stay, up, down, left, right ([dRow, dCol]). */
export const GRID_MOVES: readonly [number, number][] = [
  [0, 0],
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

/** Shortest-path lengths (4-neighbour moves) from `from` to every cell, row-major; -1: unreachable or wall. */
export function distancesFrom(maze: Maze, from: readonly [number, number]): Int32Array {
  const dist = new Int32Array(maze.rows * maze.cols).fill(-1);
  if (!isFree(maze, from[0], from[1])) return dist;
  const queue = new Int32Array(maze.rows * maze.cols);
  let head = 0;
  let tail = 0;
  const start = from[0] * maze.cols + from[1];
  dist[start] = 0;
  queue[tail++] = start;
  while (head < tail) {
    const at = queue[head++];
    const r = Math.floor(at / maze.cols);
    const c = at % maze.cols;
    for (let m = 1; m < GRID_MOVES.length; m++) {
      const [nr, nc] = [r + GRID_MOVES[m][0], c + GRID_MOVES[m][1]];
      if (!isFree(maze, nr, nc)) continue;
      const next = nr * maze.cols + nc;
      if (dist[next] >= 0) continue;
      dist[next] = dist[at] + 1;
      queue[tail++] = next;
    }
  }
  return dist;
}

/** Checks tasks against a maze: cells inside the maze, on free cells. */
export function checkTasks(maze: Maze, tasks: readonly MazeTask[]): void {
  tasks.forEach((t, i) => {
    for (const key of ['start', 'goal'] as const) {
      const cell = t[key];
      if (!Array.isArray(cell) || cell.length !== 2 || !cell.every((v) => Number.isInteger(v))) {
        throw new MazeError(`task ${i}: ${key} must be [row, col] (two integers)`, [i, key]);
      }
      const [r, c] = cell;
      if (r < 0 || c < 0 || r >= maze.rows || c >= maze.cols) {
        throw new MazeError(`task ${i}: ${key} [${r}, ${c}] is outside the ${maze.rows}x${maze.cols} maze`, [i, key]);
      }
      if (!isFree(maze, r, c)) throw new MazeError(`task ${i}: ${key} [${r}, ${c}] is a wall`, [i, key]);
    }
  });
}

/** Shortest path length of a task in grid moves. */
export function taskLength(maze: Maze, task: MazeTask): number {
  return distancesFrom(maze, task.start)[task.goal[0] * maze.cols + task.goal[1]];
}

/** A cell's centre in the plane: (x, y) = (col + 0.5, row + 0.5). */
export function cellCentre(cell: readonly [number, number]): [number, number] {
  return [cell[1] + 0.5, cell[0] + 0.5];
}

/** The cell a position lies in, [row, col]. */
export function cellOf(x: number, y: number): [number, number] {
  return [Math.floor(y), Math.floor(x)];
}

/**
 * The maze file format for benchmarks and users: `{"layout": [...], "tasks": [{"start": [r, c],
 * "goal": [r, c]}, ...]}`. Returns the checked maze and tasks.
 */
export function parseMazeFile(json: unknown): { maze: Maze; tasks: MazeTask[] } {
  const o = json as { layout?: unknown; tasks?: unknown };
  if (typeof o !== 'object' || o === null) throw new MazeError('a maze file is a JSON object {"layout": [...], "tasks": [...]}');
  if (!Array.isArray(o.layout) || !o.layout.every((r) => typeof r === 'string')) throw new MazeError('"layout" must be an array of strings', ['layout']);
  let maze: Maze;
  try {
    maze = parseMaze(o.layout as string[]);
  } catch (e) {
    if (e instanceof MazeError) throw new MazeError(e.message, ['layout', ...e.at]);
    throw e;
  }
  if (!Array.isArray(o.tasks) || o.tasks.length === 0) throw new MazeError('"tasks" must be a non-empty array of {"start": [row, col], "goal": [row, col]}', ['tasks']);
  const tasks = o.tasks as MazeTask[];
  try {
    checkTasks(maze, tasks);
  } catch (e) {
    if (e instanceof MazeError) throw new MazeError(e.message, ['tasks', ...e.at]);
    throw e;
  }
  return { maze, tasks: tasks.map((t) => ({ start: [t.start[0], t.start[1]], goal: [t.goal[0], t.goal[1]] })) };
}
