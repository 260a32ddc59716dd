import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../../src/core/errors';
import { MAX_ANSWER_SPANS } from '../../../../src/core/extract/assemble';
import { LlamaCppProvider } from '../../../../src/core/extract/providers/llamacpp';
import { OpenAIProvider } from '../../../../src/core/extract/providers/openai';
import { CONLL04_SCHEMA } from '../../../../src/core/extract/schema';
import { Gbnf } from '../gbnfMatcher';
import { sendJson, startLocalServer } from './localServer';

/**
 * Long selections against a real local endpoint that behaves like a constrained model: it
 * answers with the entities of the text it was sent, but can only name a span that the
 * request's constraint (enum or grammar) allows, as a real structured-output server.
 */
const FIRST = ['Maria', 'Kwame', 'Lena', 'Hiroshi', 'Aisha', 'Tomasz', 'Ingrid', 'Rafael', 'Nadia', 'Oskar', 'Priya', 'Felix'];
const LAST = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Haddad', 'Kowalski', 'Brennan', 'Alvarez', 'Petrov', 'Nakamura'];
const CITIES = ['Porto Alegre', 'Tromsø', 'Kraków', 'Mombasa', 'Valparaíso', 'Hobart', 'Tbilisi', 'Leipzig', 'Halifax', 'Chiang Mai'];
const ORGS = ['Northwind Analytics', 'Helios Freight Company', 'the Baltic Research Council', 'Quarry & Lime Ltd.', 'Seabright University'];
const FILLER = [
  'The committee reviewed the quarterly figures and noted that costs had risen faster than expected across most regions.',
  'Several observers argued that the plan was ambitious, although nobody disputed that the schedule left little room for delays.',
  'After a long debate about priorities, the members agreed to revisit the question once the new measurements were available.',
  'Local newspapers described the meeting as calm, with most of the discussion focused on transport, housing and water supply.',
];

interface Mention { type: string; text: string; start: number; end: number }

/** About 20 KB of prose with a person, an organisation and a city every few sentences; four entities at the very end. */
function longSelection(): { text: string; mentions: Mention[] } {
  let text = '';
  const mentions: Mention[] = [];
  const mention = (type: string, name: string) => {
    mentions.push({ type, text: name, start: text.length, end: text.length + name.length });
    text += name;
  };
  for (let i = 0; text.length < 19_500; i++) {
    text += FILLER[i % FILLER.length] + ' ';
    if (i % 2 === 0) {
      mention('Peop', `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`);
      text += ', who works for ';
      const org = ORGS[i % ORGS.length].replace(/^the /, '');
      text += ORGS[i % ORGS.length].startsWith('the ') ? 'the ' : '';
      mention('Org', org);
      text += `, spent ${i + 2} days in `;
      mention('Loc', CITIES[(i * 3) % CITIES.length]);
      text += '. ';
    }
  }
  text += 'In the end ';
  mention('Peop', 'Ursula Brandt');
  text += ' thanked ';
  mention('Org', 'Meridian Shipping Corp.');
  text += ' and flew from ';
  mention('Loc', 'Reykjavik');
  text += ' to ';
  mention('Loc', 'Santiago de Compostela');
  text += '.';
  return { text, mentions };
}

const { text: LONG, mentions: MENTIONS } = longSelection();

test('a 20 KB selection: every entity can be returned, in pieces of whole sentences (OpenAI-compatible)', async () => {
  assert.ok(LONG.length >= 19_500 && LONG.length <= 20_500, `${LONG.length} characters`);
  const names = [...new Map(MENTIONS.map((m) => [m.text, m])).values()];
  const unsayable: string[] = [];
  const server = await startLocalServer((req, res) => {
    const b = req.body as Record<string, any>;
    const piece: string = b.messages[1].content.replace(/^Text:\n/, '');
    const allowed = new Set<string>(b.response_format.json_schema.schema.properties.entities.items.properties.text.enum);
    assert.ok(allowed.size <= 500, `${allowed.size} candidates`);
    assert.ok([...allowed].reduce((n, s) => n + s.length, 0) <= 15_000);
    const entities = [];
    for (const n of names) {
      if (!piece.includes(n.text)) continue;
      if (allowed.has(n.text)) entities.push({ type: n.type, text: n.text });
      else unsayable.push(n.text);
    }
    sendJson(res, 200, { choices: [{ message: { content: JSON.stringify({ entities, relations: [] }) } }] });
  });
  try {
    const progress: { done?: number; of?: number }[] = [];
    const r = await new OpenAIProvider({ baseUrl: `${server.url}/v1`, model: 'm' })
      .extract(LONG, CONLL04_SCHEMA, { onProgress: (p) => progress.push({ done: p.piecesDone, of: p.pieces }) });
    assert.deepEqual(unsayable, [], 'every entity of a piece is one of its candidates');
    assert.ok(server.requests.length > 1, `${server.requests.length} requests`);
    // Each piece is whole sentences of the selection, in order, and together they cover it.
    const pieces = server.requests.map((q) => ((q.body as any).messages[1].content as string).replace(/^Text:\n/, ''));
    let at = 0;
    for (const p of pieces.sort((a, b) => LONG.indexOf(a) - LONG.indexOf(b))) {
      const start = LONG.indexOf(p, at);
      assert.ok(start >= 0, 'a piece is a slice of the selection');
      assert.match(LONG.slice(at, start), /^\s*$/, 'pieces leave nothing out');
      assert.match(p, /[.!?]$/, 'a piece ends a sentence');
      at = start + p.length;
    }
    assert.equal(at, LONG.length);
    // Every mention is returned at its own offsets (a name repeated inside one piece is named once
    // by the model and grounded at its first occurrence there).
    const found = new Set(r.entities.map((e) => `${e.type}|${e.start}|${e.end}`));
    for (const e of r.entities) assert.equal(LONG.slice(e.start, e.end), e.text);
    for (const n of names) assert.ok(r.entities.some((e) => e.type === n.type && e.text === n.text), `${n.type} ${n.text}`);
    for (const m of MENTIONS.slice(-4)) assert.ok(found.has(`${m.type}|${m.start}|${m.end}`), `the last entities: ${m.text}`);
    assert.ok(r.entities.length >= MENTIONS.length / 2, `${r.entities.length} of ${MENTIONS.length} mentions`);
    assert.equal(r.ungrounded, 0);
    assert.deepEqual(progress.at(-1), { done: server.requests.length, of: server.requests.length });
  } finally {
    await server.close();
  }
});

