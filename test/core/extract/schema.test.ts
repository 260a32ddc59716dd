import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../../src/core/errors';
import { CONLL04_SCHEMA, parseExtractionSchema } from '../../../src/core/extract/schema';

function rejects(text: string, pointer: string, pattern: RegExp, line?: number) {
  assert.throws(() => parseExtractionSchema(text, 'x.schema.json'), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.pointer, pointer);
    assert.match(e.message, pattern);
    if (line !== undefined) assert.equal(e.line, line);
    assert.equal(e.file, 'x.schema.json');
    return true;
  });
}

test('the shipped CoNLL04 example schema parses to the built-in CONLL04_SCHEMA', () => {
  const file = path.join(__dirname, '../../../examples/extraction/conll04.schema.json');
  const parsed = parseExtractionSchema(readFileSync(file, 'utf8'), file);
  assert.deepEqual(parsed, CONLL04_SCHEMA);
});

test('events, comments and trailing commas are accepted', () => {
  const s = parseExtractionSchema(`{
    // people and firms
    "name": "hiring",
    "entities": { "Peop": {}, "Org": { "description": "company" }, },
    "events": { "Hire": { "roles": { "employer": ["Org"], "employee": ["Peop"], "when": [] } } },
  }`);
  assert.equal(s.name, 'hiring');
  assert.deepEqual(s.relations, []);
  assert.deepEqual(s.events[0].roles, [
    { role: 'employer', types: ['Org'] }, { role: 'employee', types: ['Peop'] }, { role: 'when', types: [] },
  ]);
});

test('bad schemas are user errors naming the field and its line', () => {
  rejects('{"entities": {"Peop": {}},\n "relations": {"Work_For": {"head": "Peop",\n "tail": "Company"}}}', '/relations/Work_For/tail', /unknown entity type "Company"/, 3);
  rejects('{"entities": {}}', '/entities', /at least one entity type/);
  rejects('{"entities": []}', '/entities', /must be an object/);
  rejects('{"entities": {"Peop": {}}, "relations": {"R": {"head": "Peop"}}}', '/relations/R', /missing "tail"/);
  rejects('{"entities": {"Peop": {}}, "entitys": {}}', '/entitys', /unknown field "entitys"/);
  rejects('{"entities": {"Pe op!": {}}}', '/entities/Pe op!', /invalid name/);
  rejects('{"entities": {"Peop": {}}, "events": {"E": {"roles": {"agent": "Peop"}}}}', '/events/E/roles/agent', /array of entity type names/);
  rejects('{"entities": {"Peop": {}}, "events": {"E": {"roles": {}}}}', '/events/E/roles', /at least one role/);
  rejects('[]', '', /JSON object/);
  assert.throws(() => parseExtractionSchema('{"entities": {', 'x.schema.json'), (e: unknown) => e instanceof UserError && /invalid JSON/.test(e.message) && e.line === 1);
});
