import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeWords } from '../../../../src/core/extract/builtin/tokenize';

test('peels punctuation and possessives, keeps abbreviations, offsets are UTF-16', () => {
  const text = '(Reuters) Dr. Smith\u2019s firm, I.B.M. Corp., said: "Yes." \u{1F600}Caf\u00e9!';
  const toks = tokenizeWords(text);
  for (const t of toks) assert.equal(text.slice(t.start, t.end), t.text);
  assert.deepEqual(toks.map((t) => t.text), [
    '(', 'Reuters', ')', 'Dr.', 'Smith', '\u2019s', 'firm', ',', 'I.B.M.', 'Corp.', ',', 'said', ':', '"', 'Yes', '.', '"', '\u{1F600}Caf\u00e9', '!',
  ]);
});

test('known tokens are kept whole (CoNLL04 text reproduces its tokens)', () => {
  const tokens = ['Lifa', 'said.', 'U.S.', 'Orleans-based', "'s", '$62.50', '...'];
  const known = new Set(tokens);
  assert.deepEqual(tokenizeWords(tokens.join(' '), (t) => known.has(t)).map((t) => t.text), tokens);
  assert.deepEqual(tokenizeWords('Lifa said.').map((t) => t.text), ['Lifa', 'said', '.']);
  assert.deepEqual(tokenizeWords('   '), []);
  assert.deepEqual(tokenizeWords('He moved to Texas. Calif. is next.').map((t) => t.text), ['He', 'moved', 'to', 'Texas', '.', 'Calif.', 'is', 'next', '.']);
  assert.deepEqual(tokenizeWords('He moved to Texas. Then Dallas.', () => false, { keepFinalPeriod: true }).map((t) => t.text), ['He', 'moved', 'to', 'Texas', '.', 'Then', 'Dallas.']);
  assert.deepEqual(tokenizeWords("in Dallas. ' '", () => false, { keepFinalPeriod: true }).map((t) => t.text), ['in', 'Dallas.', "'", "'"]);
  // Mid-text, a known "word." token is split unless it is an abbreviation.
  const knownDotted = (t: string) => ['Dallas.', 'Calif.'].includes(t);
  assert.deepEqual(tokenizeWords('in Dallas. Calif. is in Dallas.', knownDotted, { keepFinalPeriod: true }).map((t) => t.text), ['in', 'Dallas', '.', 'Calif.', 'is', 'in', 'Dallas.']);
});
