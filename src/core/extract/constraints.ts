import type { ExtractionSchema } from './schema';
import { tokenizeWords, type WordToken } from './builtin/tokenize';
import { hasBidiControl } from '../util/untrustedText';

/**
 * Generation constraints for remote models (the ChatUIE idea made concrete): a span field may
 * only take values that are word-level substrings of the input.
 *
 * - `textPieces`: the input cut into runs of whole sentences whose candidate spans (runs of
 *   1..maxWords consecutive words of a sentence, not starting or ending on a punctuation-only
 *   token) fit the limits of one request. Each piece is one request, so every entity of any
 *   input, however long, is a candidate of its piece (a relation across pieces is not).
 * - `candidateSpans`: the same spans of one short text, deduplicated, shortest first, capped in
 *   count and total characters (OpenAI's strict structured output limits enum sizes).
 * - `extractionJsonSchema`: a JSON Schema whose span fields are `enum`s of the candidates, for
 *   OpenAI `response_format: {type: 'json_schema', json_schema: {name, schema, strict: true}}`
 *   and Ollama `format: <schema>`.
 * - `extractionGbnf`: the same output shape as a GBNF grammar for llama.cpp's `/completion`,
 *   whose `span` rule is an alternation of the candidates as JSON string literals, so it
 *   derives exactly the candidates and nothing else.
 *
 * Spans containing bidirectional formatting characters are never candidates: shown in an editor
 * or a terminal they read differently from what they are.
 */
export interface CandidateSpan {
  text: string;
  /** First occurrence (UTF-16 offsets); grounding later picks the occurrence. */
  start: number;
  end: number;
}

export interface CandidateOptions {
  /** Longest candidate in words (default 8). */
  maxWords?: number;
  /** Most candidates (per piece for `textPieces`; default 500). */
  maxCandidates?: number;
  /** Total characters over all candidates (per piece for `textPieces`; default 15,000). */
  maxTotalChars?: number;
}

const PUNCT_ONLY = /^[\p{P}\p{S}]+$/u;
/**
 * Lower-case function words: a span of several words that starts or ends with one ("in Boston",
 * "Boston and") is not an entity, while the span without it is a candidate anyway. Leaving such
 * spans out halves the candidates of English text, so pieces are twice as long.
 */
const EDGE_WORDS = new Set([
  'a', 'an', 'the', 'of', 'in', 'on', 'at', 'to', 'for', 'from', 'by', 'with', 'and', 'or', 'but', 'nor', 'as', 'is', 'was',
  'were', 'are', 'be', 'been', 'being', 'am', 'that', 'which', 'who', 'whom', 'whose', 'this', 'these', 'those', 'it', 'its',
  'he', 'she', 'they', 'we', 'you', 'i', 'his', 'her', 'their', 'our', 'your', 'my', 'has', 'have', 'had', 'do', 'does', 'did',
  'not', 'no', 'into', 'onto', 'about', 'after', 'before', 'over', 'under', 'than', 'then', 'also', 'would', 'will', 'could',
  'can', 'may', 'might', 'must', 'should', 'shall', 'there', 'here', 'when', 'where', 'while', 'during', 'since', 'if', 'so',
  'said', 'says', 'say',
]);
/** A token that ends a sentence. */
const SENTENCE_END = /^[.!?\u2026\u3002\uFF01\uFF1F]+$/u;

interface Limits {
  maxWords: number;
  maxCandidates: number;
  maxTotalChars: number;
}

function limits(options: CandidateOptions): Limits {
  return { maxWords: options.maxWords ?? 8, maxCandidates: options.maxCandidates ?? 500, maxTotalChars: options.maxTotalChars ?? 15_000 };
}

/** The candidate spans of words [from, to) (no span leaves that range), shortest first. */
function spansOf(text: string, words: WordToken[], from: number, to: number, maxWords: number): CandidateSpan[] {
  const out: CandidateSpan[] = [];
  for (let n = 1; n <= maxWords; n++) {
    for (let i = from; i + n <= to; i++) {
      const first = words[i];
      const last = words[i + n - 1];
      if (PUNCT_ONLY.test(first.text) || PUNCT_ONLY.test(last.text)) continue;
      if (n > 1 && (EDGE_WORDS.has(first.text) || EDGE_WORDS.has(last.text))) continue;
      const span = text.slice(first.start, last.end);
      // Spans crossing a line break are rarely entities and inflate the list.
      if (/[\r\n]/.test(span) || hasBidiControl(span)) continue;
      out.push({ text: span, start: first.start, end: last.end });
    }
  }
  return out;
}

