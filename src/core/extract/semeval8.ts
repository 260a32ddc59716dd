import { promises as fs } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors';
import { tokenizeWords } from './builtin/tokenize';
import type { Conll04Sentence } from './conll04';

/**
 * SemEval-2010 Task 8 (Hendrickx et al. 2010; CC BY 3.0): relation classification between two
 * marked nominals. The official file has four lines per example:
 *
 * ```
 * 8	"The <e1>fire</e1> was caused by a short <e2>circuit</e2>."
 * Cause-Effect(e2,e1)
 * Comment: ...
 * (blank)
 * ```
 *
 * One of 19 labels: nine relations in two directions, and `Other`. `e1` always comes first in
 * the sentence. Sentences are tokenised with the built-in tokenizer, each stretch between the
 * markers on its own, so a nominal is always a run of whole tokens.
 */
export const SEMEVAL_RELATIONS = [
  'Cause-Effect', 'Component-Whole', 'Content-Container', 'Entity-Destination', 'Entity-Origin',
  'Instrument-Agency', 'Member-Collection', 'Message-Topic', 'Product-Producer',
] as const;

/** The 19 labels: `Other`, then each relation as `(e1,e2)` and `(e2,e1)`. Class index = position. */
export const SEMEVAL_LABELS: readonly string[] = ['Other', ...SEMEVAL_RELATIONS.flatMap((r) => [`${r}(e1,e2)`, `${r}(e2,e1)`])];

export interface SemEvalSentence {
  /** The example's number in the file. */
  id: string;
  /** The sentence without markers or surrounding quotes. */
  text: string;
  tokens: string[];
  /** Character offsets of each token in `text`. */
  offsets: { start: number; end: number }[];
  /** Token spans of the nominals, `end` exclusive; `e1` precedes `e2`. */
  e1: { start: number; end: number };
  e2: { start: number; end: number };
  /** One of `SEMEVAL_LABELS`. */
  label: string;
}

/** The relation and direction of a label: `Cause-Effect(e2,e1)` -> `{relation: 'Cause-Effect', reversed: true}`. */
export function parseLabel(label: string): { relation: string; reversed: boolean } {
  const m = /^(.+)\((e[12]),(e[12])\)$/.exec(label);
  return m ? { relation: m[1], reversed: m[2] === 'e2' } : { relation: label, reversed: false };
}

const MARKED = /^(.*?)<e1>(.*?)<\/e1>(.*?)<e2>(.*?)<\/e2>(.*)$/s;

/** Parse the official format (plain text; `.gz` files are read by `loadSemEval8`). */
export function parseSemEval8(text: string, file?: string): SemEvalSentence[] {
  const lines = text.split(/\r?\n/);
  const out: SemEvalSentence[] = [];
  const labels = new Set(SEMEVAL_LABELS);
  let i = 0;
  while (i < lines.length) {
    if (lines[i].trim() === '') { i++; continue; }
    const lineNo = i + 1;
    const m = /^(\d+)\t(.*)$/.exec(lines[i]);
    if (!m) throw new UserError(`line ${lineNo}: expected "<id><TAB>\\"sentence with <e1>...</e1> and <e2>...</e2>\\""`, undefined, file, lineNo, 1);
    const label = (lines[i + 1] ?? '').trim();
    if (!labels.has(label)) {
      throw new UserError(`line ${lineNo + 1}: unknown label "${label.slice(0, 60)}" (expected Other or a relation such as Cause-Effect(e1,e2))`, undefined, file, lineNo + 1, 1);
    }
    out.push(parseMarkedSentence(m[1], m[2], label, (msg) => { throw new UserError(`line ${lineNo}: ${msg}`, undefined, file, lineNo, 1); }));
    i += 2;
    // An optional comment line, then a blank line.
    if (lines[i] !== undefined && /^Comment:/.test(lines[i])) i++;
  }
  if (out.length === 0) throw new UserError('the file has no SemEval-2010 Task 8 sentences', undefined, file);
  return out;
}

