import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConll04 } from '../../../src/core/extract/conll04';
import { tokenizeWords } from '../../../src/core/extract/builtin/tokenize';

const DIR = path.join(__dirname, '../../../examples/extraction/news-dev');

test('the news dev set: its JSON is what the converter makes of the annotated text (same sentences, tokens, counts)', () => {
  const data = parseConll04(readFileSync(path.join(DIR, 'news-dev.json'), 'utf8'));
  const lines = readFileSync(path.join(DIR, 'news-dev.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(data.length, lines.length);
  lines.forEach((line, i) => {
    const marked = line.split(' ## ')[0];
    const plain = marked.replace(/\[([^\]|]+)\|[PLO]\]/g, '$1');
    assert.deepEqual(data[i].tokens, tokenizeWords(plain).map((t) => t.text), `sentence ${i + 1}`);
    const spans = [...marked.matchAll(/\[([^\]|]+)\|[PLO]\]/g)].map((m) => m[1]);
    assert.deepEqual(data[i].entities.map((e) => data[i].tokens.slice(e.start, e.end).join(' ')), spans.map((s) => tokenizeWords(s).map((t) => t.text).join(' ')), `sentence ${i + 1}`);
  });
  const types = data.flatMap((s) => s.entities.map((e) => e.type));
  assert.deepEqual([types.length, types.filter((t) => t === 'Loc').length, types.filter((t) => t === 'Org').length, types.filter((t) => t === 'Peop').length], [284, 120, 87, 77]);
  assert.equal(data.reduce((n, s) => n + s.relations.length, 0), 67);
});
