import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUserError } from '../../../src/core/errors';
import { CONLL04_SCHEMA } from '../../../src/core/extract/schema';
import type { ExtractionSettings } from '../../../src/vscode/extract/extractionSettings';
import { remoteProvider, runExtraction } from '../../../src/vscode/extract/runExtraction';

/**
 * The extension's remote path: settings + the SecretStorage key turned into a provider call,
 * against a local server that speaks the OpenAI chat-completions protocol.
 */
const TEXT = 'Oswald shot Kennedy in Dallas.';

async function withServer(answer: string, fn: (baseUrl: string, requests: { req: IncomingMessage; body: Record<string, unknown> }[]) => Promise<void>): Promise<void> {
  const requests: { req: IncomingMessage; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      requests.push({ req, body: JSON.parse(data) as Record<string, unknown> });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ choices: [{ message: { content: answer } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests);
  } finally {
    server.close();
  }
}

const settings = (baseUrl: string, patch: Partial<ExtractionSettings> = {}): ExtractionSettings => ({
  provider: 'openai', baseUrl, model: 'test-model', schema: '', stream: false, timeoutMs: 5000, builtinModel: '', ...patch,
});

test('openai: the configured model and key are used; invented spans are dropped and counted', async () => {
  const answer = JSON.stringify({
    entities: [{ type: 'Peop', text: 'Oswald' }, { type: 'Loc', text: 'Dallas' }, { type: 'Peop', text: 'Ruby' }],
    relations: [{ type: 'Kill', head: 'Oswald', tail: 'Kennedy' }],
    events: [],
  });
  await withServer(answer, async (baseUrl, requests) => {
    const progress: number[] = [];
    const r = await runExtraction({
      settings: settings(baseUrl), text: TEXT, schema: CONLL04_SCHEMA, cliScript: '/nonexistent/cli.js', apiKey: 'sk-test-123',
      onProgress: (p) => progress.push(p.receivedChars),
    });
    assert.equal(requests.length, 1);
    assert.equal(requests[0].req.url, '/v1/chat/completions');
    assert.equal(requests[0].req.headers.authorization, 'Bearer sk-test-123');
    assert.equal(requests[0].body.model, 'test-model');
    assert.ok(!JSON.stringify(requests[0].body).includes('sk-test-123'), 'the key is only in the header');
    assert.equal(r.provider, 'openai:test-model');
    // The relation's tail "Kennedy" becomes an entity too; "Ruby" is nowhere in the text.
    const spans = [...r.entities].sort((a, b) => a.start - b.start).map((e) => [e.type, e.text, TEXT.slice(e.start, e.end)]);
    assert.deepEqual(spans, [['Peop', 'Oswald', 'Oswald'], ['Peop', 'Kennedy', 'Kennedy'], ['Loc', 'Dallas', 'Dallas']]);
    assert.deepEqual(r.relations.map((x) => [x.type, x.head.text, x.tail.text]), [['Kill', 'Oswald', 'Kennedy']]);
    assert.ok(r.ungrounded >= 1, 'the invented "Ruby" is counted');
    assert.ok(progress.length > 0);
  });
});

test('a remote provider without a model names the setting to fix', () => {
  for (const provider of ['openai', 'ollama'] as const) {
    assert.throws(() => remoteProvider(settings('http://127.0.0.1:1', { provider, model: '' }), undefined), (e: unknown) => isUserError(e) && /modelLab\.extraction\.model/.test((e as Error).message));
  }
  assert.throws(() => remoteProvider(settings('ftp://example', { provider: 'llamacpp' }), undefined), (e: unknown) => isUserError(e) && /base URL/.test((e as Error).message));
});