export async function loadSemEval8(file: string): Promise<SemEvalSentence[]> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new UserError(`cannot read data file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, undefined, file);
  }
  let text: string;
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch {
    throw new UserError('cannot decompress the data file (not a valid .gz)', undefined, file);
  }
  return parseSemEval8(text, file);
}

/** One example from its quoted, marked sentence. */
export function parseMarkedSentence(id: string, quoted: string, label: string, fail: (message: string) => never): SemEvalSentence {
  const raw = quoted.trim().replace(/^"(.*)"$/s, '$1');
  const m = MARKED.exec(raw);
  if (!m) return fail('the sentence must mark two nominals, <e1>...</e1> before <e2>...</e2>');
  const parts = m.slice(1, 6);
  if (parts.some((p) => /<\/?e[12]>/.test(p))) fail('a nominal is marked more than once');
  if (!parts[1].trim() || !parts[3].trim()) fail('a marked nominal is empty');
  const tokens: string[] = [];
  const offsets: { start: number; end: number }[] = [];
  const spans: { start: number; end: number }[] = [];
  let text = '';
  parts.forEach((part, k) => {
    const from = tokens.length;
    for (const t of tokenizeWords(part)) {
      tokens.push(t.text);
      offsets.push({ start: text.length + t.start, end: text.length + t.end });
    }
    if (k === 1 || k === 3) spans.push({ start: from, end: tokens.length });
    text += part;
  });
  return { id, text, tokens, offsets, e1: spans[0], e2: spans[1], label };
}

/**
 * Sentences in the official format (`parseSemEval8` reads them back to the same tokens, spans
 * and labels): the markers go around each nominal's tokens, the comment line is empty. Used to
 * write the dev split (`scripts/extract/train-causal.ts --dev-out`).
 */
export function formatSemEval8(sentences: SemEvalSentence[]): string {
  return sentences.map((s) => {
    const at = (span: { start: number; end: number }) => ({ from: s.offsets[span.start].start, to: s.offsets[span.end - 1].end });
    const a = at(s.e1);
    const b = at(s.e2);
    const t = s.text;
    const marked = `${t.slice(0, a.from)}<e1>${t.slice(a.from, a.to)}</e1>${t.slice(a.to, b.from)}<e2>${t.slice(b.from, b.to)}</e2>${t.slice(b.to)}`;
    return `${s.id}\t"${marked}"\n${s.label}\nComment:\n\n`;
  }).join('');
}

/**
 * A SemEval example in the CoNLL04 layout (spec: labs.md 2.7): the two nominals are entities of
 * type `Nominal`, and a Cause-Effect label becomes a `Cause-Effect` relation from the cause
 * (head) to the effect (tail); the other labels carry no relation.
 */
export function semEvalToConll04(s: SemEvalSentence): Conll04Sentence {
  const { relation, reversed } = parseLabel(s.label);
  return {
    tokens: s.tokens,
    entities: [{ type: 'Nominal', ...s.e1 }, { type: 'Nominal', ...s.e2 }],
    relations: relation === 'Cause-Effect' ? [{ type: 'Cause-Effect', head: reversed ? 1 : 0, tail: reversed ? 0 : 1 }] : [],
  };
}

/**
 * A fixed, seeded split of the training file into train and dev (every choice is made on dev;
 * the official test split is never used here). `devFraction` of the examples, stratified by
 * label so rare labels appear in both parts.
 */
export function splitSemEval(sentences: SemEvalSentence[], devFraction = 0.1, seed = 17): { train: SemEvalSentence[]; dev: SemEvalSentence[] } {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const byLabel = new Map<string, number[]>();
  sentences.forEach((s, i) => byLabel.set(s.label, [...(byLabel.get(s.label) ?? []), i]));
  const dev = new Set<number>();
  for (const label of [...byLabel.keys()].sort()) {
    const idx = byLabel.get(label)!;
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (const k of idx.slice(0, Math.round(idx.length * devFraction))) dev.add(k);
  }
  return { train: sentences.filter((_, i) => !dev.has(i)), dev: sentences.filter((_, i) => dev.has(i)) };
}
