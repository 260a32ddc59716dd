/**
 * What a misbehaving extraction endpoint costs the process that talks to it:
 * `node --import tsx scripts/bench/hostileEndpoint.ts [--spans N]`.
 *
 * 1. Long selections (issue 20 item 4): a ~20 KB selection of CoNLL04 dev sentences
 *    (`$MODEL_LAB_DATASETS/conll04`, default `../shared/datasets`; else the shipped sample
 *    repeated): how many of its gold
 *    entities a constrained model could name. Reference in the same run: one candidate list
 *    for the whole text (500 spans, shortest first), as remote providers sent before pieces.
 * 2. Invented spans (item 5): grounding N (default 5,000) spans that are nowhere in the text
 *    (windows of the text with a third of their letters changed, so each goes through the
 *    fuzzy search) and 500 one-typo spans that must ground fuzzily. Reference in the same run:
 *    one linear pass over the input (building the `Grounder`: normalisation and indexes);
 *    reported as milliseconds per span and as that pass's multiples.
 * 3. A flooding endpoint (item 5): a local server streaming server-sent events without end;
 *    bytes read before the provider stops, the process's RSS growth, and the time taken.
 * Wall-clock numbers depend on the machine and its load; the ratios and the work counts do not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { candidateSpans, textPieces } from '../../src/core/extract/constraints';
import { conll04ToDocument, parseConll04 } from '../../src/core/extract/conll04';
import { Grounder } from '../../src/core/extract/grounding';
import { OpenAIProvider } from '../../src/core/extract/providers/openai';
import { CONLL04_SCHEMA } from '../../src/core/extract/schema';
import { createRng } from '../../src/core/util/random';

const REPO = path.resolve(__dirname, '../..');
const spansArg = process.argv.indexOf('--spans');
const N_SPANS = spansArg > 0 ? Number(process.argv[spansArg + 1]) : 5000;

function selection(): { text: string; names: { type: string; text: string }[]; source: string } {
  const shared = path.resolve(process.env.MODEL_LAB_DATASETS ?? path.join(REPO, '../shared/datasets'), 'conll04/conll04_dev.json');
  const file = existsSync(shared) ? shared : path.join(REPO, 'examples/extraction/conll04-sample.json');
  const sentences = parseConll04(readFileSync(file, 'utf8'), file);
  let text = '';
  const names = new Map<string, { type: string; text: string }>();
  for (let i = 0; text.length < 20_000; i++) {
    const doc = conll04ToDocument(sentences[i % sentences.length]);
    if (text.length + doc.text.length + 1 > 20_000) break;
    for (const e of doc.entities) names.set(`${e.type}|${e.text}`, { type: e.type, text: e.text });
    text += `${doc.text} `;
  }
  return { text: text.trimEnd(), names: [...names.values()], source: path.relative(REPO, file) };
}

function ms(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const { text, names, source } = selection();
console.log(`selection: ${text.length} characters, ${text.split(/\s+/).length} words, ${names.length} distinct gold entities (${source})`);

// 1. Which entities a constrained model can name.
const whole = new Set(candidateSpans(text).map((c) => c.text));
const pieces = textPieces(text);
const inPieces = new Set(pieces.flatMap((p) => p.candidates));
// CoNLL04's gold spans keep a sentence's final period ("Boise."); a span never ends on punctuation.
const count = (set: Set<string>) => names.filter((n) => set.has(n.text) || set.has(n.text.replace(/[\s.,]+$/, ''))).length;
console.log('\n1. entities a constrained model can name (up to a trailing period)');
console.log(`   one list for the whole text (before): ${count(whole)}/${names.length}`);
console.log(`   pieces of whole sentences (now):      ${count(inPieces)}/${names.length} in ${pieces.length} requests of at most ${Math.max(...pieces.map((p) => p.candidates.length))} candidates`);

// 2. Invented spans.
const rng = createRng(7);
const mutate = (s: string, fraction: number) => [...s].map((c) => (/\p{L}/u.test(c) && rng.next() < fraction ? String.fromCharCode(97 + rng.int(26)) : c)).join('');
const windowOf = (len: number) => {
  const start = rng.int(text.length - len);
  return text.slice(start, start + len).trim();
};
const invented = Array.from({ length: N_SPANS }, () => mutate(windowOf(20 + rng.int(40)), 0.35));
const typos = Array.from({ length: 500 }, () => {
  const w = windowOf(30 + rng.int(20)).replace(/^\S*\s|\s\S*$/g, '');
  const i = 5 + rng.int(Math.max(1, w.length - 10));
  return { span: w.slice(0, i) + (w[i] === 'x' ? 'y' : 'x') + w.slice(i + 1), want: w };
});
let grounder!: Grounder;
const build = ms(() => { grounder = new Grounder(text); });
let grounded = 0;
const inventedMs = ms(() => { for (const s of invented) if (grounder.ground(s)) grounded++; });
const inventedWork = grounder.work;
let fuzzyOk = 0;
const typoMs = ms(() => { for (const t of typos) if (grounder.ground(t.span)?.kind === 'fuzzy') fuzzyOk++; });
console.log(`\n2. grounding (reference: one pass over the input, building the Grounder: ${build.toFixed(1)} ms)`);
console.log(`   ${N_SPANS} invented spans: ${inventedMs.toFixed(0)} ms, ${(inventedMs / N_SPANS * 1000).toFixed(1)} µs per span = ${(inventedMs / build).toFixed(2)} input passes in all; ${grounded} grounded; work ${(inventedWork / N_SPANS).toFixed(0)} per span`);
console.log(`   500 one-typo spans:  ${typoMs.toFixed(0)} ms, ${fuzzyOk}/500 grounded fuzzily`);

// 3. A flooding endpoint.
async function flood(): Promise<void> {
  const event = `data: ${JSON.stringify({ choices: [{ delta: { content: 'flood '.repeat(100) } }] })}\n\n`;
  let written = 0;
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let open = true;
    res.on('close', () => { open = false; });
    const pump = () => {
      while (open && res.write(event)) written += event.length;
      if (open) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const t0 = performance.now();
  let message = '';
  try {
    await new OpenAIProvider({ baseUrl: url, model: 'm', stream: true }).extract('Ann met Bob in Oslo.', CONLL04_SCHEMA);
  } catch (e) {
    message = (e as Error).message;
  }
  const took = performance.now() - t0;
  clearInterval(timer);
  server.closeAllConnections();
  server.close();
  console.log('\n3. flooding endpoint (server-sent events without end, default limits)');
  console.log(`   stopped after ${took.toFixed(0)} ms; server wrote ${(written / 2 ** 20).toFixed(1)} MiB; peak RSS growth ${((peak - rss0) / 2 ** 20).toFixed(1)} MiB`);
  console.log(`   error: ${message}`);
}
void flood();
