/**
 * The offline study's *dev* mazes: seeded mazes of the test mazes' size class (17x19, a
 * depth-first maze of 8x9 rooms with extra openings, as switchbacks.json) whose far tasks are as
 * long as the test mazes' (40-50 moves, half of them 45 or longer). Settings are chosen on these,
 * never on corridors.json or switchbacks.json (docs/rl.md, round 10): the corridors validation
 * split cannot hold tasks as long as its test tasks, and was far easier for the flat policy.
 *
 *   node --import tsx scripts/bench/rlDevMaze.ts SEED > examples/rl/mazes/dev/dev-SEED.json
 *
 * prints the maze file (the committed files are this script's output; a test checks that).
 */
import { distancesFrom, type MazeTask, parseMaze } from '../../src/core/rl/env/maze';
import { createRng } from '../../src/core/util/random';
import { FAR_STEPS } from './rlStudies';

/** Rooms per column and row: a 17x19 layout, the test mazes' size. */
const ROOM_ROWS = 8;
const ROOM_COLS = 9;
/** Walls between rooms removed after carving (switchbacks.json has 12): loops, as in the test mazes. */
const EXTRA_OPENINGS = 12;
/** Far tasks per dev maze: half of 40-44 moves, half of 45-50 (the test mazes' far tasks: 40-48). */
export const DEV_TASKS = 10;
export const DEV_LONG = 45;
export const DEV_MAX = 50;

export interface DevMazeFile {
  layout: string[];
  tasks: MazeTask[];
}

/** The dev maze of `seed`: the same maze and tasks every time. */
export function devMaze(seed: number): DevMazeFile {
  const rng = createRng((seed * 7919 + 20261207) >>> 0);
  const rows = 2 * ROOM_ROWS + 1;
  const cols = 2 * ROOM_COLS + 1;
  const grid = Array.from({ length: rows }, () => Array<string>(cols).fill('#'));
  // Depth-first carving from room (0, 0), neighbours in a seeded order.
  const seen = new Uint8Array(ROOM_ROWS * ROOM_COLS);
  const stack: [number, number][] = [[0, 0]];
  seen[0] = 1;
  grid[1][1] = '.';
  const steps: [number, number][] = [[-1, 0], [1, 0], [0, -1], [0, 1]];
  while (stack.length) {
    const [r, c] = stack[stack.length - 1];
    const open = steps.map(([dr, dc]) => [r + dr, c + dc] as [number, number]).filter(([nr, nc]) => nr >= 0 && nc >= 0 && nr < ROOM_ROWS && nc < ROOM_COLS && !seen[nr * ROOM_COLS + nc]);
    if (open.length === 0) {
      stack.pop();
      continue;
    }
    const [nr, nc] = open[rng.int(open.length)];
    seen[nr * ROOM_COLS + nc] = 1;
    grid[r + nr + 1][c + nc + 1] = '.';
    grid[2 * nr + 1][2 * nc + 1] = '.';
    stack.push([nr, nc]);
  }
  // Extra openings: walls between two rooms (odd row and even column, or the reverse), inside the border.
  for (let opened = 0; opened < EXTRA_OPENINGS; ) {
    const r = 1 + rng.int(rows - 2);
    const c = 1 + rng.int(cols - 2);
    if (grid[r][c] !== '#' || r % 2 === c % 2) continue;
    grid[r][c] = '.';
    opened++;
  }
  const layout = grid.map((row) => row.join(''));
  return { layout, tasks: devTasks(layout, rng) };
}

/** DEV_TASKS far start/goal pairs with distinct goals and starts: half 40-44 moves, half 45-50. */
function devTasks(layout: string[], rng: ReturnType<typeof createRng>): MazeTask[] {
  const maze = parseMaze(layout);
  const key = (c: readonly [number, number]) => c[0] * maze.cols + c[1];
  const used = new Set<number>();
  const out: MazeTask[] = [];
  const want = [DEV_TASKS / 2, DEV_TASKS / 2];
  for (let tries = 0; out.length < DEV_TASKS && tries < 200_000; tries++) {
    const goal = maze.free[rng.int(maze.free.length)];
    const start = maze.free[rng.int(maze.free.length)];
    const d = distancesFrom(maze, goal)[key(start)];
    if (d < FAR_STEPS || d > DEV_MAX || used.has(key(goal)) || used.has(key(start))) continue;
    const band = d >= DEV_LONG ? 1 : 0;
    if (want[band] === 0) continue;
    want[band]--;
    used.add(key(goal));
    used.add(key(start));
    out.push({ start: [start[0], start[1]], goal: [goal[0], goal[1]] });
  }
  if (out.length < DEV_TASKS) throw new Error(`this dev maze has too few far pairs (${out.length} of ${DEV_TASKS}); try another seed`);
  return out;
}

/** The file's text as committed: one task per line, as the other maze files. */
export function devMazeText(file: DevMazeFile): string {
  const rows = file.layout.map((r) => `    "${r}"`).join(',\n');
  const tasks = file.tasks.map((t) => `    { "start": [${t.start.join(', ')}], "goal": [${t.goal.join(', ')}] }`).join(',\n');
  return `{\n  "layout": [\n${rows}\n  ],\n  "tasks": [\n${tasks}\n  ]\n}\n`;
}

if (require.main === module) {
  const seed = Number(process.argv[2] ?? '0');
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`the seed must be a non-negative integer, got ${process.argv[2]}`);
  process.stdout.write(devMazeText(devMaze(seed)));
}
