import { createMdp, MdpErrorContext, TabularMdp, userErrorAt } from './mdp';

/**
 * A small gridworld that generates a tabular MDP, so environments can be written by hand.
 *
 * Semantics (choices the spec leaves open):
 * - Cells are (x, y) with x = column 0..width-1 and y = row 0..height-1, y = 0 the TOP row.
 * - States are the non-wall cells in row-major order (y, then x): state index = position in
 *   that list. `grid.cells[s]` gives the cell of state s.
 * - Actions (4): 0 up (y-1), 1 down (y+1), 2 left (x-1), 3 right (x+1).
 * - Slip p: the intended move happens with probability 1 - p; with p/2 each the agent moves in
 *   one of the two perpendicular directions. A move into a wall or off the grid stays put.
 * - Goal and penalty cells are terminal and absorbing: every action stays in the cell. Their
 *   value is earned once, on the transition that enters the cell (reward "task":
 *   R(s, a, s') = value(s') when s is not terminal and s' is terminal, else 0), so staying in
 *   an absorbing cell earns nothing.
 */
export interface GridworldSpec {
  width: number;
  height: number;
  walls?: [number, number][];
  slip?: number;
  goal?: [number, number, number][];
  penalty?: [number, number, number][];
}

export interface GridLayout {
  width: number;
  height: number;
  /** Cell [x, y] of each state. */
  cells: [number, number][];
  /** Goal/penalty cells (absorbing). */
  terminal: boolean[];
  /** State index of cell (x, y), -1 for walls; index y * width + x. */
  stateOf: Int32Array;
}

export interface Gridworld {
  mdp: TabularMdp;
  layout: GridLayout;
  /** The goal/penalty reward described above; undefined when there are no goal or penalty cells. */
  task?: Float64Array;
}

const MOVES: [number, number][] = [
  [0, -1],
  [0, 1],
  [-1, 0],
  [1, 0],
];
/** Perpendicular actions of each action (for slipping). */
const PERPENDICULAR: [number, number][] = [
  [2, 3],
  [2, 3],
  [0, 1],
  [0, 1],
];

/** `ctx.transitionsPointer` should point at the gridworld object (default `/gridworld`). */
export function buildGridworld(spec: GridworldSpec, discount: number, ctx: MdpErrorContext = {}): Gridworld {
  const gp = ctx.transitionsPointer ?? '/gridworld';
  const { width: W, height: H } = spec;
  if (!Number.isInteger(W) || W < 1) throw userErrorAt(`width must be a positive integer, got ${W}`, `${gp}/width`, ctx);
  if (!Number.isInteger(H) || H < 1) throw userErrorAt(`height must be a positive integer, got ${H}`, `${gp}/height`, ctx);
  const slip = spec.slip ?? 0;
  if (typeof slip !== 'number' || !(slip >= 0 && slip <= 1)) throw userErrorAt(`slip must be a probability in [0, 1], got ${slip}`, `${gp}/slip`, ctx);

  const checkCell = (cell: unknown, pointer: string, withValue: boolean): [number, number, number] => {
    const n = withValue ? 3 : 2;
    if (!Array.isArray(cell) || cell.length !== n || cell.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw userErrorAt(`expected [x, y${withValue ? ', reward' : ''}] with numbers`, pointer, ctx);
    }
    const [x, y] = cell as number[];
    if (!Number.isInteger(x) || x < 0 || x >= W || !Number.isInteger(y) || y < 0 || y >= H) {
      throw userErrorAt(`cell (${x}, ${y}) is outside the ${W} x ${H} grid`, pointer, ctx);
    }
    return [x, y, withValue ? (cell as number[])[2] : 0];
  };

  const wall = new Uint8Array(W * H);
  (spec.walls ?? []).forEach((c, i) => {
    const [x, y] = checkCell(c, `${gp}/walls/${i}`, false);
    wall[y * W + x] = 1;
  });
  const value = new Float64Array(W * H);
  const isTerminal = new Uint8Array(W * H);
  const terminalCells = [...(spec.goal ?? []).map((c, i) => [c, `${gp}/goal/${i}`] as const), ...(spec.penalty ?? []).map((c, i) => [c, `${gp}/penalty/${i}`] as const)];
  for (const [c, pointer] of terminalCells) {
    const [x, y, v] = checkCell(c, pointer, true);
    if (wall[y * W + x]) throw userErrorAt(`cell (${x}, ${y}) is a wall and cannot be a goal or penalty`, pointer, ctx);
    if (isTerminal[y * W + x]) throw userErrorAt(`cell (${x}, ${y}) is listed twice as goal/penalty`, pointer, ctx);
    isTerminal[y * W + x] = 1;
    value[y * W + x] = v;
  }

  const stateOf = new Int32Array(W * H).fill(-1);
  const cells: [number, number][] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (wall[y * W + x]) continue;
      stateOf[y * W + x] = cells.length;
      cells.push([x, y]);
    }
  }
  const S = cells.length;
  if (S === 0) throw userErrorAt('every cell is a wall: the gridworld has no states', `${gp}/walls`, ctx);
  const A = 4;
  const T = new Float64Array(S * A * S);
  const target = (s: number, move: number): number => {
    const [x, y] = cells[s];
    const nx = x + MOVES[move][0];
    const ny = y + MOVES[move][1];
    if (nx < 0 || nx >= W || ny < 0 || ny >= H || wall[ny * W + nx]) return s;
    return stateOf[ny * W + nx];
  };
  const terminal = cells.map(([x, y]) => isTerminal[y * W + x] === 1);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const base = (s * A + a) * S;
      if (terminal[s]) {
        T[base + s] = 1;
        continue;
      }
      T[base + target(s, a)] += 1 - slip;
      for (const p of PERPENDICULAR[a]) T[base + target(s, p)] += slip / 2;
    }
  }
  const mdp = createMdp(S, A, discount, T, { ...ctx, transitionsPointer: gp });

  let task: Float64Array | undefined;
  if (terminalCells.length > 0) {
    task = new Float64Array(S * A * S);
    for (let s = 0; s < S; s++) {
      if (terminal[s]) continue;
      for (let a = 0; a < A; a++) {
        for (let n = 0; n < S; n++) {
          if (!terminal[n]) continue;
          const [x, y] = cells[n];
          task[(s * A + a) * S + n] = value[y * W + x];
        }
      }
    }
  }
  return { mdp, layout: { width: W, height: H, cells, terminal, stateOf }, task };
}