export function candidateSpans(text: string, options: CandidateOptions = {}): CandidateSpan[] {
  const { maxWords, maxCandidates, maxTotalChars } = limits(options);
  const words = tokenizeWords(text);
  const seen = new Set<string>();
  const out: CandidateSpan[] = [];
  let total = 0;
  for (const c of spansOf(text, words, 0, words.length, maxWords)) {
    if (seen.has(c.text)) continue;
    if (out.length >= maxCandidates || total + c.text.length > maxTotalChars) break;
    seen.add(c.text);
    total += c.text.length;
    out.push(c);
  }
  return out;
}

/** A run of whole sentences of the input, and its candidate spans (unique texts, shortest first). */
export interface TextPiece {
  /** UTF-16 offsets of the piece in the input. */
  start: number;
  end: number;
  candidates: string[];
}

/**
 * Sentences as word ranges [from, to): a sentence ends after ".", "!", "?" (as tokens of their
 * own, so "Corp." and "U.S." do not end one) and at a line break.
 */
function sentences(text: string, words: WordToken[]): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  for (let i = 0; i < words.length; i++) {
    const next = words[i + 1];
    const lineBreak = next !== undefined && /[\r\n]/.test(text.slice(words[i].end, next.start));
    if (SENTENCE_END.test(words[i].text) || lineBreak || next === undefined) {
      out.push([from, i + 1]);
      from = i + 1;
    }
  }
  return out;
}

/**
 * The input in pieces of whole sentences, each with at most `maxCandidates` candidates of at
 * most `maxTotalChars` characters in all. A sentence too long for one piece is halved (spans
 * across the cut are lost, which takes a sentence of more than ~60 words at the defaults).
 * Linear in the input's length (times `maxWords`).
 */
export function textPieces(text: string, options: CandidateOptions = {}): TextPiece[] {
  const lim = limits(options);
  const words = tokenizeWords(text);
  const pieces: TextPiece[] = [];
  let current: { from: number; to: number; seen: Set<string>; spans: CandidateSpan[]; chars: number } | undefined;
  const flush = () => {
    if (current && current.spans.length > 0) {
      pieces.push({ start: words[current.from].start, end: words[current.to - 1].end, candidates: current.spans.map((s) => s.text) });
    }
    current = undefined;
  };
  const add = (from: number, to: number): void => {
    const spans = spansOf(text, words, from, to, lim.maxWords);
    const fits = (seen: Set<string>, count: number, chars: number) => {
      const fresh = new Set<string>();
      for (const s of spans) if (!seen.has(s.text)) fresh.add(s.text);
      let added = 0;
      for (const t of fresh) added += t.length;
      return count + fresh.size <= lim.maxCandidates && chars + added <= lim.maxTotalChars;
    };
    if (current && !fits(current.seen, current.spans.length, current.chars)) flush();
    if (!current && !fits(new Set(), 0, 0)) {
      if (to - from > 1) {
        const mid = from + Math.floor((to - from) / 2);
        add(from, mid);
        add(mid, to);
        return;
      }
      return; // one word longer than the character budget: it cannot be a candidate
    }
    current ??= { from, to, seen: new Set(), spans: [], chars: 0 };
    current.to = to;
    for (const s of spans) {
      if (current.seen.has(s.text)) continue;
      current.seen.add(s.text);
      current.spans.push(s);
      current.chars += s.text.length;
    }
  };
  for (const [from, to] of sentences(text, words)) add(from, to);
  flush();
  for (const p of pieces) p.candidates = shortestFirst(p.candidates);
  return pieces;
}

/** Word count first, then first appearance: one-word spans lead, as in `candidateSpans`. */
function shortestFirst(texts: string[]): string[] {
  const words = (s: string) => s.split(/\s+/).length;
  return texts.map((t, i) => ({ t, i, n: words(t) })).sort((a, b) => a.n - b.n || a.i - b.i).map((x) => x.t);
}

