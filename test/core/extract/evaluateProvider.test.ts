import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleResult } from '../../../src/core/extract/assemble';
import { parseConll04 } from '../../../src/core/extract/conll04';
import { evaluateProvider } from '../../../src/core/extract/evaluateProvider';
import { CONLL04_SCHEMA } from '../../../src/core/extract/schema';
import type { ExtractionProvider } from '../../../src/core/extract/types';

const DATA = parseConll04(JSON.stringify([
  { tokens: ['Ann', 'Lee', 'lives', 'in', 'Oslo', '.'], tags: ['B-Peop', 'L-Peop', 'O', 'O', 'U-Loc', 'O'], relations: [{ head: 0, tail: 1, type: 'Live_In' }] },
  { tokens: ['Bob', 'visited', 'Rome', '.'], tags: ['U-Peop', 'O', 'U-Loc', 'O'], relations: [] },
]));

/** A provider answering by name lookup, through the same grounding as remote providers. */
const lookup: ExtractionProvider = {
  name: 'lookup',
  async extract(text, schema) {
    return assembleResult(text, schema, {
      entities: [{ type: 'Peop', text: 'Ann Lee' }, { type: 'Loc', text: 'Oslo' }, { type: 'Loc', text: 'Bob' }, { type: 'Peop', text: 'Zed' }],
      relations: [{ type: 'Live_In', head: 'Ann Lee', tail: 'Oslo' }],
    }, 'lookup');
  },
};

test('scores a provider sentence by sentence, summing ungrounded spans', async () => {
  const done: number[] = [];
  const s = await evaluateProvider(lookup, DATA, CONLL04_SCHEMA, { onSentence: (d) => done.push(d) });
  assert.deepEqual(done, [1, 2]);
  assert.equal(s.sentences, 2);
  // Sentence 1: Ann Lee, Oslo right; Bob and Zed ungrounded (2). Sentence 2: Bob typed Loc (wrong);
  // Ann Lee, Oslo, Zed ungrounded, and so are the relation's two arguments (5).
  assert.deepEqual([s.entity.correct, s.entity.predicted, s.entity.gold], [2, 3, 4]);
  assert.deepEqual([s.relation.correct, s.relation.predicted, s.relation.gold], [1, 1, 1]);
  assert.equal(s.ungrounded, 2 + 5);
});

test('only the types the schema names are scored (gold of other types is left out)', async () => {
  const { validateExtractionSchema } = await import('../../../src/core/extract/schema');
  const people = validateExtractionSchema({ entities: { Peop: {} } });
  const s = await evaluateProvider(lookup, DATA, people);
  // Gold: Ann Lee, Bob (the locations and the Live_In relation are not scored). Predicted: Ann Lee
  // (sentence 1); in sentence 2 Bob is typed Loc, which this schema does not report.
  assert.deepEqual([s.entity.correct, s.entity.predicted, s.entity.gold], [1, 1, 2]);
  assert.deepEqual([s.relation.correct, s.relation.predicted, s.relation.gold], [0, 0, 0]);
});

test('a provider that computes without yielding (the built-in one) still sees a stop request between sentences', async () => {
  const controller = new AbortController();
  let calls = 0;
  // Each sentence keeps the thread busy for 60 ms, as a local model does, without ever awaiting I/O.
  const busy: ExtractionProvider = {
    name: 'busy',
    async extract(text, schema) {
      calls++;
      if (calls === 1) setImmediate(() => controller.abort());
      const until = performance.now() + 60;
      while (performance.now() < until);
      return lookup.extract(text, schema);
    },
  };
  const many = Array.from({ length: 20 }, () => DATA[0]);
  await assert.rejects(evaluateProvider(busy, many, CONLL04_SCHEMA, { signal: controller.signal }), /evaluation cancelled/);
  assert.ok(calls <= 2, `${calls} sentences evaluated after the stop request`);
});
