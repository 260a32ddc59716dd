import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/core/errors';
import { conll04ToDocument, parseConll04 } from '../../../src/core/extract/conll04';

const SENTENCE = {
  tokens: ['John', 'Smith', 'works', 'for', 'Acme', 'Corp.', 'in', 'Boston', '.'],
  tags: ['B-Peop', 'L-Peop', 'O', 'O', 'B-Org', 'L-Org', 'O', 'U-Loc', 'O'],
  relations: [{ head: 0, tail: 1, type: 'Work_For' }, { head: 1, tail: 2, type: 'OrgBased_In' }],
};

test('parses BILOU tags into entity spans and renders character offsets', () => {
  const [s] = parseConll04(JSON.stringify([SENTENCE]));
  assert.deepEqual(s.entities, [{ type: 'Peop', start: 0, end: 2 }, { type: 'Org', start: 4, end: 6 }, { type: 'Loc', start: 7, end: 8 }]);
  const d = conll04ToDocument(s);
  assert.equal(d.text, 'John Smith works for Acme Corp. in Boston .');
  for (const e of d.entities) assert.equal(d.text.slice(e.start, e.end), e.text);
  assert.deepEqual(d.entities.map((e) => e.text), ['John Smith', 'Acme Corp.', 'Boston']);
  assert.equal(d.relations[0].head.text, 'John Smith');
  assert.equal(d.relations[1].tail.text, 'Boston');
});

test('malformed data is a user error naming the sentence and field', () => {
  const bad = (s: unknown, pointer: string, pattern: RegExp) =>
    assert.throws(() => parseConll04(JSON.stringify([SENTENCE, s]), 'd.json'), (e: unknown) =>
      e instanceof UserError && e.pointer === pointer && pattern.test(e.message) && e.file === 'd.json');
  bad({ ...SENTENCE, tags: SENTENCE.tags.slice(1) }, '/1/tags', /9 BILOU tags/);
  bad({ ...SENTENCE, tags: ['I-Peop', ...SENTENCE.tags.slice(1)] }, '/1/tags/0', /does not continue/);
  bad({ ...SENTENCE, tags: ['B-Peop', 'O', ...SENTENCE.tags.slice(2)] }, '/1/tags/1', /not closed/);
  bad({ ...SENTENCE, tags: ['X', ...SENTENCE.tags.slice(1)] }, '/1/tags/0', /invalid tag/);
  bad({ ...SENTENCE, relations: [{ head: 0, tail: 7, type: 'Kill' }] }, '/1/relations/0/tail', /3 entities/);
  bad({ ...SENTENCE, tokens: ['a b', ...SENTENCE.tokens.slice(1)] }, '/1/tokens', /without whitespace/);
  assert.throws(() => parseConll04('{"tokens": []}'), /JSON array/);
  assert.throws(() => parseConll04('[{'), (e: unknown) => e instanceof UserError && /invalid JSON/.test(e.message));
});

test("SpERT's layout (entities as token spans) is read like BILOU tags", () => {
  const spert = {
    tokens: SENTENCE.tokens,
    // Listed out of order: relations index this list.
    entities: [{ type: 'Loc', start: 7, end: 8 }, { type: 'Peop', start: 0, end: 2 }, { type: 'Org', start: 4, end: 6 }],
    relations: [{ head: 1, tail: 2, type: 'Work_For' }, { head: 2, tail: 0, type: 'OrgBased_In' }],
  };
  const [fromTags] = parseConll04(JSON.stringify([SENTENCE]));
  const [fromSpans] = parseConll04(JSON.stringify([spert]));
  assert.deepEqual(fromSpans, fromTags);
  const bad = (s: unknown, pointer: string, pattern: RegExp) =>
    assert.throws(() => parseConll04(JSON.stringify([s]), 'd.json'), (e: unknown) => e instanceof UserError && e.pointer === pointer && pattern.test(e.message));
  bad({ ...spert, entities: [{ type: 'Peop', start: 0, end: 12 }] }, '/0/entities/0/end', /at most 9/);
  bad({ ...spert, entities: [{ type: 'Peop', start: 0, end: 3 }, { type: 'Org', start: 2, end: 4 }] }, '/0/entities/1', /overlap/);
  bad({ ...spert, tags: SENTENCE.tags }, '/0', /both "tags" and "entities"/);
  bad({ tokens: SENTENCE.tokens, relations: [] }, '/0', /needs either "tags" \(one BILOU tag per token\) or "entities"/);
});

test('an empty corpus is a user error; invalid JSON is located, never quoted', () => {
  assert.throws(() => parseConll04('[]', 'empty.json'), (e: unknown) => e instanceof UserError && /no sentences/.test(e.message) && e.file === 'empty.json');
  assert.throws(() => parseConll04('root:x:0:0:root:/root:/bin/bash\nuser:secret-hash', '/etc/shadow'), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.ok(!/root:x|secret/.test(e.format()), e.format());
    assert.equal(e.format(), '/etc/shadow:1:1: invalid JSON: invalid symbol (strings need double quotes)');
    return true;
  });
});
