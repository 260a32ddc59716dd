import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLexicon, listMatches } from '../../../../src/core/extract/builtin/lexicon';

test('list matches for the gazetteer prior: longest entries first, proper names only, without overlaps', () => {
  const lex = buildLexicon({ 'cmp-org': ['siemens', 'bank of england', 'shell'], 'cmp-city': ['munich', 'england'] });
  const tokens = 'Siemens and the Bank of England met in Munich ; siemens sold shell stock'.split(' ');
  assert.deepEqual(listMatches(tokens, lex, ['cmp-org', 'cmp-city']), [
    { start: 0, end: 1, list: 'cmp-org' },
    { start: 3, end: 6, list: 'cmp-org' }, // "Bank of England", not "England" alone
    { start: 8, end: 9, list: 'cmp-city' },
  ]);
  // Only the lists asked for.
  assert.deepEqual(listMatches(tokens, lex, ['cmp-city']).map((m) => tokens.slice(m.start, m.end).join(' ')), ['England', 'Munich']);
});