test('llama.cpp: each piece gets a grammar that derives the names in it', async () => {
  const tail = LONG.slice(LONG.length - 3000);
  const text = tail.slice(tail.indexOf('. ') + 2);
  const names = [...new Map(MENTIONS.map((m) => [m.text, m])).values()].filter((n) => text.includes(n.text));
  const server = await startLocalServer((req, res) => {
    const b = req.body as Record<string, any>;
    const piece = (b.prompt as string).slice((b.prompt as string).indexOf('Text:\n') + 6, -'\n\nJSON:\n'.length);
    const g = new Gbnf(b.grammar);
    const entities = names.filter((n) => piece.includes(n.text)).map((n) => ({ type: n.type, text: n.text }));
    const answer = JSON.stringify({ entities, relations: [] });
    assert.ok(g.matches(answer), `the grammar derives ${answer}`);
    sendJson(res, 200, { content: answer, stop: true });
  });
  try {
    const r = await new LlamaCppProvider({ baseUrl: server.url, candidates: { maxCandidates: 150 } }).extract(text, CONLL04_SCHEMA);
    assert.ok(server.requests.length > 1);
    for (const n of names) assert.ok(r.entities.some((e) => e.text === n.text && e.type === n.type), n.text);
  } finally {
    await server.close();
  }
});

test('a failing piece stops the others and its error is the one reported', async () => {
  const server = await startLocalServer((_req, res, i) => {
    if (i === 1) sendJson(res, 400, { error: 'context length exceeded' });
    else setTimeout(() => sendJson(res, 200, { choices: [{ message: { content: '{"entities": [], "relations": []}' } }] }), 50);
  });
  try {
    await assert.rejects(new OpenAIProvider({ baseUrl: server.url, model: 'm', concurrency: 2 }).extract(LONG, CONLL04_SCHEMA),
      (e: unknown) => e instanceof UserError && /HTTP 400.*context length exceeded/.test(e.message));
    const pieces = Math.ceil(LONG.length / 2000);
    assert.ok(server.requests.length < pieces, `${server.requests.length} requests sent, not all pieces`);
  } finally {
    await server.close();
  }
});

test('text without any candidate span sends nothing', async () => {
  const server = await startLocalServer((_req, res) => sendJson(res, 500, {}));
  try {
    const r = await new OpenAIProvider({ baseUrl: server.url, model: 'm' }).extract(' ... !!! ', CONLL04_SCHEMA);
    assert.deepEqual([r.entities, r.relations, r.ungrounded, server.requests.length], [[], [], 0, 0]);
  } finally {
    await server.close();
  }
});

test('an answer naming more spans than any extraction can have is refused, not ground through', async () => {
  const flood = Array.from({ length: MAX_ANSWER_SPANS + 1 }, (_, i) => ({ type: 'Peop', text: `invented person number ${i}` }));
  const server = await startLocalServer((_req, res) => sendJson(res, 200, { choices: [{ message: { content: JSON.stringify({ entities: flood, relations: [] }) } }] }));
  try {
    await assert.rejects(new OpenAIProvider({ baseUrl: server.url, model: 'm' }).extract('Ann met Bob in Oslo.', CONLL04_SCHEMA),
      (e: unknown) => e instanceof UserError && /names 5001 spans, more than the 5000/.test(e.message));
  } finally {
    await server.close();
  }
});
