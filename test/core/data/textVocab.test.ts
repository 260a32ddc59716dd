import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildVocab, encodeTexts, PAD_ID, tokenize, UNK_ID } from '../../../src/core/data/textVocab';

test('tokenize: lower-case words, punctuation dropped, inner apostrophes kept, unicode letters', () => {
  assert.deepEqual(tokenize("Don't PANIC -- it's 42, O'Neil!"), ["don't", 'panic', "it's", '42', "o'neil"]);
  assert.deepEqual(tokenize('Café au lait; naïve résumé'), ['café', 'au', 'lait', 'naïve', 'résumé']);
  assert.deepEqual(tokenize('  ...  '), []);
});

test('buildVocab: [PAD], [UNK], then by frequency with alphabetical ties, capped at vocabSize', () => {
  const texts = [['b', 'a', 'c'], ['c', 'a'], ['c', 'd']];
  assert.deepEqual(buildVocab(texts, 100), ['[PAD]', '[UNK]', 'c', 'a', 'b', 'd']);
  assert.deepEqual(buildVocab(texts, 4), ['[PAD]', '[UNK]', 'c', 'a']);
  // Input order does not change the result.
  assert.deepEqual(buildVocab([...texts].reverse(), 100), buildVocab(texts, 100));
});

test('encodeTexts: ids, [UNK] for unknown words, truncation and [PAD] at the end', () => {
  const vocab = ['[PAD]', '[UNK]', 'c', 'a'];
  const ids = encodeTexts([['a', 'zzz', 'c'], ['c'], ['a', 'a', 'a', 'a', 'c']], vocab, 4);
  assert.deepEqual([...ids], [3, UNK_ID, 2, PAD_ID, 2, PAD_ID, PAD_ID, PAD_ID, 3, 3, 3, 3]);
  // A word that looks like a special token is still just a word.
  assert.deepEqual([...encodeTexts([['[pad]']], vocab, 1)], [UNK_ID]);
});
