import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { parseJsonl } from '../../../src/core/data/jsonl';

const parse = (text: string) => parseJsonl(text, '/d/t.jsonl', '/data/train');

function fails(text: string, message: RegExp, line: number | undefined): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, message);
      assert.equal(e.line, line);
      assert.equal(e.pointer, '/data/train');
      assert.equal(e.file, '/d/t.jsonl');
      return true;
    },
  );
}

test('records with string or integer labels; blank lines and extra fields are fine', () => {
  const r = parse('{"text": "a b", "label": "pos", "id": 1}\n\n{"text": "c", "label": "neg"}\r\n');
  assert.deepEqual(r.texts, ['a b', 'c']);
  assert.deepEqual(r.labels, ['pos', 'neg']);
  assert.deepEqual(r.lines, [1, 3]);
  assert.deepEqual(parse('{"text":"x","label":2}\n{"text":"y","label":0}').labels, [2, 0]);
});

test('every malformed line is reported with its line number', () => {
  fails('{"text":"a","label":"x"}\n{"text": "b", label: 1}\n', /not valid JSON/, 2);
  fails('{"text":"a","label":"x"}\n[1,2]\n', /each line must be a JSON object/, 2);
  fails('{"label":"x"}', /missing "text"/, 1);
  fails('{"text": 5, "label":"x"}', /"text" must be a string/, 1);
  fails('{"text":"a"}', /missing "label"/, 1);
  fails('{"text":"a","label":-1}', /label -1 is not a class index/, 1);
  fails('{"text":"a","label":1.5}', /label 1.5 is not a class index/, 1);
  fails('{"text":"a","label":0}\n{"text":"b","label":2147483648}', /label 2147483648 is too large for a class index \(at most 2147483647\)/, 2);
  fails('{"text":"a","label":true}', /"label" must be a class name/, 1);
  fails('{"text":"a","label":"x"}\n{"text":"b","label":3}', /label 3 is a number, but line 1 has a string label/, 2);
  fails('\n\n', /no examples/, undefined);
});
