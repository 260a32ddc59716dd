import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chooseDecision } from '../../../scripts/smartfrz/build';

const row = (threshold: number, tolerance: number, meanLoss: number, worstLoss: number, meanSaved: number) => ({ threshold, tolerance, meanLoss, worstLoss, meanSaved });

test('the calibrated decision saves the most within the mean and worst loss targets', () => {
  const rows = [
    row(0.5, 100, 0.1, 2.25, 0.4), // saves most, but one pair loses 2.25 points
    row(0.5, 2, 0.3, 0.4, 0.3), // mean loss above 0.25
    row(0.8, 2, 0.2, 0.5, 0.2),
    row(0.65, 1, -0.3, 0, 0.1),
  ];
  assert.deepEqual(chooseDecision(rows), rows[2]);
});

test('when no decision meets the targets, the safest: smallest worst loss, then mean loss, then savings', () => {
  const rows = [row(0.5, 100, 0.4, 3, 0.4), row(0.8, 1, 0.3, 3, 0.1), row(0.8, 0.5, 0.3, 3, 0.05), row(0.4, 2, 0.6, 3.5, 0.5)];
  assert.deepEqual(chooseDecision(rows), rows[1]);
  assert.equal(chooseDecision([]), undefined);
});

test('ties in savings go to the safer decision: higher threshold, then lower tolerance', () => {
  const rows = [row(0.5, 1, 0, 0, 0.2), row(0.8, 4, 0, 0, 0.2), row(0.8, 1, 0, 0, 0.2)];
  assert.deepEqual(chooseDecision(rows), rows[2]);
});
