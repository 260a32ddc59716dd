import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli';
import { extractCommand } from '../../src/cli/extract';
import type { CliIO } from '../../src/cli/io';
import { isUserError } from '../../src/core/errors';
import type { ExtractCausalEvalOutput, ExtractEvalOutput, ExtractOutput } from '../../src/core/extract/cliOutput';
import { sendJson, startLocalServer } from '../core/extract/providers/localServer';

const ROOT = path.join(__dirname, '../..');

/** Runs the subcommand like `src/cli.ts` does: user errors become exit code 2 and one line. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, isTTY: false, signal: new AbortController().signal, cwd: ROOT };
  try {
    return { code: await extractCommand(argv, io), out, err };
  } catch (e) {
    if (isUserError(e)) return { code: 2, out, err: err + e.format() + '\n' };
    throw e;
  }
}

test('extract --text --json prints one JSON document of grounded records', async () => {
  const text = 'Lee Harvey Oswald shot President John F. Kennedy in Dallas.';
  const r = await run(['--text', text, '--schema', 'examples/extraction/conll04.schema.json', '--provider', 'builtin', '--json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as ExtractOutput;
  assert.deepEqual(Object.keys(doc).sort(), ['entities', 'events', 'provider', 'relations', 'ungrounded']);
  assert.equal(doc.ungrounded, 0);
  assert.deepEqual(doc.events, []);
  assert.ok(doc.entities.length > 0);
  for (const e of doc.entities) assert.equal(text.slice(e.start, e.end), e.text);
});

test('extract eval --data --format conll04 --json reports P/R/F1 over the sentences', async () => {
  const r = await run(['eval', '--data', 'examples/extraction/conll04-sample.json', '--format', 'conll04', '--limit', '10', '--json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as ExtractEvalOutput;
  assert.deepEqual(Object.keys(doc).sort(), ['entity', 'perType', 'provider', 'relation', 'sentences', 'ungrounded']);
  // Per type, the counts add up to the micro totals (each record has one type).
  for (const k of ['entity', 'relation'] as const) {
    const types = Object.values(doc.perType[k]);
    for (const c of ['correct', 'predicted', 'gold'] as const) assert.equal(types.reduce((a, p) => a + p[c], 0), doc[k][c], `${k}.${c}`);
  }
  assert.ok(['Loc', 'Org', 'Peop'].every((t) => t in doc.perType.entity), JSON.stringify(Object.keys(doc.perType.entity)));
  assert.deepEqual(Object.keys(doc.entity).sort(), ['correct', 'f1', 'gold', 'precision', 'predicted', 'recall']);
  assert.equal(doc.sentences, 10);
  assert.equal(doc.ungrounded, 0);
  for (const k of ['entity', 'relation'] as const) {
    for (const m of ['precision', 'recall', 'f1'] as const) assert.ok(doc[k][m] >= 0 && doc[k][m] <= 1, `${k}.${m}`);
  }
  assert.ok(doc.entity.f1 > 0.5);
  const human = await run(['eval', '--data', 'examples/extraction/conll04-sample.json', '--limit', '3']);
  assert.match(human.out, /entity +P [\d.]+ +R [\d.]+ +F1 [\d.]+/);
  assert.match(human.out, /entity types:\n(  \S+ +P +[\d.]+ +R +[\d.]+ +F1 +[\d.]+ +\(gold \d+, predicted \d+\)\n)+/);
});

test('extract eval --format semeval8 --json: the official score, Cause-Effect with direction, and rationales next to random ones', async () => {
  const r = await run(['eval', '--data', 'examples/extraction/semeval8-sample.txt', '--format', 'semeval8', '--json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as ExtractCausalEvalOutput;
  assert.deepEqual(Object.keys(doc).sort(), ['causal', 'macroF1', 'rationale', 'sentences']);
  assert.deepEqual(Object.keys(doc.rationale).sort(), ['comprehensiveness', 'randomComprehensiveness', 'randomSufficiency', 'sufficiency']);
  assert.equal(doc.sentences, 16);
  for (const x of [doc.macroF1, doc.causal.precision, doc.causal.recall, doc.causal.f1]) assert.ok(x >= 0 && x <= 1, String(x));
  // Six clear Cause-Effect sentences of both directions: the shipped model gets most of them.
  assert.ok(doc.causal.f1 >= 0.6, JSON.stringify(doc.causal));
  assert.ok(doc.rationale.comprehensiveness > doc.rationale.randomComprehensiveness, JSON.stringify(doc.rationale));
  const human = await run(['eval', '--data', 'examples/extraction/semeval8-sample.txt', '--format', 'semeval8', '--limit', '4']);
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /^4 sentences/);
  assert.match(human.out, /Cause-Effect \(direction-aware\) +P [\d.]+ +R [\d.]+ +F1 [\d.]+/);
  assert.match(human.out, /comprehensiveness [\d.-]+ \(random [\d.-]+\)/);
});

test('extract --schema causal: cause and effect spans, the relation with its probability and rationale words of the input', async () => {
  const text = 'The fire was caused by a faulty heater in the basement.';
  const r = await run(['--text', text, '--schema', 'causal', '--json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as ExtractOutput;
  assert.deepEqual([...new Set(doc.entities.map((e) => e.type))].sort(), ['Cause', 'Effect']);
  const rel = doc.relations.find((x) => x.type === 'Cause-Effect');
  assert.ok(rel, JSON.stringify(doc));
  assert.deepEqual([rel.head.type, rel.tail.type], ['Cause', 'Effect']);
  assert.match(rel.head.text, /heater/);
  assert.equal(rel.tail.text, 'fire');
  assert.ok(rel.score !== undefined && rel.score >= 0.5 && rel.score <= 1);
  assert.ok(rel.rationale && rel.rationale.length > 0);
  for (const w of [rel.head, rel.tail, ...rel.rationale]) assert.equal(text.slice(w.start, w.end), w.text);
  assert.ok(rel.rationale.some((w) => /caused|by/.test(w.text)), JSON.stringify(rel.rationale));
  const human = await run(['--text', text, '--schema', 'causal']);
  assert.match(human.out, /Cause-Effect: ".*heater" -> "fire" p [\d.]+ +because of /);
});

test('an OpenAI-compatible provider via flags; the key comes from the environment', async () => {
  const server = await startLocalServer((_req, res) => sendJson(res, 200, {
    choices: [{ message: { content: JSON.stringify({ entities: [{ type: 'Peop', text: 'Ann Lee' }, { type: 'Loc', text: 'Atlantis' }], relations: [] }) } }],
  }));
  process.env.MODEL_LAB_TEST_KEY = 'sk-cli-test-key-123456';
  try {
    const r = await run(['--text', 'Ann Lee lives in Oslo.', '--provider', 'openai', '--base-url', `${server.url}/v1`, '--model', 'm', '--api-key-env', 'MODEL_LAB_TEST_KEY', '--json']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.entities.map((e: { text: string }) => e.text), ['Ann Lee']);
    assert.equal(doc.ungrounded, 1);
    assert.equal(server.requests[0].headers.authorization, 'Bearer sk-cli-test-key-123456');
  } finally {
    delete process.env.MODEL_LAB_TEST_KEY;
    await server.close();
  }
});

test('bad input exits 2 with one line naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [[], /give the text with --file FILE \(or --file - for standard input\) or --text/],
    [['--text', 'x', '--file', 'x.txt'], /give the text with --file FILE/],
    [['--file', 'nope.txt'], /nope\.txt: file not found/],
    [['eval', '--data', 'examples/extraction/conll04-sample.json', '--file', 'x.txt'], /--text\/--file do not apply to "extract eval"/],
    [['--text', 'x', '--provider', 'gpt'], /--provider: unknown provider "gpt"/],
    [['--text', 'x', '--schema', 'nope.schema.json'], /nope\.schema\.json: cannot read schema file/],
    [['--text', 'x', '--provider', 'openai'], /--model is required/],
    [['eval', '--format', 'conll04'], /--data FILE is required/],
    [['eval', '--data', 'examples/extraction/conll04-sample.json', '--format', 'brat'], /unsupported format "brat"/],
    [['eval', '--data', 'examples/extraction/conll04.schema.json'], /invalid JSON/],
    [['eval', '--data', 'x.json', '--limit', '0'], /--limit must be a positive integer/],
    [['--text', 'x', '--bogus'], /bogus/],
    [['frobnicate'], /unexpected argument "frobnicate"/],
    [['eval', '--data', 'examples/extraction/semeval8-sample.txt', '--format', 'semeval8', '--provider', 'ollama', '--model', 'm'], /--format semeval8 scores the built-in causal model/],
    [['eval', '--data', 'examples/extraction/semeval8-sample.txt', '--format', 'semeval8', '--schema', 'causal'], /--schema does not apply to --format semeval8/],
    [['eval', '--data', 'examples/extraction/conll04-sample.json', '--format', 'semeval8'], /conll04-sample\.json:1:1: line 1: expected/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, pattern, argv.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  }
});

test('terminal control sequences from a server or the text never reach the terminal', async () => {
  const evil = '\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202Egnp.exe';
  const server = await startLocalServer((_req, res) => sendJson(res, 400, { error: { message: evil } }));
  let err = '';
  let out = '';
  const io: CliIO = { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, isTTY: true, signal: new AbortController().signal, cwd: ROOT };
  try {
    const code = await main(['extract', '--text', 'Ann Lee lives in Oslo.', '--provider', 'openai', '--base-url', server.url, '--model', 'm'], io);
    assert.equal(code, 2);
    assert.match(err, /HTTP 400/);
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(err), JSON.stringify(err));
  } finally {
    await server.close();
  }
  // Human output of spans: controls in the selected text are shown escaped.
  const text = 'Lee Harvey Oswald shot John F. Kennedy in Dallas.\u009b31m';
  assert.equal(await main(['extract', '--text', text, '--provider', 'builtin'], io), 0);
  assert.ok(!/[\u007f-\u009f]/.test(out), JSON.stringify(out));
});

test('extract eval on an empty corpus is a user error (exit 2)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'empty-corpus-'));
  try {
    writeFileSync(path.join(dir, 'empty.json'), '[]\n');
    const r = await run(['eval', '--data', path.join(dir, 'empty.json'), '--format', 'conll04', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /empty\.json: \/: the corpus has no sentences/);
    assert.equal(r.out, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
