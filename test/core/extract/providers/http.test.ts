import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../../src/core/errors';
import {
  displayUrl, endpointUrl, limitedBody, parseModelJson, readJsonBody, readNdjson, readSse, redact, requestJson,
} from '../../../../src/core/extract/providers/http';
import { sendJson, startLocalServer } from './localServer';

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

test('a fenced JSON answer followed by prose with braces is the first complete object', () => {
  const answer = 'Here you go:\n```json\n{"entities": [{"type": "Peop", "text": "Ann {B}"}]}\n```\nNote: I used {"type": ...} objects as {asked}.';
  assert.deepEqual(parseModelJson(answer, 'p'), { entities: [{ type: 'Peop', text: 'Ann {B}' }] });
  // Prose braces before the object are skipped; an unbalanced "{" does not hide the answer.
  assert.deepEqual(parseModelJson('Using {x} and { this: {"entities": []}', 'p'), { entities: [] });
  // Junk made of braces costs a bounded number of attempts and is a user error.
  assert.throws(() => parseModelJson('{'.repeat(200_000), 'p'), UserError);
});

test('base URLs are built with the URL API: the query string stays a query string', () => {
  assert.equal(endpointUrl('https://example.test/openai/deployments/x?api-version=2024-06-01', '/chat/completions').href,
    'https://example.test/openai/deployments/x/chat/completions?api-version=2024-06-01');
  assert.equal(endpointUrl('http://127.0.0.1:8080/v1/', '/chat/completions').href, 'http://127.0.0.1:8080/v1/chat/completions');
  assert.throws(() => endpointUrl('ftp://host', '/x'), UserError);
  assert.throws(() => endpointUrl('not a url with secret-password', '/x'), (e: unknown) => e instanceof UserError && /not a valid URL/.test(e.message));
  assert.equal(displayUrl('https://alice:s3cr3t@example.test/v1?key=abc&x=1'), 'https://***@example.test/v1?key=***&x=***');
});

test('credentials in the base URL are sent as Basic authentication and never printed', async () => {
  const server = await startLocalServer((req, res) => sendJson(res, 403, { error: `denied for ${req.headers.authorization} at ${req.url}` }));
  try {
    const url = endpointUrl(`${server.url.replace('http://', 'http://alice:s3cr3t-pass@')}/v1?api-version=7`, '/chat/completions');
    await assert.rejects(requestJson(url, {}, {}, { provider: 'p', retries: 0 }, async () => 'unused'), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /HTTP 403/);
      for (const secret of ['alice', 's3cr3t-pass', Buffer.from('alice:s3cr3t-pass').toString('base64')]) assert.ok(!e.message.includes(secret), e.message);
      return true;
    });
    assert.equal(server.requests[0].headers.authorization, `Basic ${Buffer.from('alice:s3cr3t-pass').toString('base64')}`);
    assert.equal(server.requests[0].url, '/v1/chat/completions?api-version=7');
  } finally {
    await server.close();
  }
});

test('a redirect is not followed: the text and the key never reach the other server', async () => {
  const elsewhere = await startLocalServer((_req, res) => sendJson(res, 200, { choices: [] }));
  const server = await startLocalServer((_req, res) => { res.writeHead(307, { location: `${elsewhere.url}/steal?token=abc` }); res.end(); });
  try {
    const url = endpointUrl(`${server.url}/v1`, '/chat/completions');
    await assert.rejects(requestJson(url, { text: 'private' }, { authorization: 'Bearer sk-secret-key-123456' }, { provider: 'p' }, async () => 'unused'),
      (e: unknown) => e instanceof UserError && /redirect \(HTTP 307\) to http:\/\/127\.0\.0\.1:\d+\/steal\?token=\*\*\*/.test(e.message));
    assert.equal(server.requests.length, 1, 'a redirect is not retried');
    assert.equal(elsewhere.requests.length, 0);
  } finally {
    await server.close();
    await elsewhere.close();
  }
});

test('HTTP 200 with a body that is not JSON is retried, then a one-line user error', async () => {
  const server = await startLocalServer((_req, res, i) => {
    if (i !== 2) { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>\u001b[31mProxy\u001b[0m login</html>'); return; }
    sendJson(res, 200, { ok: true });
  });
  try {
    const url = endpointUrl(server.url, '/x');
    const read = (r: Response, max: number) => readJsonBody(r, max);
    assert.deepEqual(await requestJson(url, {}, {}, { provider: 'p', backoffMs: 1 }, read), { ok: true });
    assert.equal(server.requests.length, 3);
    await assert.rejects(requestJson(url, {}, {}, { provider: 'p', backoffMs: 1, retries: 0 }, read), UserError);
  } finally {
    await server.close();
  }
  const html = await startLocalServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>\u001b]8;;http://x\u0007link\u009b31m</html>'); });
  try {
    await assert.rejects(requestJson(endpointUrl(html.url, '/x'), {}, {}, { provider: 'p', backoffMs: 1 }, readJsonBody), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /the answer is not JSON \(text\/html\): <html>/);
      assert.match(e.message, /after 3 attempts/);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(e.message), JSON.stringify(e.message));
      return true;
    });
    assert.equal(html.requests.length, 3);
  } finally {
    await html.close();
  }
});

/** A server that writes `chunk` until the client goes away; resolves `closed` with the bytes it wrote. */
async function floodingServer(chunk: string, contentType: string) {
  let closed!: (bytes: number) => void;
  const done = new Promise<number>((r) => { closed = r; });
  const server = await startLocalServer((_req, res) => {
    res.writeHead(200, { 'content-type': contentType });
    let written = 0;
    let open = true;
    res.on('close', () => { open = false; closed(written); });
    const pump = () => {
      while (open && res.write(chunk)) written += chunk.length;
      if (open) res.once('drain', pump);
    };
    pump();
  });
  return { server, closed: done };
}

test('an endless body is cut off at the byte limit (plain and streamed), and the connection is dropped', async () => {
  for (const [chunk, type, read] of [
    ['x'.repeat(65536), 'application/json', (r: Response, max: number) => readJsonBody(r, max)],
    [`data: ${JSON.stringify({ choices: [{ delta: { content: 'y'.repeat(1000) } }] })}\n\n`, 'text/event-stream', async (r: Response, max: number) => {
      let n = 0;
      for await (const e of readSse(limitedBody(r, max))) n += JSON.stringify(e).length;
      return n;
    }],
  ] as const) {
    const { server, closed } = await floodingServer(chunk, type);
    try {
      await assert.rejects(requestJson(endpointUrl(server.url, '/x'), {}, {}, { provider: 'p', maxResponseBytes: 1 << 20 }, read as (r: Response, max: number) => Promise<unknown>),
        (e: unknown) => e instanceof UserError && /larger than 1 MiB; stopped reading/.test(e.message));
      // The server sees the connection close: the client stopped reading rather than buffering on.
      const written = await closed;
      assert.ok(written < 64 << 20, `server wrote ${written} bytes`);
      assert.equal(server.requests.length, 1, 'an oversized answer is not retried');
    } finally {
      await server.close();
    }
  }
});

test('a body that never ends is bounded by the timeout and retried', async () => {
  const server = await startLocalServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"a": "');
    const t = setInterval(() => res.write('z'), 10);
    res.on('close', () => clearInterval(t));
  });
  try {
    await assert.rejects(requestJson(endpointUrl(server.url, '/x'), {}, {}, { provider: 'p', timeoutMs: 300, retries: 1, backoffMs: 1 }, readJsonBody),
      (e: unknown) => e instanceof UserError && /no complete answer within 300 ms \(after 2 attempts\)/.test(e.message));
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});
