import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../../src/core/errors';
import { parseModelJson, readNdjson, readSse, redact } from '../../../../src/core/extract/providers/http';

function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({ start(c) { for (const p of pieces) c.enqueue(enc.encode(p)); c.close(); } });
}

async function collect<T>(it: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('SSE: events split across chunks (even inside a multi-byte character) and [DONE]', async () => {
  const wire = 'data: {"a":"caf\u00e9 \u{1F600}"}\r\n\r\n: comment\n\ndata: {"b":2}\n\ndata: [DONE]\n\ndata: {"c":3}\n\n';
  const bytes = new TextEncoder().encode(wire);
  const pieces: ReadableStream<Uint8Array> = new ReadableStream({ start(c) { for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.slice(i, i + 3)); c.close(); } });
  assert.deepEqual(await collect(readSse(pieces)), [{ a: 'caf\u00e9 \u{1F600}' }, { b: 2 }]);
});

test('NDJSON lines, blank lines ignored, last line without newline', async () => {
  assert.deepEqual(await collect(readNdjson(streamOf(['{"x":1}\n\n{"y"', ':2}\n{"z":3}']))), [{ x: 1 }, { y: 2 }, { z: 3 }]);
  await assert.rejects(collect(readNdjson(streamOf(['{oops\n']))), UserError);
});

test('redact scrubs keys and bearer tokens', () => {
  assert.equal(redact('key abc-123-secret in url', ['abc-123-secret']), 'key *** in url');
  assert.equal(redact('Authorization: Bearer xyz.123'), 'Authorization: Bearer ***');
  assert.equal(redact('got sk-ABCDEF1234567890 back'), 'got sk-*** back');
});

test('parseModelJson accepts JSON or the JSON object inside prose, else a user error', () => {
  assert.deepEqual(parseModelJson('{"entities":[]}', 'p'), { entities: [] });
  assert.deepEqual(parseModelJson('Sure! Here it is:\n```json\n{"entities":[]}\n```', 'p'), { entities: [] });
  assert.throws(() => parseModelJson('I cannot help with that.', 'p'), UserError);
  assert.throws(() => parseModelJson('[1,2]', 'p'), UserError);
});
