import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { classificationReport, confusionMatrix } from '../../../src/core/train/classificationReport';

// Worked by hand: 10 examples, 3 classes.
//   true:      0 0 0 1 1 2 2 2 2 2
//   predicted: 0 1 0 1 2 2 2 0 2 1
// rows = true, columns = predicted: [2 1 0] [0 1 1] [1 1 3]
// precision (column sums 3, 3, 4): 2/3, 1/3, 3/4; recall (row sums 3, 2, 5): 2/3, 1/2, 3/5
// F1: 2/3, 2·(1/3)(1/2)/(1/3+1/2) = 2/5, 2·(3/4)(3/5)/(3/4+3/5) = 2/3
const labels = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 2]);
const predictions = Int32Array.from([0, 1, 0, 1, 2, 2, 2, 0, 2, 1]);

function close(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);
}

test('confusion matrix: rows are the true class, columns the predicted one', () => {
  assert.deepEqual(confusionMatrix(labels, predictions, 3), [[2, 1, 0], [0, 1, 1], [1, 1, 3]]);
});

test('per-class precision, recall, F1 and support match the hand-computed values', () => {
  const r = classificationReport(labels, predictions, 3, ['cat', 'dog', 'eel']);
  assert.deepEqual(r.classNames, ['cat', 'dog', 'eel']);
  assert.deepEqual(r.perClass.map((m) => [m.class, m.support]), [['cat', 3], ['dog', 2], ['eel', 5]]);
  const expected = [[2 / 3, 2 / 3, 2 / 3], [1 / 3, 1 / 2, 2 / 5], [3 / 4, 3 / 5, 2 / 3]];
  r.perClass.forEach((m, c) => {
    close(m.precision, expected[c][0]);
    close(m.recall, expected[c][1]);
    close(m.f1, expected[c][2]);
  });
  close(r.macro.f1, (2 / 3 + 2 / 5 + 2 / 3) / 3);
  close(r.macro.precision, (2 / 3 + 1 / 3 + 3 / 4) / 3);
  close(r.macro.recall, (2 / 3 + 1 / 2 + 3 / 5) / 3);
});

test('a class never predicted has precision 0, a class absent from the split recall 0 (no NaN in JSON)', () => {
  // Class 2 is never predicted; class 1 has no examples but is predicted once.
  const r = classificationReport([0, 0, 2, 2], [0, 1, 0, 0], 3);
  assert.deepEqual(r.classNames, ['0', '1', '2']);
  assert.deepEqual(r.confusionMatrix, [[1, 1, 0], [0, 0, 0], [2, 0, 0]]);
  assert.deepEqual(r.perClass[1], { class: '1', precision: 0, recall: 0, f1: 0, support: 0 });
  assert.deepEqual(r.perClass[2], { class: '2', precision: 0, recall: 0, f1: 0, support: 2 });
  close(r.perClass[0].precision, 1 / 3);
  close(r.perClass[0].recall, 1 / 2);
  close(r.perClass[0].f1, 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2));
  assert.ok(!JSON.stringify(r).includes('null'));
});

test('all correct: the matrix is diagonal and every score is 1', () => {
  const r = classificationReport([1, 0, 1], [1, 0, 1], 2);
  assert.deepEqual(r.confusionMatrix, [[1, 0], [0, 2]]);
  for (const m of r.perClass) assert.deepEqual([m.precision, m.recall, m.f1], [1, 1, 1]);
});

test('mismatched lengths and out-of-range classes are errors, not silent miscounts', () => {
  assert.throws(() => confusionMatrix([0, 1], [0], 2), /2 labels but 1 predictions/);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 2), /out of range at example 1/);
});
