import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSemEval8, parseSemEval8, semEvalToConll04, splitSemEval, SEMEVAL_LABELS } from '../../../src/core/extract/semeval8';
import { UserError } from '../../../src/core/errors';

const FILE = [
  '1\t"The <e1>fire</e1> was caused by a short <e2>circuit</e2>."',
  'Cause-Effect(e2,e1)',
  'Comment:',
  '',
  `2\t"<e1>Smoke</e1> from the <e2>chimney's</e2> top."`,
  'Entity-Origin(e1,e2)',
  'Comment: made up',
  '',
].join('\n');

test('reads the official format: tokens, nominal spans, labels; nominals are whole tokens', () => {
  const [a, b] = parseSemEval8(FILE);
  assert.equal(a.id, '1');
  assert.equal(a.text, 'The fire was caused by a short circuit.');
  assert.deepEqual(a.tokens, ['The', 'fire', 'was', 'caused', 'by', 'a', 'short', 'circuit', '.']);
  assert.deepEqual([a.e1, a.e2], [{ start: 1, end: 2 }, { start: 7, end: 8 }]);
  assert.equal(a.label, 'Cause-Effect(e2,e1)');
  for (const [i, o] of a.offsets.entries()) assert.equal(a.text.slice(o.start, o.end), a.tokens[i]);
  // The marker splits "chimney" from "'s"; a nominal at the start of the sentence.
  assert.deepEqual(b.tokens, ['Smoke', 'from', 'the', 'chimney', "'s", 'top', '.']);
  assert.deepEqual([b.e1, b.e2], [{ start: 0, end: 1 }, { start: 3, end: 5 }]);
  assert.equal(SEMEVAL_LABELS.length, 19);
});

test('Cause-Effect becomes a relation from the cause to the effect in the CoNLL04 layout', () => {
  const [a, b] = parseSemEval8(FILE);
  assert.deepEqual(semEvalToConll04(a).relations, [{ type: 'Cause-Effect', head: 1, tail: 0 }]);
  assert.deepEqual(semEvalToConll04(a).entities.map((e) => e.type), ['Nominal', 'Nominal']);
  assert.deepEqual(semEvalToConll04(b).relations, []);
});

test('bad files are user errors naming the line', () => {
  assert.throws(() => parseSemEval8('1\t"no markers here"\nOther\n'), (e: unknown) => e instanceof UserError && /line 1/.test(e.message));
  assert.throws(() => parseSemEval8('1\t"<e1>a</e1> b <e2>c</e2>"\nCauses(e1,e2)\n'), (e: unknown) => e instanceof UserError && /line 2.*unknown label/.test(e.message));
  assert.throws(() => parseSemEval8('\n\n'), UserError);
});

test('the train/dev split is seeded, disjoint and stratified', () => {
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) lines.push(`${i}\t"<e1>a${i}</e1> b <e2>c</e2>"`, i % 4 === 0 ? 'Cause-Effect(e1,e2)' : 'Other', '', '');
  const all = parseSemEval8(lines.join('\n'));
  const { train, dev } = splitSemEval(all, 0.1, 3);
  assert.equal(train.length + dev.length, 200);
  assert.equal(dev.filter((s) => s.label === 'Other').length, 15);
  assert.equal(dev.filter((s) => s.label !== 'Other').length, 5);
  assert.deepEqual(splitSemEval(all, 0.1, 3).dev.map((s) => s.id), dev.map((s) => s.id));
  assert.ok(!dev.some((d) => train.includes(d)));
});

test('written back in the official format, sentences read the same', () => {
  const parsed = parseSemEval8(FILE);
  const again = parseSemEval8(formatSemEval8(parsed));
  assert.deepEqual(again, parsed);
  assert.match(formatSemEval8(parsed), /^1\t"The <e1>fire<\/e1> was caused by a short <e2>circuit<\/e2>\."\nCause-Effect\(e2,e1\)\nComment:\n\n/);
});
