import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bilouTags, spansToTagIds, viterbiDecode } from '../../../../src/core/extract/builtin/bilou';

const TYPES = ['Loc', 'Peop'];
const TAGS = bilouTags(TYPES);

/** Log-probabilities that put `p` on the given tag per token and spread the rest. */
function scores(tags: string[], p = 0.9): Float32Array {
  const out = new Float32Array(tags.length * TAGS.length);
  tags.forEach((t, i) => TAGS.forEach((u, j) => { out[i * TAGS.length + j] = Math.log(u === t ? p : (1 - p) / (TAGS.length - 1)); }));
  return out;
}

test('tags round-trip through spansToTagIds and Viterbi decoding', () => {
  const spans = [{ type: 'Peop', start: 0, end: 2 }, { type: 'Loc', start: 3, end: 4 }, { type: 'Loc', start: 5, end: 8 }];
  const ids = spansToTagIds(8, spans, TYPES);
  assert.deepEqual(ids.map((i) => TAGS[i]), ['B-Peop', 'L-Peop', 'O', 'U-Loc', 'O', 'B-Loc', 'I-Loc', 'L-Loc']);
  const decoded = viterbiDecode(scores(ids.map((i) => TAGS[i])), 8, TYPES);
  assert.deepEqual(decoded.map(({ type, start, end }) => ({ type, start, end })), spans);
  for (const d of decoded) assert.ok(d.score > 0.8 && d.score <= 1);
});

test('ill-formed best-per-token tags are repaired into well-formed spans', () => {
  // Per token argmax: B-Peop, O, L-Loc: invalid; the decoder must return closed spans only.
  const decoded = viterbiDecode(scores(['B-Peop', 'O', 'L-Loc'], 0.5), 3, TYPES);
  for (const d of decoded) assert.ok(d.end > d.start && d.start >= 0 && d.end <= 3);
  const i = viterbiDecode(scores(['I-Peop', 'I-Peop']), 2, TYPES);
  assert.ok(i.every((d) => d.type === 'Peop'));
  assert.deepEqual(viterbiDecode(new Float32Array(0), 0, TYPES), []);
});
