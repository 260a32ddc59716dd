import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../../src/core/errors';
import { OpenAIProvider } from '../../../../src/core/extract/providers/openai';
import { CAUSAL_SCHEMA, CONLL04_SCHEMA } from '../../../../src/core/extract/schema';
import { sendJson, startLocalServer, writeSlowly, type SeenRequest } from './localServer';

const TEXT = 'John Smith works for Acme Corp. in Boston.';
const KEY = 'sk-test-SECRET-0123456789';
/** The model's answer: one invented entity (Chicago) that grounding must drop and count. */
const ANSWER = JSON.stringify({
  entities: [{ type: 'Peop', text: 'John Smith' }, { type: 'Org', text: 'Acme Corp.' }, { type: 'Loc', text: 'Chicago' }],
  relations: [{ type: 'Work_For', head: 'John Smith', tail: 'Acme Corp.' }],
});

/** The request shape of an OpenAI-compatible structured-output call. */
function checkRequest(r: SeenRequest, stream: boolean) {
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/v1/chat/completions');
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  assert.match(String(r.headers['content-type']), /application\/json/);
  assert.ok(!r.raw.includes(KEY), 'API key only in the Authorization header');
  const b = r.body as Record<string, any>;
  assert.equal(b.model, 'test-model');
  assert.equal(b.messages[0].role, 'system');
  assert.match(b.messages[0].content, /Work_For \(Peop -> Org\)/);
  assert.equal(b.messages[1].role, 'user');
  assert.ok(b.messages[1].content.includes(TEXT));
  assert.equal(b.response_format.type, 'json_schema');
  assert.equal(b.response_format.json_schema.strict, true);
  assert.equal(typeof b.response_format.json_schema.name, 'string');
  const spanEnum: string[] = b.response_format.json_schema.schema.properties.entities.items.properties.text.enum;
  assert.ok(spanEnum.includes('John Smith') && spanEnum.includes('Acme Corp.'));
  for (const s of spanEnum) assert.ok(TEXT.includes(s), `enum value ${s} is a substring of the input`);
  assert.deepEqual(b.response_format.json_schema.schema.properties.relations.items.properties.head.enum, spanEnum);
  assert.equal(b.stream, stream ? true : undefined);
}

function checkResult(r: Awaited<ReturnType<OpenAIProvider['extract']>>) {
  assert.deepEqual(r.entities.map((e) => [e.type, e.text, e.start, e.end, e.grounding]), [
    ['Peop', 'John Smith', 0, 10, 'exact'], ['Org', 'Acme Corp.', 21, 31, 'exact'],
  ]);
  assert.equal(r.ungrounded, 1);
  assert.deepEqual(r.relations.map((x) => [x.type, x.head.text, x.tail.text]), [['Work_For', 'John Smith', 'Acme Corp.']]);
  assert.equal(r.provider, 'openai:test-model');
}

test('chat completions with a JSON-schema constraint; an invented span is dropped and counted', async () => {
  const server = await startLocalServer((_req, res) => {
    sendJson(res, 200, { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }] });
  });
  try {
    const p = new OpenAIProvider({ baseUrl: `${server.url}/v1/`, model: 'test-model', apiKey: KEY });
    const result = await p.extract(TEXT, CONLL04_SCHEMA);
    assert.equal(server.requests.length, 1);
    checkRequest(server.requests[0], false);
    checkResult(result);
  } finally {
    await server.close();
  }
});

test('streaming: server-sent events split mid-line are reassembled, with progress per chunk', async () => {
  const server = await startLocalServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = [...ANSWER.match(/.{1,17}/gs)!].map((piece) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
    const wire = [': keep-alive\n\n', ...events, 'data: [DONE]\n\n'].join('');
    await writeSlowly(res, wire.match(/.{1,40}/gs)!);
  });
  try {
    const progress: number[] = [];
    const p = new OpenAIProvider({ baseUrl: `${server.url}/v1`, model: 'test-model', apiKey: KEY, stream: true });
    const result = await p.extract(TEXT, CONLL04_SCHEMA, { onProgress: (e) => progress.push(e.receivedChars) });
    checkRequest(server.requests[0], true);
    checkResult(result);
    assert.ok(progress.length >= 5, 'progress per streamed chunk');
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    assert.equal(progress[progress.length - 1], ANSWER.length);
  } finally {
    await server.close();
  }
});

