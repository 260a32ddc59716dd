import { promises as fs } from 'node:fs';
import { UserError } from '../errors';
import { jsonSyntaxProblem } from '../util/jsonError';
import { isWordWithFinalPeriod } from './builtin/tokenize';
import type { ExtractedEntity, ExtractedRelation } from './types';

/**
 * CoNLL04 JSON: an array of sentences `{tokens: string[], relations: [{head, tail, type}]}`,
 * each with its entities in one of two layouts:
 * - `tags`: one BILOU tag per token (e.g. "B-Peop"), as in this project's datasets and sample;
 *   `head`/`tail` index the sentence's entities in order of appearance;
 * - `entities`: `[{type, start, end}]`, token offsets with `end` exclusive, as SpERT ships
 *   CoNLL04; `head`/`tail` index that list.
 * Entities may not overlap (the tagger gives each token one label).
 *
 * The corpus attaches a sentence's final period to its last word ("... in Dallas."), and its
 * entities then include the period. The reader splits such a period off (`splitFinalPeriods`),
 * as the tokenizer does on any text, so entities read "Dallas" in training, in evaluation and
 * in what users see.
 */
export interface Conll04Sentence {
  tokens: string[];
  /** Token spans, `end` exclusive, in order of appearance. */
  entities: { type: string; start: number; end: number }[];
  relations: { type: string; head: number; tail: number }[];
}

/** A sentence as text: tokens joined by single spaces, with gold records in character offsets. */
export interface Conll04Document {
  text: string;
  /** Character offset of each token in `text`. */
  tokenStarts: number[];
  entities: ExtractedEntity[];
  relations: ExtractedRelation[];
}

/** Parse and validate CoNLL04 JSON text; errors name the sentence and field. */
export function parseConll04(text: string, file?: string): Conll04Sentence[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const p = jsonSyntaxProblem(text);
    throw new UserError(`invalid JSON: ${p.reason}`, undefined, file, p.line, p.column);
  }
  if (!Array.isArray(raw)) throw new UserError('a CoNLL04 file must be a JSON array of sentences', '', file);
  if (raw.length === 0) throw new UserError('the corpus has no sentences', '', file);
  return raw.map((s, i) => parseSentence(s, `/${i}`, file));
}

export async function loadConll04(file: string): Promise<Conll04Sentence[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read data file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, undefined, file);
  }
  return parseConll04(text, file);
}

function parseSentence(s: unknown, p: string, file?: string): Conll04Sentence {
  const fail = (pointer: string, message: string): never => { throw new UserError(message, pointer, file); };
  const layouts = 'either "tags" (one BILOU tag per token) or "entities" ([{type, start, end}] in tokens, SpERT\'s layout)';
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return fail(p, `a sentence must be an object {tokens, relations} with ${layouts}`);
  const o = s as Record<string, unknown>;
  const tokens = o.tokens;
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string' || t === '' || /\s/.test(t))) {
    return fail(`${p}/tokens`, 'must be an array of non-empty strings without whitespace');
  }
  if (o.tags !== undefined && o.entities !== undefined) return fail(p, `has both "tags" and "entities"; give ${layouts}`);
  let entities: Conll04Sentence['entities'];
  /** SpERT's list index -> index in order of appearance. */
  let position = (j: number) => j;
  if (o.entities !== undefined) {
    const listed = entitySpans(o.entities, tokens.length, `${p}/entities`, fail);
    const order = listed.map((_, j) => j).sort((a, b) => listed[a].start - listed[b].start);
    entities = order.map((j) => listed[j]);
    const rank = new Map(order.map((j, k) => [j, k]));
    position = (j) => rank.get(j)!;
  } else if (o.tags !== undefined) {
    const tags = o.tags;
    if (!Array.isArray(tags) || tags.length !== tokens.length) return fail(`${p}/tags`, `must be an array of ${tokens.length} BILOU tags (one per token)`);
    entities = decodeBilouStrict(tags, (i, m) => fail(`${p}/tags/${i}`, m));
  } else return fail(p, `a sentence needs ${layouts}`);
  const relsRaw = o.relations ?? [];
  if (!Array.isArray(relsRaw)) return fail(`${p}/relations`, 'must be an array of {head, tail, type}');
  const relations = relsRaw.map((r, j) => {
    const rp = `${p}/relations/${j}`;
    if (typeof r !== 'object' || r === null) return fail(rp, 'must be an object {head, tail, type}');
    const { head, tail, type } = r as Record<string, unknown>;
    for (const [k, v] of [['head', head], ['tail', tail]] as const) {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= entities.length) {
        fail(`${rp}/${k}`, `must index one of the sentence's ${entities.length} entities`);
      }
    }
    if (typeof type !== 'string' || type === '') return fail(`${rp}/type`, 'must be a non-empty string');
    return { type, head: position(head as number), tail: position(tail as number) };
  });
  return splitFinalPeriods({ tokens: tokens as string[], entities, relations });
}

