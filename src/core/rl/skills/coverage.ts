/**
 * METRA's evaluation of skills: run a fixed number of skills (48) deterministically and count
 * the distinct unit cells (floor(x), floor(y)) their trajectories visit; also how far they end
 * from where they started.
 */
export interface CoverageResult {
  /** Distinct 1x1 cells visited by all trajectories (starts included). */
  coverage: number;
  /** Mean Euclidean distance from each trajectory's start to its last position. */
  finalDistance: number;
  /** Distinct cells the trajectories end in. */
  finalCells: number;
}

/** Trajectories as arrays of [x, y] positions (start first). */
export function coverageOf(trajectories: ArrayLike<number>[][]): CoverageResult {
  const cells = new Set<string>();
  const ends = new Set<string>();
  let distance = 0;
  for (const t of trajectories) {
    for (const p of t) cells.add(`${Math.floor(p[0])},${Math.floor(p[1])}`);
    const [first, last] = [t[0], t[t.length - 1]];
    ends.add(`${Math.floor(last[0])},${Math.floor(last[1])}`);
    distance += Math.hypot(last[0] - first[0], last[1] - first[1]);
  }
  return { coverage: cells.size, finalDistance: trajectories.length ? distance / trajectories.length : 0, finalCells: ends.size };
}

/** One evaluation of the skills: METRA's protocol plus what the panel draws. */
export interface SkillsEvaluation extends CoverageResult {
  epoch: number;
  /** The largest distance from the start a trajectory of this horizon can reach. */
  maxDistance: number;
  /** The evaluated skills (unit vectors, or one-hot for discrete skills). */
  skills: number[][];
  /** One trajectory per skill, [x, y] per step, start first. */
  trajectories: number[][][];
  /** phi of each trajectory's last position (METRA's representation, DIAYN's prediction). */
  phi: number[][];
}
