import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DRIFT_LABELS } from '../../../scripts/smartfrz/labels';
import { OUTPUT_BOUND_GRID, outputSimilarityBound } from '../../../scripts/smartfrz/outputBound';

const N = 40;
const checkpoints = Array.from({ length: N }, (_, c) => 40 * (c + 1));
const totalSteps = 40 * N;
/** A first unit that never changes (a drift label wherever one can be given). */
const still = { back: checkpoints.map((_, c) => Array.from({ length: Math.min(10, c) }, () => 1)), cka: checkpoints.map(() => 1) };

/** A run whose predictions change by `previous(c)` between checkpoints and sit at `final(c)` to the final ones. */
function runOf(previous: (c: number) => number, final: (c: number) => number) {
  const out = { back: checkpoints.map((_, c) => (c === 0 ? [] : [previous(c)])), cka: checkpoints.map((_, c) => final(c)) };
  return { units: [still, out] as never, checkpoints, totalSteps };
}

test('output bound: the lowest grid value that best separates predictions near their final ones from those far; unlabelled checkpoints do not count', () => {
  // Far from final (0.8) while they change 3-10% per checkpoint, then near (0.99) changing 0.1-1.5%;
  // in the run's tail (no label) they change wildly, which must not move the bound.
  const wild = (c: number) => checkpoints[c] > 0.85 * totalSteps;
  const a = runOf((c) => (wild(c) ? 0.5 : c < 20 ? 0.9 + 0.07 * ((c * 7) % 10) / 10 : 0.985 + 0.014 * ((c * 3) % 10) / 10), (c) => (wild(c) ? 0.5 : c < 20 ? 0.8 : 0.99));
  const b = outputSimilarityBound([a]);
  // Far ones reach at most 0.963, converged ones at least 0.985: 0.965 to 0.985 separate them all; ties go to the lowest.
  assert.equal(b.bound, 0.965);
  assert.equal(b.balancedAccuracy, 1);
  assert.equal(b.far, 20 - DRIFT_LABELS.spanCheckpoints);
  assert.equal(b.converged + b.far, checkpoints.filter((s, c) => c >= DRIFT_LABELS.spanCheckpoints && s <= 0.85 * totalSteps).length);
  // Overlap: the bound moves to where the balanced accuracy is best, inside the grid.
  const overlap = runOf((c) => (c % 2 === 0 ? 0.95 : 0.99), (c) => (c % 4 === 1 ? 0.9 : 0.99));
  const o = outputSimilarityBound([a, overlap]);
  assert.ok(OUTPUT_BOUND_GRID.includes(o.bound) && o.balancedAccuracy < 1 && o.balancedAccuracy > 0.5, JSON.stringify(o));
  assert.throws(() => outputSimilarityBound([runOf(() => 0.99, () => 0.99)]), /converged and unconverged/);
});
