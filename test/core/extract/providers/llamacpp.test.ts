import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LlamaCppProvider } from '../../../../src/core/extract/providers/llamacpp';
import { CONLL04_SCHEMA } from '../../../../src/core/extract/schema';
import { Gbnf } from '../gbnfMatcher';
import { sendJson, startLocalServer, writeSlowly } from './localServer';

const TEXT = 'Lee Harvey Oswald shot John F. Kennedy in Dallas.';
const GOOD = JSON.stringify({
  entities: [{ type: 'Peop', text: 'Lee Harvey Oswald' }, { type: 'Peop', text: 'John F. Kennedy' }, { type: 'Loc', text: 'Dallas' }],
  relations: [{ type: 'Kill', head: 'Lee Harvey Oswald', tail: 'John F. Kennedy' }],
});

test('/completion with a GBNF grammar that derives the answer and rejects invented spans', async () => {
  const server = await startLocalServer((req, res) => {
    // Like llama.cpp, the server only produces what the grammar allows.
    const grammar = new Gbnf(String(req.body.grammar));
    assert.ok(grammar.matches(GOOD));
    assert.equal(grammar.matches(GOOD.replace('Dallas', 'Houston')), false);
    sendJson(res, 200, { content: GOOD, stop: true });
  });
  try {
    const r = await new LlamaCppProvider({ baseUrl: server.url }).extract(TEXT, CONLL04_SCHEMA);
    const req = server.requests[0];
    assert.equal(req.url, '/completion');
    assert.equal(typeof req.body.prompt, 'string');
    assert.ok((req.body.prompt as string).includes(TEXT));
    assert.equal(req.body.stream, false);
    assert.deepEqual(r.entities.map((e) => e.text), ['Lee Harvey Oswald', 'John F. Kennedy', 'Dallas']);
    assert.deepEqual(r.relations.map((x) => [x.type, x.head.text, x.tail.text]), [['Kill', 'Lee Harvey Oswald', 'John F. Kennedy']]);
    assert.equal(r.ungrounded, 0);
  } finally {
    await server.close();
  }
});

test('streaming /completion events are reassembled', async () => {
  const server = await startLocalServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = [...GOOD.match(/.{1,9}/gs)!].map((c) => `data: ${JSON.stringify({ content: c, stop: false })}\n\n`);
    events.push(`data: ${JSON.stringify({ content: '', stop: true })}\n\n`);
    await writeSlowly(res, events);
  });
  try {
    let chunks = 0;
    const r = await new LlamaCppProvider({ baseUrl: server.url, stream: true }).extract(TEXT, CONLL04_SCHEMA, { onProgress: () => chunks++ });
    assert.equal(server.requests[0].body.stream, true);
    assert.equal(r.entities.length, 3);
    assert.ok(chunks > 3);
  } finally {
    await server.close();
  }
});
