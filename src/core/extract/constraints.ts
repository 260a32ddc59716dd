import type { ExtractionSchema } from './schema';
import { tokenizeWords } from './builtin/tokenize';

/**
 * Generation constraints for remote models (the ChatUIE idea made concrete): a span field may
 * only take values that are word-level substrings of the input.
 *
 * - `candidateSpans`: runs of 1..maxWords consecutive words of the input (not starting or
 *   ending on a punctuation-only token), deduplicated by text, shortest first, capped in count
 *   and total characters (OpenAI's strict structured output limits enum sizes).
 * - `extractionJsonSchema`: a JSON Schema whose span fields are `enum`s of the candidates, for
 *   OpenAI `response_format: {type: 'json_schema', json_schema: {name, schema, strict: true}}`
 *   and Ollama `format: <schema>`.
 * - `extractionGbnf`: the same output shape as a GBNF grammar for llama.cpp's `/completion`,
 *   whose `span` rule is an alternation of the candidates as JSON string literals, so it
 *   derives exactly the candidates and nothing else.
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
  /** Most candidates (default 500). */
  maxCandidates?: number;
  /** Total characters over all candidates (default 15,000). */
  maxTotalChars?: number;
}

const PUNCT_ONLY = /^[\p{P}\p{S}]+$/u;

export function candidateSpans(text: string, options: CandidateOptions = {}): CandidateSpan[] {
  const maxWords = options.maxWords ?? 8;
  const maxCandidates = options.maxCandidates ?? 500;
  const maxTotalChars = options.maxTotalChars ?? 15_000;
  const words = tokenizeWords(text);
  const seen = new Set<string>();
  const out: CandidateSpan[] = [];
  let total = 0;
  for (let n = 1; n <= maxWords; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      const first = words[i];
      const last = words[i + n - 1];
      if (PUNCT_ONLY.test(first.text) || PUNCT_ONLY.test(last.text)) continue;
      const span = text.slice(first.start, last.end);
      // Spans crossing a line break are rarely entities and inflate the list.
      if (/[\r\n]/.test(span) || seen.has(span)) continue;
      if (out.length >= maxCandidates || total + span.length > maxTotalChars) return out;
      seen.add(span);
      total += span.length;
      out.push({ text: span, start: first.start, end: last.end });
    }
  }
  return out;
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
