import { type ActionMode, distance } from './dataset';

/** How sampled actions sit on the data's modes (all shares are fractions of the samples). */
export interface ModeMetrics {
  /** Share of samples within `radius` of any mode. */
  onMode: number;
  /** Per mode (in the dataset's order): share of samples within `radius` of it. */
  modeShares: number[];
  /** Share of the mode with the highest reward. */
  bestModeShare: number;
  /**
   * Mean reward of the samples, where a sample on a mode earns that mode's mean reward and a
   * sample off every mode earns 0 (there is no data there to say otherwise).
   */
  expectedReward: number;
}

/**
 * Mode metrics of `count` sampled actions (flat, row-major, `dim` columns). A sample within
 * `radius` of two modes (only when modes are closer than 2 * radius) counts for the nearer one.
 */
export function modeMetrics(actions: ArrayLike<number>, dim: number, modes: readonly ActionMode[], radius: number): ModeMetrics {
  const count = actions.length / dim;
  if (!Number.isInteger(count) || count === 0) throw new RangeError(`need a non-empty [n, ${dim}] array of actions, got ${actions.length} values`);
  if (modes.length === 0) throw new RangeError('need at least one mode');
  const hits = new Array<number>(modes.length).fill(0);
  let reward = 0;
  for (let i = 0; i < count; i++) {
    const m = nearestMode(actions, i * dim, modes);
    if (m.distance <= radius) {
      hits[m.index]++;
      reward += modes[m.index].reward;
    }
  }
  const modeShares = hits.map((h) => h / count);
  return {
    onMode: hits.reduce((a, b) => a + b, 0) / count,
    modeShares,
    bestModeShare: modeShares[bestMode(modes)],
    expectedReward: reward / count,
  };
}

/** Index of the highest-reward mode (the first of equals). */
export function bestMode(modes: readonly ActionMode[]): number {
  let best = 0;
  for (let i = 1; i < modes.length; i++) if (modes[i].reward > modes[best].reward) best = i;
  return best;
}

/** The nearest mode of row `offset` and its distance. */
export function nearestMode(actions: ArrayLike<number>, offset: number, modes: readonly ActionMode[]): { index: number; distance: number } {
  let index = 0;
  let best = Infinity;
  for (let m = 0; m < modes.length; m++) {
    const d = distance(actions, offset, modes[m].action);
    if (d < best) {
      best = d;
      index = m;
    }
  }
  return { index, distance: best };
}
