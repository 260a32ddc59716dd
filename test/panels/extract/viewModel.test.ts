import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExtractionResult } from '../../../src/core/extract/types';
import { confidenceLabel, entityHover, eventRows, isLowConfidence, LOW_CONFIDENCE, exportDocument, highlightSegments, panelTitle, provenance, rationaleMarks, relationRows, sourceLabel, TYPE_COLORS, typeColors } from '../../../src/panels/extract/viewModel';

const span = (text: string, piece: string, type = 'Peop', from = 0) => {
  const start = text.indexOf(piece, from);
  assert.ok(start >= 0, piece);
  return { type, text: piece, start, end: start + piece.length };
};

test('segments cover the text exactly once, in order, and plain runs carry no entity', () => {
  const text = 'Lee Harvey Oswald shot John F. Kennedy in Dallas.';
  const ents = [span(text, 'Lee Harvey Oswald'), span(text, 'John F. Kennedy'), span(text, 'Dallas', 'Loc')];
  const segs = highlightSegments(text, ents);
  assert.equal(segs.map((s) => s.text).join(''), text);
  segs.forEach((s, i) => { if (i > 0) assert.equal(s.start, segs[i - 1].end); });
  assert.deepEqual(segs.filter((s) => s.entities.length).map((s) => [s.text, s.entities]), [['Lee Harvey Oswald', [0]], ['John F. Kennedy', [1]], ['Dallas', [2]]]);
  assert.deepEqual(segs.filter((s) => !s.entities.length).map((s) => s.text), [' shot ', ' in ', '.']);
});

test('adjacent spans stay separate segments; nested and overlapping spans split into covered runs', () => {
  const text = 'New York City Hall';
  const adjacent = highlightSegments(text, [span(text, 'New York', 'Loc'), span(text, ' City Hall', 'Org')]);
  assert.deepEqual(adjacent.map((s) => [s.text, s.entities]), [['New York', [0]], [' City Hall', [1]]]);
  // "New York City" (Loc) contains "York" (Org, nested) and overlaps "City Hall" (Org).
  const segs = highlightSegments(text, [span(text, 'New York City', 'Loc'), span(text, 'York', 'Org'), span(text, 'City Hall', 'Org')]);
  assert.deepEqual(segs.map((s) => [s.text, s.entities]), [
    ['New ', [0]], ['York', [0, 1]], [' ', [0]], ['City', [0, 2]], [' Hall', [2]],
  ]);
});

test('offsets are UTF-16 code units: astral characters and combining marks stay whole', () => {
  const text = '😀 José Ñúñez met 👩‍👩‍👧 in Zürich.';
  const ents = [span(text, 'José Ñúñez'), span(text, 'Zürich', 'Loc')];
  const segs = highlightSegments(text, ents);
  assert.deepEqual(segs.filter((s) => s.entities.length).map((s) => s.text), ['José Ñúñez', 'Zürich']);
  assert.equal(segs[0].text, '😀 ');
  assert.equal(segs.map((s) => s.text).join(''), text);
  // The emoji counts 2 units, so the person starts at 3.
  assert.equal(ents[0].start, 3);
});

test('spans outside the text or empty are ignored rather than drawn', () => {
  const text = 'abc';
  const segs = highlightSegments(text, [{ start: 2, end: 9 }, { start: 1, end: 1 }, { start: -1, end: 2 }]);
  assert.deepEqual(segs.map((s) => [s.text, s.entities]), [['abc', []]]);
  assert.deepEqual(highlightSegments('', []), []);
});

test('type colours follow schema order, then unknown types, and repeat after six', () => {
  const schema = ['Loc', 'Org', 'Peop', 'Other'];
  const colors = typeColors(schema, [{ type: 'Peop' }, { type: 'Weapon' }]);
  assert.deepEqual([...colors.entries()], [['Loc', 'blue'], ['Org', 'orange'], ['Peop', 'green'], ['Other', 'purple'], ['Weapon', 'red']]);
  const many = typeColors(['a', 'b', 'c', 'd', 'e', 'f', 'g'], []);
  assert.equal(many.get('g'), TYPE_COLORS[0]);
});

const result: ExtractionResult = {
  entities: [
    { type: 'Peop', text: 'Oswald', start: 0, end: 6, grounding: 'exact' },
    { type: 'Peop', text: 'Kennedy', start: 12, end: 19, grounding: 'fuzzy' },
    { type: 'Loc', text: 'Dallas', start: 23, end: 29 },
  ],
  relations: [{ type: 'Kill', head: { type: 'Peop', text: 'Oswald', start: 0, end: 6 }, tail: { type: 'Peop', text: 'Kennedy', start: 12, end: 19 } }],
  events: [{ type: 'Attack', trigger: { type: 'trigger', text: 'shot', start: 7, end: 11 }, arguments: [{ role: 'attacker', entity: { type: 'Peop', text: 'Oswald', start: 0, end: 6 } }, { role: 'place', entity: { type: 'Loc', text: 'Dallas', start: 23, end: 29 } }] }],
  ungrounded: 2,
  provider: 'openai:gpt-4o-mini',
};

