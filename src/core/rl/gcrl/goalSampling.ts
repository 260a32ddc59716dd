import type { Rng } from '../../util/random';
import { datasetSize, type GcDataset } from './dataset';

/** HIQL's goal distribution for the value: current state / future state of the trajectory / random state. */
export interface GoalMix {
  current: number;
  trajectory: number;
  random: number;
}

export interface GoalSamplingSettings {
  goals: GoalMix;
  /** Probability of a random goal for the high-level policy and flat AWR (HIQL's high_p_randomgoal). */
  highRandom: number;
  discount: number;
  /** Subgoal distance k (HIQL's way_steps). */
  k: number;
}

/** State indices of one batch (all into the dataset's flat arrays). */
export interface GoalBatch {
  size: number;
  /** s: transitions start here (never a trajectory's last state); s' = idx + 1. */
  idx: Int32Array;
  /** Value goals and their reward (0 at the goal, else -1) and mask (0 at the goal: no bootstrap). */
  goal: Int32Array;
  reward: Float32Array;
  mask: Float32Array;
  /** Low-level goal: the state k steps ahead in the trajectory (or its end). */
  lowGoal: Int32Array;
  /** Goals of the high-level and flat policies: a later state of the trajectory or a random state ... */
  highGoal: Int32Array;
  /** ... and the high-level target: the state k steps ahead toward that goal. */
  highTarget: Int32Array;
  /** Goals for GCBC: a later state of the trajectory only. */
  trajectoryGoal: Int32Array;
}

/**
 * Indices of the dataset's transitions (states with a successor in their trajectory), the
 * population minibatches are drawn from.
 */
export function transitionIndices(d: GcDataset): Int32Array {
  const n = datasetSize(d);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (d.trajectoryEnd[i] > i) out.push(i);
  return Int32Array.from(out);
}

/**
 * One minibatch of HIQL's goal-conditioned sampling (the official `GCSDataset` with geometric
 * trajectory goals): value goals are the current state with p_cur, a geometrically distant
 * later state of the same trajectory (discount-matched, capped at its end) with p_traj, else a
 * random dataset state; `sameState(i, j)` decides success (a goal reached is a goal whose state
 * equals s: the same index, or the same cell in a grid).
 */
export function sampleGoalBatch(
  d: GcDataset,
  transitions: Int32Array,
  size: number,
  s: GoalSamplingSettings,
  rng: Rng,
  sameState: (i: number, j: number) => boolean,
): GoalBatch {
  const n = datasetSize(d);
  const b: GoalBatch = {
    size,
    idx: new Int32Array(size),
    goal: new Int32Array(size),
    reward: new Float32Array(size),
    mask: new Float32Array(size),
    lowGoal: new Int32Array(size),
    highGoal: new Int32Array(size),
    highTarget: new Int32Array(size),
    trajectoryGoal: new Int32Array(size),
  };
  const logDiscount = Math.log(s.discount);
  for (let k = 0; k < size; k++) {
    const i = transitions[rng.int(transitions.length)];
    const end = d.trajectoryEnd[i];
    b.idx[k] = i;

    let goal: number;
    const u = rng.next();
    if (u < s.goals.current) goal = i;
    else if (u < s.goals.current + s.goals.trajectory) {
      const steps = Math.max(1, Math.ceil(Math.log(1 - rng.next()) / logDiscount));
      goal = Math.min(i + steps, end);
    } else goal = rng.int(n);
    b.goal[k] = goal;
    const reached = goal === i || sameState(i, goal);
    b.reward[k] = reached ? 0 : -1;
    b.mask[k] = reached ? 0 : 1;

    b.lowGoal[k] = Math.min(i + s.k, end);
    const later = uniformLater(i, end, rng);
    b.trajectoryGoal[k] = later;
    if (rng.next() < s.highRandom) {
      b.highGoal[k] = rng.int(n);
      b.highTarget[k] = Math.min(i + s.k, end);
    } else {
      b.highGoal[k] = later;
      b.highTarget[k] = Math.min(i + s.k, later);
    }
  }
  return b;
}

/** A state uniformly between the next one and the trajectory's last (inclusive). */
function uniformLater(i: number, end: number, rng: Rng): number {
  const first = Math.min(i + 1, end);
  return first + rng.int(end - first + 1);
}
