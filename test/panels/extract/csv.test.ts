import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExtractionResult } from '../../../src/core/extract/types';
import { entitiesCsv, eventsCsv, relationsCsv } from '../../../src/panels/extract/csv';

const text = 'Ann Lee, of Acme, met Bo in Paris.';
const ann = { type: 'Peop', text: 'Ann Lee', start: 0, end: 7 };
const acme = { type: 'Org', text: 'Acme', start: 12, end: 16 };
const bo = { type: 'Peop', text: 'Bo', start: 22, end: 24 };
const result: ExtractionResult = {
  entities: [{ ...ann, grounding: 'exact' }, { ...acme }, { ...bo, grounding: 'fuzzy' as never }],
  relations: [{ type: 'Work_For', head: ann, tail: acme }],
  events: [
    { type: 'Meet', trigger: { type: 'Meet', text: 'met', start: 18, end: 21 }, arguments: [{ role: 'entity', entity: ann }, { role: 'entity', entity: bo }] },
    { type: 'Travel', trigger: { type: 'Travel', text: 'in', start: 25, end: 27 }, arguments: [] },
  ],
  ungrounded: 0,
  provider: 'builtin',
};

test('entities CSV: a row per entity with its offsets into the text', () => {
  const rows = entitiesCsv(result).trimEnd().split('\r\n');
  assert.deepEqual(rows, ['type,text,start,end,grounding', 'Peop,Ann Lee,0,7,exact', 'Org,Acme,12,16,exact', 'Peop,Bo,22,24,fuzzy']);
  for (const line of rows.slice(1)) {
    const [, span, start, end] = line.split(',');
    assert.equal(text.slice(Number(start), Number(end)), span);
  }
});

test('relations and events CSV: both arguments of a relation, a row per event argument', () => {
  assert.deepEqual(relationsCsv(result).trimEnd().split('\r\n'), [
    'type,head,headType,headStart,headEnd,tail,tailType,tailStart,tailEnd', 'Work_For,Ann Lee,Peop,0,7,Acme,Org,12,16',
  ]);
  assert.deepEqual(eventsCsv(result).trimEnd().split('\r\n'), [
    'event,type,trigger,triggerType,triggerStart,triggerEnd,role,argument,argumentType,argumentStart,argumentEnd',
    '1,Meet,met,Meet,18,21,entity,Ann Lee,Peop,0,7',
    '1,Meet,met,Meet,18,21,entity,Bo,Peop,22,24',
    '2,Travel,in,Travel,25,27,,,,,',
  ]);
});