/** JSON Schema of the model's answer; span fields are enums of `candidates`. */
export function extractionJsonSchema(schema: ExtractionSchema, candidates: string[]): Record<string, unknown> {
  // An empty enum is invalid JSON Schema; with no candidates no span can be produced anyway,
  // so allow only empty arrays.
  const span = candidates.length > 0 ? { type: 'string', enum: candidates } : { type: 'string', enum: [''] };
  const obj = (properties: Record<string, unknown>) => ({
    type: 'object', properties, required: Object.keys(properties), additionalProperties: false,
  });
  const arrayOf = (items: unknown, empty: boolean) => (empty ? { type: 'array', items, maxItems: 0 } : { type: 'array', items });
  const noSpans = candidates.length === 0;
  const properties: Record<string, unknown> = {
    entities: arrayOf(obj({ type: { type: 'string', enum: schema.entities.map((e) => e.type) }, text: span }), noSpans),
  };
  if (schema.relations.length > 0) {
    properties.relations = arrayOf(obj({ type: { type: 'string', enum: schema.relations.map((r) => r.type) }, head: span, tail: span }), noSpans);
  }
  if (schema.events.length > 0) {
    const roles = [...new Set(schema.events.flatMap((e) => e.roles.map((r) => r.role)))];
    properties.events = arrayOf(obj({
      type: { type: 'string', enum: schema.events.map((e) => e.type) },
      trigger: span,
      arguments: { type: 'array', items: obj({ role: { type: 'string', enum: roles }, text: span }) },
    }), noSpans);
  }
  return obj(properties);
}

/** A GBNF string literal for `s` (escapes quote, backslash and control characters). */
export function gbnfLiteral(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * GBNF grammar for llama.cpp: the same JSON shape as `extractionJsonSchema` (keys in a fixed
 * order, optional whitespace), with `span ::= ` the alternation of the candidates as JSON
 * string literals.
 */
export function extractionGbnf(schema: ExtractionSchema, candidates: string[]): string {
  const alt = (values: string[]) => values.map((v) => gbnfLiteral(JSON.stringify(v))).join(' | ');
  const key = (k: string) => gbnfLiteral(JSON.stringify(k));
  const list = (item: string) => `"[" ws ( ${item} ( ws "," ws ${item} )* )? ws "]"`;
  const field = (k: string, rule: string) => `${key(k)} ws ":" ws ${rule}`;
  const noSpans = candidates.length === 0;
  const lines: string[] = [];
  const sections: string[] = [field('entities', 'entities')];
  lines.push(`entities ::= ${noSpans ? '"[" ws "]"' : list('entity')}`);
  lines.push(`entity ::= "{" ws ${field('type', 'entity-type')} ws "," ws ${field('text', 'span')} ws "}"`);
  lines.push(`entity-type ::= ${alt(schema.entities.map((e) => e.type))}`);
  if (schema.relations.length > 0) {
    sections.push(field('relations', 'relations'));
    lines.push(`relations ::= ${noSpans ? '"[" ws "]"' : list('relation')}`);
    lines.push(`relation ::= "{" ws ${field('type', 'relation-type')} ws "," ws ${field('head', 'span')} ws "," ws ${field('tail', 'span')} ws "}"`);
    lines.push(`relation-type ::= ${alt(schema.relations.map((r) => r.type))}`);
  }
  if (schema.events.length > 0) {
    const roles = [...new Set(schema.events.flatMap((e) => e.roles.map((r) => r.role)))];
    sections.push(field('events', 'events'));
    lines.push(`events ::= ${noSpans ? '"[" ws "]"' : list('event')}`);
    lines.push(`event ::= "{" ws ${field('type', 'event-type')} ws "," ws ${field('trigger', 'span')} ws "," ws ${field('arguments', 'arguments')} ws "}"`);
    lines.push(`event-type ::= ${alt(schema.events.map((e) => e.type))}`);
    lines.push(`arguments ::= ${list('argument')}`);
    lines.push(`argument ::= "{" ws ${field('role', 'role')} ws "," ws ${field('text', 'span')} ws "}"`);
    lines.push(`role ::= ${alt(roles)}`);
  }
  if (!noSpans) lines.push(`span ::= ${alt(candidates)}`);
  lines.push('ws ::= [ \\t\\n]*');
  return [`root ::= "{" ws ${sections.join(' ws "," ws ')} ws "}"`, ...lines].join('\n') + '\n';
}
