import { test } from 'node:test';
import assert from 'node:assert/strict';
import { semEvalScore } from '../../../../src/core/extract/causal/semevalScore';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('official score: a wrong direction is wrong and counts as a prediction of the relation', () => {
  const gold = ['Cause-Effect(e1,e2)', 'Cause-Effect(e2,e1)', 'Cause-Effect(e1,e2)', 'Component-Whole(e1,e2)', 'Other', 'Other'];
  const pred = ['Cause-Effect(e1,e2)', 'Cause-Effect(e1,e2)', 'Other', 'Component-Whole(e2,e1)', 'Cause-Effect(e1,e2)', 'Other'];
  const s = semEvalScore(gold, pred);
  // Cause-Effect: 1 correct of 3 predicted (one with the wrong direction, one on an Other) and 3 gold.
  assert.deepEqual(s.relations['Cause-Effect'], { precision: 1 / 3, recall: 1 / 3, f1: 1 / 3, correct: 1, predicted: 3, wrongDirection: 1, gold: 3 });
  // Component-Whole: its only prediction has the wrong direction.
  assert.deepEqual(s.relations['Component-Whole'], { precision: 0, recall: 0, f1: 0, correct: 0, predicted: 1, wrongDirection: 1, gold: 1 });
  // Macro over the two relations in the gold labels (Other excluded).
  close(s.macroF1, (1 / 3 + 0) / 2);
  close(s.accuracy, 2 / 6);
});

test('official score: relations only predicted do not enter the average; gold relations never predicted count as 0', () => {
  const gold = ['Message-Topic(e1,e2)', 'Message-Topic(e1,e2)', 'Entity-Origin(e2,e1)', 'Other'];
  const pred = ['Message-Topic(e1,e2)', 'Other', 'Other', 'Product-Producer(e1,e2)'];
  const s = semEvalScore(gold, pred);
  // Message-Topic: P = 1/1, R = 1/2, F1 = 2/3. Entity-Origin: never predicted, F1 = 0.
  close(s.relations['Message-Topic'].f1, 2 / 3);
  assert.equal(s.relations['Entity-Origin'].f1, 0);
  assert.equal(s.relations['Product-Producer'].gold, 0);
  close(s.macroF1, (2 / 3 + 0) / 2);
  close(s.macroPrecision, (1 + 0) / 2);
  close(s.macroRecall, (0.5 + 0) / 2);
});

test('official score: a perfect answer scores 1, all Other scores 0', () => {
  const gold = ['Cause-Effect(e2,e1)', 'Instrument-Agency(e2,e1)', 'Other'];
  assert.equal(semEvalScore(gold, gold).macroF1, 1);
  assert.equal(semEvalScore(gold, gold.map(() => 'Other')).macroF1, 0);
  assert.throws(() => semEvalScore(gold, ['Other']));
});