test('relation and event rows name each argument with its type', () => {
  assert.deepEqual(relationRows(result), [{ type: 'Kill', head: 'Oswald (Peop)', tail: 'Kennedy (Peop)', probability: '', rationale: '' }]);
  assert.deepEqual(eventRows(result), [{ type: 'Attack', trigger: 'shot', arguments: 'attacker: Oswald (Peop); place: Dallas (Loc)' }]);
});

test('causal relations: probability and rationale words in the row, dotted marks with their scores, entity hovers name the relation', () => {
  const text = 'The fire was caused by a short circuit.';
  const fire = { ...span(text, 'fire', 'Effect') };
  const circuit = { ...span(text, 'short circuit', 'Cause') };
  const causal: ExtractionResult = {
    entities: [{ ...fire, grounding: 'exact' }, { ...circuit, grounding: 'exact', confidence: 0.875 }],
    relations: [{ type: 'Cause-Effect', head: circuit, tail: fire, score: 0.9312, rationale: [{ ...span(text, 'caused'), score: 0.41 }, { text: 'by', start: 20, end: 22 }] }],
    events: [], ungrounded: 0, provider: 'builtin',
  };
  assert.deepEqual(relationRows(causal), [{ type: 'Cause-Effect', head: 'short circuit (Cause)', tail: 'fire (Effect)', probability: '0.93', rationale: 'caused 0.41, by' }]);
  assert.deepEqual(rationaleMarks(causal), [
    { start: 13, end: 19, hover: 'rationale of Cause-Effect: short circuit → fire; without "caused" its probability drops by 0.41' },
    { start: 20, end: 22, hover: 'rationale of Cause-Effect: short circuit → fire' },
  ]);
  assert.equal(entityHover(causal.entities[1], 'builtin', causal.relations), 'Cause (exact match, builtin, confidence 0.88); Cause-Effect: short circuit → fire');
  assert.equal(entityHover(causal.entities[0], 'builtin'), 'Effect (exact match, builtin)');
  assert.deepEqual(rationaleMarks(result), []);
});

test('provenance counts grounding kinds and reports dropped spans', () => {
  assert.deepEqual(provenance(result), { provider: 'openai:gpt-4o-mini', grounding: '2 exact, 1 fuzzy', dropped: '2 spans dropped: not found in the text' });
  assert.deepEqual(provenance({ ...result, entities: [], ungrounded: 1 }), { provider: 'openai:gpt-4o-mini', grounding: 'no spans', dropped: '1 span dropped: not found in the text' });
  assert.equal(provenance({ ...result, ungrounded: 0 }).dropped, '');
});

test('the exported JSON round-trips the text and the result', () => {
  const text = 'Oswald shot Kennedy in Dallas.';
  const doc = JSON.parse(exportDocument({ text, result, schemaName: 'conll04', entityTypes: [], source: 'a.txt:1', createdAt: '2026-01-01T00:00:00.000Z' }));
  assert.equal(doc.text, text);
  assert.deepEqual(doc.entities, result.entities);
  assert.equal(doc.ungrounded, 2);
  for (const e of doc.entities) assert.equal(text.slice(e.start, e.end), e.text);
});

test('the panel is titled by file and line range (lines counted from 1)', () => {
  assert.equal(sourceLabel('notes.txt', 11, 11), 'notes.txt:12');
  assert.equal(sourceLabel('notes.txt', 11, 13), 'notes.txt:12\u201314');
  assert.equal(panelTitle(sourceLabel('notes.txt', 0, 2)), 'Extraction: notes.txt:1\u20133');
  assert.equal(panelTitle('notes.txt:4', true), 'Extraction: notes.txt:4 (failed)');
  assert.equal(panelTitle(), 'Extraction');
});

test('calibrated confidences: shown with two decimals, spans below LOW_CONFIDENCE marked low; none without a confidence', () => {
  assert.equal(LOW_CONFIDENCE, 0.5);
  assert.equal(confidenceLabel({ confidence: 0.934 }), '0.93');
  assert.equal(confidenceLabel({ confidence: 0.42 }), '0.42 (low)');
  assert.equal(confidenceLabel({}), '');
  assert.deepEqual([{ confidence: 0.49 }, { confidence: 0.5 }, {}].map(isLowConfidence), [true, false, false]);
  assert.equal(entityHover({ type: 'Org', text: 'Siemens', start: 0, end: 7, grounding: 'exact', confidence: 0.3 }, 'builtin'), 'Org (exact match, builtin, confidence 0.30 (low))');
});
