/**
 * Converts the hand-annotated news dev set (`examples/extraction/news-dev/news-dev.txt`:
 * `[span|P]`, `[span|L]`, `[span|O]` marks, then `## Type(head; tail) ; ...`) into CoNLL04 JSON
 * (SpERT's `entities` layout, tokens as the built-in tokenizer splits the plain sentence):
 *
 *   npx tsx scripts/extract/news-dev.ts examples/extraction/news-dev/news-dev.txt > examples/extraction/news-dev/news-dev.json
 */
import { readFileSync } from 'node:fs';
import { tokenizeWords } from '../../src/core/extract/builtin/tokenize';

const TYPES: Record<string, string> = { P: 'Peop', L: 'Loc', O: 'Org' };

function convert(line: string, lineNo: number) {
  const [marked, rels = ''] = line.split(' ## ');
  let text = '';
  const spans: { type: string; start: number; end: number; text: string }[] = [];
  let last = 0;
  for (const m of marked.matchAll(/\[([^\]|]+)\|([PLO])\]/g)) {
    text += marked.slice(last, m.index);
    spans.push({ type: TYPES[m[2]], start: text.length, end: text.length + m[1].length, text: m[1] });
    text += m[1];
    last = m.index! + m[0].length;
  }
  text += marked.slice(last);
  const toks = tokenizeWords(text.trim());
  const tokenAt = (offset: number, side: 'start' | 'end') => {
    const i = toks.findIndex((t) => t[side] === offset);
    if (i < 0) throw new Error(`line ${lineNo}: entity boundary at ${offset} is not a token boundary in "${text}"`);
    return i;
  };
  const entities = spans.map((s) => ({ type: s.type, start: tokenAt(s.start, 'start'), end: tokenAt(s.end, 'end') + 1, text: s.text }));
  const relations = rels.split(' ; ').map((r) => r.trim()).filter(Boolean).map((r) => {
    const m = /^(\w+)\((.+); (.+)\)$/.exec(r);
    if (!m) throw new Error(`line ${lineNo}: bad relation "${r}"`);
    const find = (t: string) => {
      const i = entities.findIndex((e) => e.text === t);
      if (i < 0) throw new Error(`line ${lineNo}: relation argument "${t}" is not a marked entity`);
      return i;
    };
    return { type: m[1], head: find(m[2]), tail: find(m[3]) };
  });
  return { tokens: toks.map((t) => t.text), entities: entities.map(({ type, start, end }) => ({ type, start, end })), relations };
}

const file = process.argv[2];
if (!file) throw new Error('usage: news-dev.ts FILE');
const lines = readFileSync(file, 'utf8').split('\n').map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l && !l.startsWith('#'));
process.stdout.write(JSON.stringify(lines.map(([l, n]) => convert(l, n))) + '\n');
