import type { Env } from '../env/envs';

/**
 * What the offline networks see of a position in a maze:
 * - `xy`: the normalised position (u, v) alone;
 * - `cells`: (u, v) followed by the position's bilinear weights on the centres of the free cells
 *   around it (one input per free cell: a one-hot of the cell at a cell centre, a blend of up to
 *   four neighbouring cells between centres). A small MLP of (u, v) cannot bend V(s, g) around
 *   the walls of a 17x19 maze within thousands of updates (its ordering of neighbours stays
 *   near chance far from the goal); with one input per cell, the first layer is a learned
 *   embedding of the cell and the maze's shape needs no spectral detail. Works for any position,
 *   so continuous point mazes and HIQL's proposed subgoals (which can lie between cells) encode too.
 */
export type ObservationEncoding = 'xy' | 'cells';
export const OBSERVATION_ENCODINGS: readonly ObservationEncoding[] = ['xy', 'cells'];

export interface PositionEncoder {
  /** Inputs per position. */
  readonly width: number;
  /** Non-zero inputs per position, at most (the entries `encode` writes). */
  readonly nonzeros: number;
  /**
   * Writes the features of the normalised position (u, v) as `nonzeros` sparse entries
   * (column + `base`, value) at `indices`/`values[at..at + nonzeros)`; unused entries are
   * padding (column `base`, value 0).
   */
  encode(u: number, v: number, indices: Int32Array, values: Float32Array, at: number, base: number): void;
}

export function positionEncoder(env: Env, encoding: ObservationEncoding): PositionEncoder {
  if (encoding === 'xy') {
    return {
      width: 2,
      nonzeros: 2,
      encode(u, v, indices, values, at, base) {
        indices[at] = base;
        indices[at + 1] = base + 1;
        values[at] = u;
        values[at + 1] = v;
      },
    };
  }
  const maze = env.maze;
  if (!maze) throw new Error('the "cells" encoding needs a maze environment');
  const index = new Int32Array(maze.rows * maze.cols).fill(-1);
  maze.free.forEach(([r, c], i) => (index[r * maze.cols + c] = i));
  const cellAt = (r: number, c: number) => (r >= 0 && c >= 0 && r < maze.rows && c < maze.cols ? index[r * maze.cols + c] : -1);
  const corners = new Float64Array(12);
  return {
    width: 2 + maze.free.length,
    nonzeros: 6,
    encode(u, v, indices, values, at, base) {
      indices.fill(base, at, at + 6);
      values.fill(0, at, at + 6);
      indices[at + 1] = base + 1;
      values[at] = u;
      values[at + 1] = v;
      const [x, y] = env.denormalize(u, v);
      // Bilinear weights on the four cell centres around (x, y); centres sit at (c + 0.5, r + 0.5).
      const [gx, gy] = [x - 0.5, y - 0.5];
      const [c0, r0] = [Math.floor(gx), Math.floor(gy)];
      const [fx, fy] = [gx - c0, gy - r0];
      corners.set([r0, c0, (1 - fx) * (1 - fy), r0, c0 + 1, fx * (1 - fy), r0 + 1, c0, (1 - fx) * fy, r0 + 1, c0 + 1, fx * fy]);
      // Walls get no weight; the free corners' weights are rescaled to sum to 1 (a position
      // inside a free cell always has weight >= 1/4 on it). A point with no free corner (a
      // subgoal proposed inside a block of walls) gets only its (u, v).
      let total = 0;
      for (let j = 0; j < 4; j++) if (cellAt(corners[3 * j], corners[3 * j + 1]) >= 0) total += corners[3 * j + 2];
      if (total <= 0) return;
      for (let j = 0; j < 4; j++) {
        const i = cellAt(corners[3 * j], corners[3 * j + 1]);
        if (i < 0) continue;
        indices[at + 2 + j] = base + 2 + i;
        values[at + 2 + j] = corners[3 * j + 2] / total;
      }
    },
  };
}
