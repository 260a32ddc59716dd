import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../../../src/core/errors';
import { CONLL04_SCHEMA, loadExtractionSchema } from '../../../src/core/extract/schema';
import { JobProcess } from '../../../src/runner/jobProcess';
import type { ExtractionSettings } from '../../../src/vscode/extract/extractionSettings';
import { providerConfig, runExtraction } from '../../../src/vscode/extract/runExtraction';

/**
 * The extension's extraction path: settings (and the SecretStorage key) turned into a job in a
 * real runner process (the shipped bundle, `npm test` builds it), with the built-in model and
 * with a local server that speaks the OpenAI chat-completions protocol.
 */
const TEXT = 'Oswald shot Kennedy in Dallas.';
const jobs = new JobProcess({ label: 'extraction', workerScript: path.resolve(__dirname, '../../../dist/runWorker.js') });
after(() => jobs.dispose());

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
    const progress: string[] = [];
    const r = await runExtraction({
      jobs, settings: settings(baseUrl), text: TEXT, schema: CONLL04_SCHEMA, apiKey: 'sk-test-123',
      onProgress: (message) => progress.push(message),
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
    assert.ok(progress.some((m) => /^\d+ characters received$/.test(m)), JSON.stringify(progress));
  });
});

test('a remote provider without a model names the setting to fix; a bad base URL comes back from the job as a UserError', async () => {
  for (const provider of ['openai', 'ollama'] as const) {
    assert.throws(() => providerConfig(settings('http://127.0.0.1:1', { provider, model: '' }), undefined), (e: unknown) => isUserError(e) && /modelLab\.extraction\.model/.test((e as Error).message));
  }
  await assert.rejects(
    runExtraction({ jobs, settings: settings('ftp://example', { provider: 'llamacpp' }), text: TEXT, schema: CONLL04_SCHEMA }),
    (e: unknown) => isUserError(e) && /base URL/.test((e as Error).message),
  );
});

test('built-in model: grounded entities, offsets into the text; a schema restricts the types', async () => {
  const text = 'Lee Harvey Oswald shot President John F. Kennedy in Dallas on November 22, 1963.';
  const builtin = settings('', { provider: 'builtin' });
  const r = await runExtraction({ jobs, settings: builtin, text, schema: CONLL04_SCHEMA });
  assert.equal(r.provider, 'builtin');
  assert.equal(r.ungrounded, 0);
  for (const e of r.entities) assert.equal(text.slice(e.start, e.end), e.text);
  assert.ok(r.entities.some((e) => e.type === 'Peop' && e.text.includes('Oswald')), JSON.stringify(r.entities));
  assert.ok(r.entities.some((e) => e.type === 'Loc' && e.text.startsWith('Dallas')), JSON.stringify(r.entities));

  const dir = mkdtempSync(path.join(tmpdir(), 'extract-schema-'));
  try {
    const onlyLoc = path.join(dir, 'loc.schema.json');
    writeFileSync(onlyLoc, '{ "name": "places", "entities": { "Loc": {} } }');
    const places = await runExtraction({ jobs, settings: builtin, text, schema: await loadExtractionSchema(onlyLoc) });
    assert.ok(places.entities.length > 0);
    assert.deepEqual([...new Set(places.entities.map((e) => e.type))], ['Loc']);
    assert.deepEqual(places.relations, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('built-in model: a selection that starts with "-" or contains NUL is text, not a command-line option', async () => {
  for (const text of ['- Lee Harvey Oswald shot John F. Kennedy in Dallas.', '--json Oswald shot Kennedy in Dallas.', 'Oswald shot Kennedy\u0000 in Dallas.']) {
    const r = await runExtraction({ jobs, settings: settings('', { provider: 'builtin' }), text, schema: CONLL04_SCHEMA });
    for (const e of r.entities) assert.equal(text.slice(e.start, e.end), e.text);
    assert.ok(r.entities.some((e) => e.type === 'Loc' && e.text.startsWith('Dallas')), `${JSON.stringify(text)}: ${JSON.stringify(r.entities)}`);
  }
});
