import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heldOutSplit, pickByRule } from '../../../src/core/diffusion/generation/validation';

describe('choosing sampling knobs on the validation split', () => {
  it('picks the highest class consistency when the others are more than a standard error behind', () => {
    // n = 400, best 0.80: one standard error is 0.02.
    const points = [
      { classConsistency: 0.7, distance: 5 },
      { classConsistency: 0.8, distance: 9 },
      { classConsistency: 0.77, distance: 6 },
    ];
    assert.equal(pickByRule(points, 400), 1);
  });

  it('among candidates within one standard error of the best, picks the lowest distance', () => {
    const points = [
      { classConsistency: 0.75, distance: 8 },
      { classConsistency: 0.79, distance: 10 },
      { classConsistency: 0.81, distance: 20 },
      { classConsistency: 0.84, distance: 30 },
    ];
    // se = sqrt(0.84 * 0.16 / 400) = 0.0183: 0.84 and 0.81 are not tied (0.03 apart); with 100 samples (se 0.0367) they are.
    assert.equal(pickByRule(points, 400), 3);
    assert.equal(pickByRule(points, 100), 2);
  });

  it('breaks exact ties by the order given and refuses an empty list', () => {
    assert.equal(pickByRule([{ classConsistency: 0.5, distance: 3 }, { classConsistency: 0.5, distance: 3 }], 50), 0);
    assert.throws(() => pickByRule([], 10), /no candidates/);
  });

  it('splits the held-out images into a reported reference and a disjoint validation part', () => {
    assert.deepEqual(heldOutSplit(10000, 2000, 400), { report: [0, 2000], validation: [9600, 10000] });
    // Few held-out images: validation takes at most half, the reported reference the rest, never overlapping.
    assert.deepEqual(heldOutSplit(40, 40, 400), { report: [0, 20], validation: [20, 40] });
    // No validation: the reported reference is as before.
    assert.deepEqual(heldOutSplit(500, 2000, 0), { report: [0, 500], validation: [500, 500] });
    for (const [count, r, v] of [[7, 5, 5], [1, 1, 1], [100, 30, 60]]) {
      const s = heldOutSplit(count, r, v);
      assert.ok(s.report[1] <= s.validation[0], `${count}, ${r}, ${v}: disjoint`);
      assert.ok(s.validation[1] === count && s.report[0] === 0);
    }
  });
});