test('a 500 is retried with backoff, then the answer is used', async () => {
  const server = await startLocalServer((_req, res, i) => {
    if (i === 0) sendJson(res, 500, { error: { message: 'overloaded' } });
    else sendJson(res, 200, { choices: [{ message: { content: ANSWER } }] });
  });
  try {
    const p = new OpenAIProvider({ baseUrl: `${server.url}/v1`, model: 'test-model', apiKey: KEY, backoffMs: 5 });
    checkResult(await p.extract(TEXT, CONLL04_SCHEMA));
    assert.equal(server.requests.length, 2);
    assert.deepEqual(server.requests[1].body, server.requests[0].body);
  } finally {
    await server.close();
  }
});

test('a server that never answers times out with a user error', async () => {
  const server = await startLocalServer(() => { /* never respond */ });
  try {
    const p = new OpenAIProvider({ baseUrl: `${server.url}/v1`, model: 'test-model', timeoutMs: 150, retries: 1, backoffMs: 5 });
    await assert.rejects(p.extract(TEXT, CONLL04_SCHEMA), (e: unknown) => e instanceof UserError && /no response within 150 ms/.test(e.message));
    assert.equal(server.requests.length, 2, 'timed-out attempt retried once');
  } finally {
    await server.close();
  }
});

test('errors never contain the API key, even when the server echoes it', async () => {
  const server = await startLocalServer((req, res) => {
    sendJson(res, 401, { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } });
  });
  try {
    const p = new OpenAIProvider({ baseUrl: `${server.url}/v1`, model: 'test-model', apiKey: KEY, backoffMs: 5 });
    await assert.rejects(p.extract(TEXT, CONLL04_SCHEMA), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /HTTP 401/);
      assert.ok(!e.message.includes(KEY) && !e.message.includes('SECRET'), e.message);
      return true;
    });
    assert.equal(server.requests.length, 1, '401 is not retried');
  } finally {
    await server.close();
  }
});

test('bad configuration is a user error', () => {
  assert.throws(() => new OpenAIProvider({ baseUrl: 'ftp://x', model: 'm' }), UserError);
  assert.throws(() => new OpenAIProvider({ baseUrl: 'http://127.0.0.1:1', model: '' }), UserError);
});

test('the causal schema: constrained to Cause/Effect spans of the input and Cause-Effect relations, grounded, invented causes dropped', async () => {
  const text = 'The fire in the warehouse was caused by a faulty heater.';
  const answer = JSON.stringify({
    entities: [{ type: 'Cause', text: 'faulty heater' }, { type: 'Effect', text: 'fire' }, { type: 'Cause', text: 'lightning' }],
    relations: [{ type: 'Cause-Effect', head: 'faulty heater', tail: 'fire' }, { type: 'Cause-Effect', head: 'lightning', tail: 'fire' }],
  });
  const server = await startLocalServer((_req, res) => {
    sendJson(res, 200, { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }] });
  });
  try {
    const p = new OpenAIProvider({ baseUrl: `${server.url}/v1`, model: 'test-model', apiKey: KEY });
    const r = await p.extract(text, CAUSAL_SCHEMA);
    const b = server.requests[0].body as Record<string, any>;
    assert.match(b.messages[0].content, /Cause-Effect \(Cause -> Effect\)/);
    const schema = b.response_format.json_schema.schema;
    assert.deepEqual(schema.properties.entities.items.properties.type.enum, ['Cause', 'Effect']);
    assert.deepEqual(schema.properties.relations.items.properties.type.enum, ['Cause-Effect']);
    const spans: string[] = schema.properties.entities.items.properties.text.enum;
    assert.ok(spans.includes('faulty heater') && spans.includes('fire') && !spans.includes('lightning'));
    for (const s of spans) assert.ok(text.includes(s), s);
    assert.deepEqual(r.entities.map((e) => [e.type, e.text, text.slice(e.start, e.end)]), [['Effect', 'fire', 'fire'], ['Cause', 'faulty heater', 'faulty heater']]);
    assert.deepEqual(r.relations.map((x) => [x.type, x.head.text, x.tail.text]), [['Cause-Effect', 'faulty heater', 'fire']]);
    assert.ok(r.ungrounded >= 1, String(r.ungrounded));
  } finally {
    await server.close();
  }
});
