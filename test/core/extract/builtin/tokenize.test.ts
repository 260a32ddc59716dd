import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeWords } from '../../../../src/core/extract/builtin/tokenize';
import { parseConll04 } from '../../../../src/core/extract/conll04';

test('peels punctuation and possessives, keeps abbreviations, offsets are UTF-16', () => {
  const text = '(Reuters) Dr. Smith\u2019s firm, I.B.M. Corp., said: "Yes." \u{1F600}Caf\u00e9!';
  const toks = tokenizeWords(text);
  for (const t of toks) assert.equal(text.slice(t.start, t.end), t.text);
  assert.deepEqual(toks.map((t) => t.text), [
    '(', 'Reuters', ')', 'Dr.', 'Smith', '\u2019s', 'firm', ',', 'I.B.M.', 'Corp.', ',', 'said', ':', '"', 'Yes', '.', '"', '\u{1F600}Caf\u00e9', '!',
  ]);
});

test('known tokens are kept whole (CoNLL04 text reproduces its tokens)', () => {
  const tokens = ['Lifa', 'said', '.', 'U.S.', 'Orleans-based', "'s", '$62.50', '...'];
  const known = new Set(tokens);
  assert.deepEqual(tokenizeWords(tokens.join(' '), (t) => known.has(t)).map((t) => t.text), tokens);
  assert.deepEqual(tokenizeWords('Lifa said.').map((t) => t.text), ['Lifa', 'said', '.']);
  assert.deepEqual(tokenizeWords('   '), []);
  assert.deepEqual(tokenizeWords('He moved to Texas. Calif. is next.').map((t) => t.text), ['He', 'moved', 'to', 'Texas', '.', 'Calif.', 'is', 'next', '.']);
});

test("a sentence's final period is never part of a word, even of one seen with it in training (issue 17)", () => {
  const text = 'Maria Lopez works for Siemens in Munich.';
  // "Munich." is a whole token of the training data: still split.
  const known = (t: string) => ['Munich.', 'Dallas.', 'Calif.'].includes(t);
  const toks = tokenizeWords(text, known);
  assert.deepEqual(toks.map((t) => t.text), ['Maria', 'Lopez', 'works', 'for', 'Siemens', 'in', 'Munich', '.']);
  assert.equal(text.slice(toks[6].start, toks[6].end), "Munich");
  assert.deepEqual(tokenizeWords('in Dallas. Calif. is in Dallas.', known).map((t) => t.text), ['in', 'Dallas', '.', 'Calif.', 'is', 'in', 'Dallas', '.']);
  // Abbreviations keep theirs at the end of a text too.
  assert.deepEqual(tokenizeWords('He works for Acme Corp. in the U.S.').map((t) => t.text), ['He', 'works', 'for', 'Acme', 'Corp.', 'in', 'the', 'U.S.']);
});

test('the CoNLL04 reader splits a word\'s final period off its tokens and entities', () => {
  const [s] = parseConll04(JSON.stringify([{
    tokens: ['Oswald', 'shot', 'Kennedy', 'in', 'Dallas.'], tags: ['U-Peop', 'O', 'U-Peop', 'O', 'U-Loc'],
    relations: [{ type: 'Kill', head: 0, tail: 1 }],
  }]));
  assert.deepEqual(s.tokens, ['Oswald', 'shot', 'Kennedy', 'in', 'Dallas', '.']);
  assert.deepEqual(s.entities, [{ type: 'Peop', start: 0, end: 1 }, { type: 'Peop', start: 2, end: 3 }, { type: 'Loc', start: 4, end: 5 }]);
  assert.deepEqual(s.relations, [{ type: 'Kill', head: 0, tail: 1 }]);
  // A split token inside an entity keeps its period inside; abbreviations are not split.
  const [t] = parseConll04(JSON.stringify([{ tokens: ['Acme', 'Corp.', 'Ltd', 'is', 'big.', 'Really.'], tags: ['B-Org', 'L-Org', 'O', 'O', 'O', 'O'] }]));
  assert.deepEqual(t.tokens, ['Acme', 'Corp.', 'Ltd', 'is', 'big', '.', 'Really', '.']);
  assert.deepEqual(t.entities, [{ type: 'Org', start: 0, end: 2 }]);
});
