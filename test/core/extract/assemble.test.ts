import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleResult } from '../../../src/core/extract/assemble';
import { CONLL04_SCHEMA, validateExtractionSchema } from '../../../src/core/extract/schema';

const TEXT = 'John Smith, who works for Acme Corp. in Boston, met John Smith\u2019s lawyer.';

test('grounds model output, records the kind, drops and counts invented spans', () => {
  const r = assembleResult(TEXT, CONLL04_SCHEMA, {
    entities: [
      { type: 'Peop', text: 'John Smith' },
      { type: 'Org', text: 'acme corp.' },
      { type: 'Loc', text: 'Boston' },
      { type: 'Loc', text: 'Chicago' },
      { type: 'Peop', text: '' },
      { type: 'Animal', text: 'lawyer' },
      { type: 'Peop', text: 'John Smith' },
    ],
    relations: [
      { type: 'Work_For', head: 'John Smith', tail: 'Acme Corp.' },
      { type: 'OrgBased_In', head: 'Acme Corp.', tail: 'Boston' },
      { type: 'Live_In', head: 'John Smith', tail: 'Springfield' },
      { type: 'Married_To', head: 'John Smith', tail: 'Boston' },
    ],
  }, 'test');
  assert.deepEqual(r.entities.map((e) => [e.type, e.text, e.grounding]), [
    ['Peop', 'John Smith', 'exact'], ['Org', 'Acme Corp.', 'normalised'], ['Loc', 'Boston', 'exact'],
  ]);
  for (const e of r.entities) assert.equal(TEXT.slice(e.start, e.end), e.text);
  // Chicago, the empty span and Springfield are ungrounded; unknown types are ignored.
  assert.equal(r.ungrounded, 3);
  assert.deepEqual(r.relations.map((x) => [x.type, x.head.text, x.tail.text]), [
    ['Work_For', 'John Smith', 'Acme Corp.'], ['OrgBased_In', 'Acme Corp.', 'Boston'],
  ]);
  assert.equal(r.provider, 'test');
});

test('a start hint picks the repeated occurrence; garbage shapes are ignored', () => {
  const r = assembleResult(TEXT, CONLL04_SCHEMA, { entities: [{ type: 'Peop', text: 'John Smith', start: 50 }] }, 'p');
  assert.equal(r.entities[0].start, TEXT.lastIndexOf('John Smith'));
  const g = assembleResult(TEXT, CONLL04_SCHEMA, { entities: 'nope', relations: [null, 3, { type: 5 }] } as never, 'p');
  assert.deepEqual([g.entities, g.relations, g.ungrounded], [[], [], 0]);
});

test('events: trigger and arguments are grounded; invented arguments are dropped and counted', () => {
  const schema = validateExtractionSchema({ entities: { Peop: {}, Org: {} }, events: { Hire: { roles: { employer: ['Org'], employee: ['Peop'] } } } });
  const text = 'Acme hired Jane Doe on Monday.';
  const r = assembleResult(text, schema, {
    events: [
      { type: 'Hire', trigger: 'hired', arguments: [{ role: 'employer', text: 'Acme' }, { role: 'employee', text: 'Jane Roe' }, { role: 'boss', text: 'Jane Doe' }] },
      { type: 'Hire', trigger: 'fired', arguments: [] },
    ],
  }, 'p');
  assert.equal(r.events.length, 1);
  assert.deepEqual(r.events[0].trigger, { type: 'trigger', text: 'hired', start: 5, end: 10 });
  assert.deepEqual(r.events[0].arguments.map((a) => [a.role, a.entity.type, a.entity.text]), [['employer', 'Org', 'Acme']]);
  assert.equal(r.ungrounded, 2);
});
