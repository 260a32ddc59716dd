import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { UserError } from '../../../../src/core/errors';
import { OllamaProvider } from '../../../../src/core/extract/providers/ollama';
import { CONLL04_SCHEMA } from '../../../../src/core/extract/schema';
import { sendJson, startLocalServer, writeSlowly, type SeenRequest } from './localServer';

const TEXT = 'Mary Jones lives in \u201CSan Francisco\u201D.';
const ANSWER = JSON.stringify({
  entities: [{ type: 'Peop', text: 'Mary Jones' }, { type: 'Loc', text: 'san francisco' }, { type: 'Peop', text: 'Peter Pan' }],
  relations: [{ type: 'Live_In', head: 'Mary Jones', tail: 'San Francisco' }],
});

function checkRequest(r: SeenRequest, stream: boolean) {
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/api/chat');
  assert.equal(r.headers.authorization, undefined);
  const b = r.body as Record<string, any>;
  assert.equal(b.model, 'llama3.2');
  assert.equal(b.stream, stream);
  assert.deepEqual(b.messages.map((m: { role: string }) => m.role), ['system', 'user']);
  // `format` is a JSON schema that accepts the right answer and rejects an invented span.
  const validate = new Ajv().compile(b.format);
  assert.equal(validate({ entities: [{ type: 'Peop', text: 'Mary Jones' }], relations: [] }), true);
  assert.equal(validate({ entities: [{ type: 'Peop', text: 'Peter Pan' }], relations: [] }), false);
}

function checkResult(r: Awaited<ReturnType<OllamaProvider['extract']>>) {
  assert.deepEqual(r.entities.map((e) => [e.type, e.text, e.grounding]), [['Peop', 'Mary Jones', 'exact'], ['Loc', 'San Francisco', 'normalised']]);
  assert.equal(r.ungrounded, 1);
  assert.equal(r.relations.length, 1);
  assert.equal(r.relations[0].tail.start, TEXT.indexOf('San'));
  assert.equal(r.provider, 'ollama:llama3.2');
}

test('/api/chat with format: <schema>; invented spans dropped and counted', async () => {
  const server = await startLocalServer((_req, res) => sendJson(res, 200, { model: 'llama3.2', message: { role: 'assistant', content: ANSWER }, done: true }));
  try {
    const result = await new OllamaProvider({ baseUrl: server.url, model: 'llama3.2' }).extract(TEXT, CONLL04_SCHEMA);
    checkRequest(server.requests[0], false);
    checkResult(result);
  } finally {
    await server.close();
  }
});

test('streaming NDJSON is reassembled with progress', async () => {
  const server = await startLocalServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const lines = [...ANSWER.match(/.{1,11}/gs)!].map((c) => JSON.stringify({ message: { role: 'assistant', content: c }, done: false }) + '\n');
    lines.push(JSON.stringify({ message: { role: 'assistant', content: '' }, done: true, total_duration: 1 }) + '\n');
    await writeSlowly(res, lines.join('').match(/.{1,64}/gs)!);
  });
  try {
    const seen: string[] = [];
    const result = await new OllamaProvider({ baseUrl: server.url, model: 'llama3.2', stream: true }).extract(TEXT, CONLL04_SCHEMA, { onProgress: (p) => seen.push(p.chunk) });
    checkRequest(server.requests[0], true);
    checkResult(result);
    assert.equal(seen.join(''), ANSWER);
  } finally {
    await server.close();
  }
});

test('an error line in the stream and a 404 are user errors', async () => {
  const server = await startLocalServer((_req, res, i) => {
    if (i === 0) { res.writeHead(200); res.end(JSON.stringify({ error: 'model "nope" not found, try pulling it first' }) + '\n'); }
    else sendJson(res, 404, { error: 'model not found' });
  });
  try {
    const p = new OllamaProvider({ baseUrl: server.url, model: 'nope', stream: true });
    await assert.rejects(p.extract(TEXT, CONLL04_SCHEMA), (e: unknown) => e instanceof UserError && /not found/.test(e.message));
    const q = new OllamaProvider({ baseUrl: server.url, model: 'nope' });
    await assert.rejects(q.extract(TEXT, CONLL04_SCHEMA), (e: unknown) => e instanceof UserError && /HTTP 404/.test(e.message));
  } finally {
    await server.close();
  }
});
