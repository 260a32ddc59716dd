import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prf, scoreExtraction } from '../../../src/core/extract/eval';

const e = (type: string, start: number, end: number) => ({ type, text: 'x'.repeat(end - start), start, end });

test('entity F1 needs exact type and boundaries; duplicates count once', () => {
  const gold = [{ entities: [e('Peop', 0, 10), e('Loc', 20, 25)], relations: [] }, { entities: [e('Org', 0, 4)], relations: [] }];
  const pred = [
    { entities: [e('Peop', 0, 10), e('Peop', 0, 10), e('Loc', 20, 24), e('Org', 30, 35)], relations: [] },
    { entities: [e('Loc', 0, 4)], relations: [] },
  ];
  const s = scoreExtraction(gold, pred);
  assert.deepEqual([s.entity.correct, s.entity.predicted, s.entity.gold], [1, 4, 3]);
  assert.equal(s.entity.precision, 1 / 4);
  assert.equal(s.entity.recall, 1 / 3);
  assert.ok(Math.abs(s.entity.f1 - (2 * 0.25 * (1 / 3)) / (0.25 + 1 / 3)) < 1e-12);
  assert.equal(s.sentences, 2);
});

test('strict relation F1: type and both arguments (boundaries and types) must match', () => {
  const peop = e('Peop', 0, 10);
  const org = e('Org', 20, 25);
  const gold = [{ entities: [peop, org], relations: [{ type: 'Work_For', head: peop, tail: org }] }];
  const cases: [unknown, number][] = [
    [{ type: 'Work_For', head: peop, tail: org }, 1],
    [{ type: 'Live_In', head: peop, tail: org }, 0],
    [{ type: 'Work_For', head: org, tail: peop }, 0],
    [{ type: 'Work_For', head: e('Peop', 0, 9), tail: org }, 0],
    [{ type: 'Work_For', head: peop, tail: e('Loc', 20, 25) }, 0],
  ];
  for (const [rel, correct] of cases) {
    const s = scoreExtraction(gold, [{ entities: [], relations: [rel as never] }]);
    assert.equal(s.relation.correct, correct, JSON.stringify(rel));
    assert.equal(s.relation.f1, correct);
  }
});

test('no predictions or no gold give zeros, not NaN', () => {
  assert.deepEqual(prf(0, 0, 0), { precision: 0, recall: 0, f1: 0, correct: 0, predicted: 0, gold: 0 });
  const s = scoreExtraction([{ entities: [e('Peop', 0, 1)], relations: [] }], [{ entities: [], relations: [] }]);
  assert.equal(s.entity.f1, 0);
  assert.throws(() => scoreExtraction([], [{ entities: [], relations: [] }]));
});

test('per type: each entity and relation type scored on its own records; the counts add up to the micro totals', () => {
  const gold = [{ entities: [e('Peop', 0, 10), e('Loc', 20, 25)], relations: [] }, { entities: [e('Org', 0, 4)], relations: [] }];
  const pred = [
    { entities: [e('Peop', 0, 10), e('Peop', 0, 10), e('Loc', 20, 24), e('Org', 30, 35)], relations: [] },
    { entities: [e('Loc', 0, 4)], relations: [] },
  ];
  const s = scoreExtraction(gold, pred);
  assert.deepEqual(Object.keys(s.perType.entity), ['Loc', 'Org', 'Peop']);
  assert.deepEqual(s.perType.entity.Peop, prf(1, 1, 1));
  assert.deepEqual(s.perType.entity.Loc, prf(0, 2, 1));
  assert.deepEqual(s.perType.entity.Org, prf(0, 1, 1));
  assert.deepEqual(s.perType.relation, {});

  const peop = e('Peop', 0, 10);
  const org = e('Org', 20, 25);
  const loc = e('Loc', 30, 35);
  const relGold = [{ entities: [], relations: [{ type: 'Work_For', head: peop, tail: org }, { type: 'Live_In', head: peop, tail: loc }] }];
  const relPred = [{ entities: [], relations: [{ type: 'Work_For', head: peop, tail: org }, { type: 'Live_In', head: peop, tail: org }, { type: 'Kill', head: peop, tail: peop }] }];
  const r = scoreExtraction(relGold, relPred);
  assert.deepEqual(r.perType.relation, { Kill: prf(0, 1, 0), Live_In: prf(0, 1, 1), Work_For: prf(1, 1, 1) });
  for (const c of ['correct', 'predicted', 'gold'] as const) {
    assert.equal(Object.values(r.perType.relation).reduce((a, p) => a + p[c], 0), r.relation[c]);
  }
});
