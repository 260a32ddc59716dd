import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSyntaxMessage, parseJson } from '../../../src/core/util/jsonError';

test('a file that is not JSON is located (line, column, why) and never quoted', () => {
  const secret = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ';
  assert.throws(() => parseJson(secret), (e: unknown) => {
    assert.ok(e instanceof SyntaxError);
    assert.ok(!/OPENSSH|b3Bl/.test(e.message), e.message);
    assert.match(e.message, /^invalid JSON at line 1, column \d+: /);
    return true;
  });
  // JSON.parse itself quotes the text; this is what the helper replaces.
  assert.throws(() => JSON.parse('root:x:0:0:root'), /root:x/);
  assert.equal(jsonSyntaxMessage('{\n  "a": 1,\n  "b" 2\n}'), "invalid JSON at line 3, column 7: ':' expected");
  assert.equal(jsonSyntaxMessage(''), 'invalid JSON at line 1, column 1: the file is empty');
  assert.deepEqual(parseJson('{"a": [1, 2]}'), { a: [1, 2] });
});
