import { promises as fs } from 'node:fs';
import { UserError } from '../errors';
import type { ExtractedEntity, ExtractedRelation } from './types';

/**
 * The CoNLL04 JSON format used by `datasets/conll04`: an array of
 * `{tokens: string[], tags: string[] (BILOU, e.g. "B-Peop"), relations: [{head, tail, type}]}`
 * where `head`/`tail` index the sentence's entities in order of appearance.
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
  } catch (e) {
    throw new UserError(`invalid JSON: ${(e as Error).message}`, undefined, file);
  }
  if (!Array.isArray(raw)) throw new UserError('a CoNLL04 file must be a JSON array of sentences', '', file);
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
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return fail(p, 'a sentence must be an object {tokens, tags, relations}');
  const o = s as Record<string, unknown>;
  const tokens = o.tokens;
  const tags = o.tags;
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string' || t === '' || /\s/.test(t))) {
    return fail(`${p}/tokens`, 'must be an array of non-empty strings without whitespace');
  }
  if (!Array.isArray(tags) || tags.length !== tokens.length) return fail(`${p}/tags`, `must be an array of ${tokens.length} BILOU tags (one per token)`);
  const entities = decodeBilouStrict(tags, (i, m) => fail(`${p}/tags/${i}`, m));
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
    return { type, head: head as number, tail: tail as number };
  });
  return { tokens: tokens as string[], entities, relations };
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
