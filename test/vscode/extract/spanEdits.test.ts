import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findSpan, shiftSpans } from '../../../src/vscode/extract/spanEdits';

/** Applies the edit to the text too, so each kept span can be checked against what it read. */
function edit(text: string, spans: { start: number; end: number; text: string }[], offset: number, removed: number, inserted: string) {
  const next = text.slice(0, offset) + inserted + text.slice(offset + removed);
  const kept = shiftSpans(spans, offset, removed, inserted.length);
  for (const s of kept) assert.equal(next.slice(s.start, s.end), s.text);
  return kept.map((s) => s.text);
}

const text = 'Oswald shot Kennedy in Dallas.';
const at = (p: string) => ({ start: text.indexOf(p), end: text.indexOf(p) + p.length, text: p });
const spans = [at('Oswald'), at('Kennedy'), at('Dallas')];

test('an edit between spans keeps them all, shifting the later ones', () => {
  assert.deepEqual(edit(text, spans, text.indexOf('shot'), 4, 'assassinated'), ['Oswald', 'Kennedy', 'Dallas']);
  assert.deepEqual(edit(text, spans, 0, 0, '😀 '), ['Oswald', 'Kennedy', 'Dallas']);
});

test('an edit inside or overlapping a span removes only that span', () => {
  assert.deepEqual(edit(text, spans, text.indexOf('Kennedy') + 2, 1, 'N'), ['Oswald', 'Dallas']);
  assert.deepEqual(edit(text, spans, text.indexOf('Kennedy') + 3, 0, 'x'), ['Oswald', 'Dallas']);
  assert.deepEqual(edit(text, spans, text.indexOf('in Dallas'), 'in Dallas'.length, 'at home'), ['Oswald', 'Kennedy']);
});

test('typing right after a span or right before it keeps it', () => {
  assert.deepEqual(edit(text, spans, text.indexOf('Oswald') + 6, 0, "'s"), ['Oswald', 'Kennedy', 'Dallas']);
  assert.deepEqual(edit(text, spans, text.indexOf('Dallas'), 0, 'downtown '), ['Oswald', 'Kennedy', 'Dallas']);
});

test('an entity is found where it was, or where edits moved it (the nearest occurrence), or not at all', () => {
  const doc = 'Dallas. Oswald shot Kennedy in Dallas.';
  const was = doc.lastIndexOf('Dallas');
  assert.equal(findSpan(doc, was, 'Dallas'), was);
  // Three characters were inserted before it: the nearest "Dallas" is the moved one, not the first.
  const edited = 'Dallas. Lee Oswald shot Kennedy in Dallas.';
  assert.equal(findSpan(edited, was, 'Dallas'), edited.lastIndexOf('Dallas'));
  assert.equal(findSpan(edited, 2, 'Dallas'), 0);
  assert.equal(findSpan('Oswald shot Kennedy.', was, 'Dallas'), undefined);
  assert.equal(findSpan(doc, 0, ''), undefined);
});
