import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { candidateSpans, extractionGbnf, extractionJsonSchema, gbnfLiteral } from '../../../src/core/extract/constraints';
import { CONLL04_SCHEMA, validateExtractionSchema } from '../../../src/core/extract/schema';
import { Gbnf } from './gbnfMatcher';

const TEXT = 'Dr. Jane O\'Neil of "Acme Corp." met John Smith in New York City, N.Y., on Monday. John Smith said "hi \\ world".';

test('candidate spans are word-level substrings of the input, deduplicated, shortest first', () => {
  const c = candidateSpans(TEXT, { maxWords: 4 });
  for (const s of c) {
    assert.equal(TEXT.slice(s.start, s.end), s.text);
    assert.ok(!/^[\p{P}\p{S}]+$/u.test(s.text), `punctuation-only candidate ${s.text}`);
  }
  const texts = c.map((s) => s.text);
  assert.equal(new Set(texts).size, texts.length, 'deduplicated');
  for (const want of ['John Smith', 'New York City', 'Acme Corp.', 'N.Y.', 'Monday']) assert.ok(texts.includes(want), want);
  // Not word-aligned, or longer than maxWords: not candidates.
  assert.ok(!texts.includes('ohn Smith'));
  assert.ok(!texts.includes('met John Smith in New'));
  // Shortest first: all one-word candidates precede the two-word ones.
  const words = c.map((s) => s.text.split(/\s+/).length);
  assert.ok(words.indexOf(2) > words.lastIndexOf(1) || !words.includes(2));
});

test('candidate spans respect the count and character bounds', () => {
  const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
  assert.equal(candidateSpans(long, { maxCandidates: 50 }).length, 50);
  const byChars = candidateSpans(long, { maxTotalChars: 100 });
  assert.ok(byChars.reduce((n, s) => n + s.text.length, 0) <= 100);
  assert.deepEqual(candidateSpans(''), []);
  assert.deepEqual(candidateSpans(' , . ! '), []);
});

test('JSON schema: span fields are enums of the candidates; ajv accepts input spans only', () => {
  const candidates = candidateSpans(TEXT).map((s) => s.text);
  const schema = extractionJsonSchema(CONLL04_SCHEMA, candidates);
  const validate = new Ajv({ strict: true }).compile(schema);
  const ok = { entities: [{ type: 'Peop', text: 'John Smith' }], relations: [{ type: 'Live_In', head: 'John Smith', tail: 'New York City' }] };
  assert.equal(validate(ok), true, JSON.stringify(validate.errors));
  assert.equal(validate({ entities: [{ type: 'Peop', text: 'Johnny Smith' }], relations: [] }), false, 'invented span rejected');
  assert.equal(validate({ entities: [{ type: 'Person', text: 'John Smith' }], relations: [] }), false, 'unknown type rejected');
  assert.equal(validate({ entities: [], relations: [{ type: 'Live_In', head: 'John Smith', tail: 'Paris' }] }), false);
  assert.equal(validate({ entities: [] }), false, 'all fields required (OpenAI strict mode)');
  // No candidates: only empty lists are possible.
  const empty = new Ajv().compile(extractionJsonSchema(CONLL04_SCHEMA, []));
  assert.equal(empty({ entities: [], relations: [] }), true);
  assert.equal(empty({ entities: [{ type: 'Peop', text: '' }], relations: [] }), false);
});

const EVENT_SCHEMA = validateExtractionSchema({
  entities: { Peop: {}, Org: {} },
  events: { Hire: { roles: { employer: ['Org'], employee: ['Peop'] } } },
});

test('GBNF: every candidate derives from the span rule, non-substrings do not', () => {
  const candidates = candidateSpans(TEXT).map((s) => s.text);
  const g = new Gbnf(extractionGbnf(CONLL04_SCHEMA, candidates));
  for (const c of candidates) assert.ok(g.matches(JSON.stringify(c), 'span'), `candidate ${c}`);
  for (const bad of ['Johnny Smith', 'ohn Smith', 'John Smith in New York City, N.Y., on Monday. John', 'Smith New', '']) {
    assert.equal(g.matches(JSON.stringify(bad), 'span'), false, `non-substring ${bad}`);
  }
  // Spans containing quotes and backslashes are escaped correctly for JSON and GBNF.
  assert.ok(candidates.some((c) => c.includes('\\')));
  assert.ok(candidates.includes('O\'Neil'));
});

test('GBNF: whole answers derive from root only when every span is a candidate', () => {
  const candidates = candidateSpans(TEXT).map((s) => s.text);
  const g = new Gbnf(extractionGbnf(CONLL04_SCHEMA, candidates));
  const answer = (o: unknown) => JSON.stringify(o, null, 1);
  assert.ok(g.matches(answer({ entities: [{ type: 'Peop', text: 'John Smith' }, { type: 'Loc', text: 'New York City' }], relations: [{ type: 'Live_In', head: 'John Smith', tail: 'New York City' }] })));
  assert.ok(g.matches('{"entities":[],"relations":[]}'));
  assert.equal(g.matches(answer({ entities: [{ type: 'Peop', text: 'Jon Smith' }], relations: [] })), false);
  assert.equal(g.matches(answer({ entities: [{ type: 'Person', text: 'John Smith' }], relations: [] })), false);
  const ev = new Gbnf(extractionGbnf(EVENT_SCHEMA, ['Acme', 'hired', 'Jane']));
  assert.ok(ev.matches(JSON.stringify({ entities: [{ type: 'Org', text: 'Acme' }], events: [{ type: 'Hire', trigger: 'hired', arguments: [{ role: 'employee', text: 'Jane' }] }] })));
  assert.equal(ev.matches(JSON.stringify({ entities: [], events: [{ type: 'Hire', trigger: 'fired', arguments: [] }] })), false);
  const none = new Gbnf(extractionGbnf(CONLL04_SCHEMA, []));
  assert.ok(none.matches('{"entities": [], "relations": []}'));
  assert.equal(none.matches('{"entities": [{"type": "Peop", "text": ""}], "relations": []}'), false);
});

test('gbnfLiteral escapes quotes, backslashes and control characters', () => {
  assert.equal(gbnfLiteral('a"b\\c\nd\u0001'), '"a\\"b\\\\c\\nd\\x01"');
});
