/**
 * What comparing the rewards of one rewards file yields: the pairwise distance matrix (with
 * what the panel shows beside it) and the per-(state, action) difference of one pair. The
 * reward computation returns these; the reward panel's view model (`src/panels/rewards/`)
 * turns them into what the webview draws.
 */
export interface MatrixResult {
  names: string[];
  matrix: number[][];
  /** Per reward: whether it canonicalises to zero (potential shaping plus a constant). */
  trivial: boolean[];
  states: number;
  actions: number;
  discount: number;
  /** Axis labels of the difference heatmap: gridworld cells as (x, y), otherwise s0.., a0... */
  stateLabels: string[];
  actionLabels: string[];
  seconds: number;
}

export interface DifferenceResult {
  row: number;
  col: number;
  /** s(R_row) - s(R_col) per (state, action), index s * A + a. */
  values: Float64Array;
  seconds: number;
}
