import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromTrajectories } from '../../../../src/core/rl/gcrl/dataset';
import { sampleGoalBatch, transitionIndices } from '../../../../src/core/rl/gcrl/goalSampling';
import { createRng } from '../../../../src/core/util/random';

/** Two trajectories of 101 states each on a line: state i at x = i (distinct states). */
function lineDataset() {
  const traj = (offset: number) => ({
    observations: Array.from({ length: 101 }, (_, i) => [offset + i, 0]),
    actions: Array.from({ length: 100 }, () => 4),
  });
  return fromTrajectories({ type: 'gridmaze', layout: ['###', '#.#', '###'] }, { type: 'discrete', n: 5 }, [traj(0), traj(1000)]);
}

const settings = { goals: { current: 0.2, trajectory: 0.5, random: 0.3 }, highRandom: 0.3, discount: 0.99, k: 25 };

describe('HIQL goal sampling', () => {
  const d = lineDataset();
  const transitions = transitionIndices(d);
  const b = sampleGoalBatch(d, transitions, 20000, settings, createRng(1), () => false);

  it('draws transitions only (never a trajectory\'s last state)', () => {
    assert.equal(transitions.length, 200);
    for (const i of b.idx) assert.ok(d.trajectoryEnd[i] > i);
  });

  it('value goals: current 0.2, later in the same trajectory 0.5 (geometric, discount-matched), random 0.3', () => {
    let current = 0;
    let sameTrajLater = 0;
    let gaps = 0;
    for (let k = 0; k < b.size; k++) {
      const [i, g] = [b.idx[k], b.goal[k]];
      if (g === i) current++;
      else if (g > i && g <= d.trajectoryEnd[i]) {
        sameTrajLater++;
        gaps += g - i;
      }
    }
    // Random goals land on the current state or later in the trajectory sometimes too (about 0.3 * 0.25).
    const randomInTraj = 0.3 * (100 / 202) * 0.5;
    assert.ok(Math.abs(current / b.size - 0.2) < 0.015, `current ${current / b.size}`);
    assert.ok(Math.abs(sameTrajLater / b.size - (0.5 + randomInTraj)) < 0.03, `later ${sameTrajLater / b.size}`);
    // The geometric gap (mean 1 / (1 - 0.99) = 100) is capped by the trajectory's end: well above 1, below 100.
    assert.ok(gaps / sameTrajLater > 15 && gaps / sameTrajLater < 60, `mean gap ${gaps / sameTrajLater}`);
  });

  it('reward 0 and no bootstrap exactly where the goal is reached, else -1', () => {
    for (let k = 0; k < b.size; k++) {
      const reached = b.goal[k] === b.idx[k];
      assert.equal(b.reward[k], reached ? 0 : -1);
      assert.equal(b.mask[k], reached ? 0 : 1);
    }
    const sameCell = sampleGoalBatch(d, transitions, 500, settings, createRng(2), () => true);
    assert.ok(sameCell.reward.every((r) => r === 0), 'a goal in the same cell counts as reached');
  });

  it('low goals are k steps ahead (or the end); high targets lie k steps toward the high goal, never past it', () => {
    let randomHigh = 0;
    for (let k = 0; k < b.size; k++) {
      const [i, end] = [b.idx[k], d.trajectoryEnd[b.idx[k]]];
      assert.equal(b.lowGoal[k], Math.min(i + 25, end));
      assert.ok(b.trajectoryGoal[k] > i && b.trajectoryGoal[k] <= end, 'GCBC goals are later states of the same trajectory');
      const g = b.highGoal[k];
      // A random goal can also fall later in the same trajectory; its target is then k ahead or the end.
      if (g > i && g <= end) assert.ok([Math.min(i + 25, g), Math.min(i + 25, end)].includes(b.highTarget[k]));
      else {
        randomHigh++;
        assert.equal(b.highTarget[k], Math.min(i + 25, end));
      }
    }
    assert.ok(Math.abs(randomHigh / b.size - 0.3 * (1 - (100 / 202) * 0.5)) < 0.03, `random high goals ${randomHigh / b.size}`);
  });

  it('highRandom 0 (the official discrete maze\'s high_p_randomgoal): every high-level and flat goal is a later state of the same trajectory, the target k toward it', () => {
    const official = sampleGoalBatch(d, transitions, 5000, { ...settings, highRandom: 0, k: 3 }, createRng(4), () => false);
    for (let k = 0; k < official.size; k++) {
      const [i, end, g] = [official.idx[k], d.trajectoryEnd[official.idx[k]], official.highGoal[k]];
      assert.ok(g > i && g <= end, 'a later state of the same trajectory');
      assert.equal(official.highTarget[k], Math.min(i + 3, g));
      assert.equal(official.lowGoal[k], Math.min(i + 3, end));
    }
    // Uniform over the rest of the trajectory (as the official high_traj_goal_indx): the mean gap is about half of what is left.
    const gap = official.idx.reduce((s, i, k) => s + (official.highGoal[k] - i) / (d.trajectoryEnd[i] - i), 0) / official.size;
    assert.ok(Math.abs(gap - 0.5) < 0.03, `mean relative gap ${gap}`);
  });

  it('is a function of the generator state: same seed, same batch', () => {
    assert.deepEqual(sampleGoalBatch(d, transitions, 64, settings, createRng(9), () => false), sampleGoalBatch(d, transitions, 64, settings, createRng(9), () => false));
  });
});