/**
 * Every token that is a word followed by a sentence's period (not an abbreviation such as
 * "Calif." or "U.S.": `isWordWithFinalPeriod`) becomes the word and a "." token; an entity that
 * ended with it ends before the period.
 */
export function splitFinalPeriods(s: Conll04Sentence): Conll04Sentence {
  if (!s.tokens.some(isWordWithFinalPeriod)) return s;
  const tokens: string[] = [];
  const first: number[] = [];
  s.tokens.forEach((t) => {
    first.push(tokens.length);
    if (isWordWithFinalPeriod(t)) tokens.push(t.slice(0, -1), '.');
    else tokens.push(t);
  });
  const entities = s.entities.map((e) => ({ type: e.type, start: first[e.start], end: first[e.end - 1] + 1 }));
  return { tokens, entities, relations: s.relations };
}

/** SpERT's entity list: token spans, checked, in their given order (relations index it); no overlaps. */
function entitySpans(value: unknown, nTokens: number, p: string, fail: (pointer: string, message: string) => never): Conll04Sentence['entities'] {
  if (!Array.isArray(value)) return fail(p, 'must be an array of {type, start, end} (token offsets, end exclusive)');
  const out = value.map((e, j) => {
    const ep = `${p}/${j}`;
    if (typeof e !== 'object' || e === null) return fail(ep, 'must be an object {type, start, end}');
    const { type, start, end } = e as Record<string, unknown>;
    if (typeof type !== 'string' || type === '') return fail(`${ep}/type`, 'must be a non-empty string');
    if (!Number.isInteger(start) || (start as number) < 0 || (start as number) >= nTokens) return fail(`${ep}/start`, `must be a token index from 0 to ${nTokens - 1}`);
    if (!Number.isInteger(end) || (end as number) <= (start as number) || (end as number) > nTokens) return fail(`${ep}/end`, `must be a token index after start, at most ${nTokens} (end is exclusive)`);
    return { type, start: start as number, end: end as number };
  });
  const sorted = out.map((e, j) => ({ ...e, j })).sort((a, b) => a.start - b.start);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k].start < sorted[k - 1].end) fail(`${p}/${sorted[k].j}`, `overlaps entity ${sorted[k - 1].j}; nested or overlapping entities are not supported (each token gets one label)`);
  }
  return out;
}

/** Decode gold BILOU tags; malformed sequences are user errors (gold data must be consistent). */
function decodeBilouStrict(tags: unknown[], fail: (index: number, message: string) => never): Conll04Sentence['entities'] {
  const out: Conll04Sentence['entities'] = [];
  let open: { type: string; start: number } | undefined;
  tags.forEach((t, i) => {
    if (typeof t !== 'string') fail(i, 'must be a string tag');
    const tag = t as string;
    if (tag === 'O') {
      if (open) fail(i, `entity opened at token ${open.start} is not closed with L-${open.type}`);
      return;
    }
    const m = /^([BILU])-(.+)$/.exec(tag);
    if (!m) return fail(i, `invalid tag "${tag}" (expected O or B-/I-/L-/U-<type>)`);
    const [, prefix, type] = m;
    if (prefix === 'B' || prefix === 'U') {
      if (open) fail(i, `entity opened at token ${open.start} is not closed with L-${open.type}`);
      if (prefix === 'U') out.push({ type, start: i, end: i + 1 });
      else open = { type, start: i };
    } else {
      if (!open || open.type !== type) fail(i, `"${tag}" does not continue an open ${type} entity`);
      if (prefix === 'L') { out.push({ type, start: open!.start, end: i + 1 }); open = undefined; }
    }
  });
  if (open) fail(tags.length - 1, `entity opened at token ${open.start} is not closed`);
  return out;
}

/** Render a sentence as text (tokens joined by single spaces) with gold records in character offsets. */
export function conll04ToDocument(s: Conll04Sentence): Conll04Document {
  const tokenStarts: number[] = [];
  let pos = 0;
  for (const t of s.tokens) { tokenStarts.push(pos); pos += t.length + 1; }
  const text = s.tokens.join(' ');
  const entities: ExtractedEntity[] = s.entities.map((e) => {
    const start = tokenStarts[e.start];
    const end = tokenStarts[e.end - 1] + s.tokens[e.end - 1].length;
    return { type: e.type, text: text.slice(start, end), start, end };
  });
  const ref = (i: number) => ({ type: entities[i].type, text: entities[i].text, start: entities[i].start, end: entities[i].end });
  const relations = s.relations.map((r) => ({ type: r.type, head: ref(r.head), tail: ref(r.tail) }));
  return { text, tokenStarts, entities, relations };
}
