import { lexiconFeatures, type Lexicon } from './lexicon';
import { dictionaryFeatures, type WordIndex } from './wordLists';

/**
 * Hand-made sparse features for the built-in extractor. No pretrained embeddings are
 * available offline, so a token is described by its form, lower-case form, shape, affixes,
 * character trigrams and gazetteer hits (entity strings seen in training), and a candidate
 * relation by its argument types, argument words, the words between them and their distance.
 * Feature strings are mapped to ids by a vocabulary fixed at training time.
 */

/** Entity strings seen in training data, by lower-cased token sequence. */
export interface GazetteerEntries {
  /** `lower-cased tokens joined by a space` -> entity types seen for it. */
  phrases: Record<string, string[]>;
  /** lower-cased token -> entity types of entities it occurred inside. */
  words: Record<string, string[]>;
  maxLength: number;
}

export function buildGazetteer(sentences: { tokens: string[]; entities: { type: string; start: number; end: number }[] }[]): GazetteerEntries {
  const phrases = new Map<string, Set<string>>();
  const words = new Map<string, Set<string>>();
  let maxLength = 1;
  for (const s of sentences) {
    for (const e of s.entities) {
      const toks = s.tokens.slice(e.start, e.end).map((t) => t.toLowerCase());
      maxLength = Math.max(maxLength, toks.length);
      const key = toks.join(' ');
      if (!phrases.has(key)) phrases.set(key, new Set());
      phrases.get(key)!.add(e.type);
      for (const w of toks) {
        if (!/\p{L}/u.test(w)) continue;
        if (!words.has(w)) words.set(w, new Set());
        words.get(w)!.add(e.type);
      }
    }
  }
  const obj = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]));
  return { phrases: obj(phrases), words: obj(words), maxLength: Math.min(maxLength, 8) };
}

/** Per token, gazetteer features from the longest phrase matches that cover it. */
function gazetteerFeatures(tokens: string[], gaz: GazetteerEntries): string[][] {
  const lower = tokens.map((t) => t.toLowerCase());
  const out = tokens.map(() => [] as string[]);
  for (let i = 0; i < tokens.length; i++) {
    for (let len = Math.min(gaz.maxLength, tokens.length - i); len >= 1; len--) {
      const phrase = lower.slice(i, i + len).join(' ');
      // Own keys only: a token such as "constructor" must not find Object.prototype's members.
      if (!Object.hasOwn(gaz.phrases, phrase)) continue;
      const types = gaz.phrases[phrase];
      for (const type of types) {
        if (len === 1) out[i].push(`gz=U-${type}`);
        else {
          out[i].push(`gz=B-${type}`);
          for (let k = i + 1; k < i + len - 1; k++) out[k].push(`gz=I-${type}`);
          out[i + len - 1].push(`gz=L-${type}`);
        }
      }
      break;
    }
    if (Object.hasOwn(gaz.words, lower[i])) for (const type of gaz.words[lower[i]]) out[i].push(`gw=${type}`);
  }
  return out;
}

export function wordShape(token: string): string {
  return token
    .replace(/\p{Lu}/gu, 'X')
    .replace(/\p{Ll}/gu, 'x')
    .replace(/\p{N}/gu, 'd')
    .replace(/(.)\1+/gu, '$1');
}

/** Features of every token of a sentence (strings; the vocabulary maps them to ids). */
export function tokenFeatures(tokens: string[], gaz: GazetteerEntries | undefined, lexicon?: Lexicon, words?: WordIndex): string[][] {
  const gazFeats = gaz ? gazetteerFeatures(tokens, gaz) : tokens.map(() => []);
  const lexFeats = lexicon ? lexiconFeatures(tokens, lexicon) : tokens.map(() => []);
  return tokens.map((tok, i) => {
    const lower = tok.toLowerCase();
    const f = [`w=${tok}`, `l=${lower}`, `sh=${wordShape(tok)}`, `ln=${Math.min(tok.length, 10)}`];
    const chars = [...lower];
    for (let k = 1; k <= 4 && k <= chars.length; k++) {
      f.push(`p${k}=${chars.slice(0, k).join('')}`, `s${k}=${chars.slice(-k).join('')}`);
    }
    const padded = ['<', ...chars, '>'];
    for (let k = 0; k + 3 <= padded.length; k++) f.push(`c3=${padded.slice(k, k + 3).join('')}`);
    if (i === 0) f.push('first');
    if (/^\p{Lu}/u.test(tok)) f.push(i === 0 ? 'cap-first' : 'cap');
    if (/^\p{Lu}+$/u.test(tok) && tok.length > 1) f.push('allcaps');
    if (/\p{N}/u.test(tok)) f.push('digit');
    if (/-/.test(tok)) f.push('hyphen');
    if (/\.$/.test(tok) && tok.length > 1) f.push('enddot');
    f.push(...gazFeats[i], ...lexFeats[i]);
    if (words) f.push(...dictionaryFeatures(tok, words));
    return f;
  });
}

/** Relation candidate features: the ordered pair (head, tail) of entities in a sentence. */
export function relationFeatures(
  tokens: string[],
  entities: { type: string; start: number; end: number }[],
  head: number,
  tail: number,
): string[] {
  const h = entities[head];
  const t = entities[tail];
  const lower = tokens.map((x) => x.toLowerCase());
  const tp = `${h.type}>${t.type}`;
  const forward = h.start < t.start;
  const [a, b] = forward ? [h, t] : [t, h];
  const f = [`tp=${tp}`, `dir=${forward ? 'ht' : 'th'}|${tp}`];
  const between = lower.slice(a.end, b.start);
  const dist = between.length;
  f.push(`dist=${dist < 5 ? dist : dist < 10 ? '5-9' : dist < 20 ? '10-19' : '20+'}|${tp}`);
  for (const w of lower.slice(h.start, h.end)) f.push(`hw=${w}`);
  for (const w of lower.slice(t.start, t.end)) f.push(`tw=${w}`);
  f.push(`hp=${lower.slice(h.start, h.end).join(' ')}`, `tpp=${lower.slice(t.start, t.end).join(' ')}`);
  const dirTag = forward ? 'f' : 'r';
  for (const w of new Set(between)) f.push(`bw=${w}`, `bwd=${dirTag}${w}|${tp}`);
  for (let i = 0; i + 1 < between.length; i++) f.push(`bb=${between[i]}_${between[i + 1]}`);
  if (dist <= 4) f.push(`bseq=${dirTag}|${between.join('_')}`);
  if (between.length > 0) f.push(`bfirst=${between[0]}`, `blast=${between[between.length - 1]}`);
  for (let k = 1; k <= 2; k++) {
    f.push(`pre${k}=${lower[a.start - k] ?? '<s>'}`, `post${k}=${lower[b.end + k - 1] ?? '</s>'}`);
  }
  let inner = 0;
  for (const e of entities) {
    if (e.start >= a.end && e.end <= b.start) { f.push(`be=${e.type}`); inner++; }
  }
  f.push(`nbe=${Math.min(inner, 3)}`);
  return f;
}

/** Feature string -> id (0 is reserved for padding); unseen features are dropped. */
export class FeatureVocab {
  private readonly index: Map<string, number>;

  constructor(readonly features: string[]) {
    this.index = new Map(features.map((f, i) => [f, i + 1]));
  }

  /** Keep features seen at least `minCount` times. */
  static fromCounts(counts: Map<string, number>, minCount: number): FeatureVocab {
    return new FeatureVocab([...counts].filter(([, c]) => c >= minCount).map(([f]) => f).sort());
  }

  get size(): number {
    return this.features.length + 1;
  }

  ids(features: string[]): number[] {
    const out: number[] = [];
    for (const f of features) {
      const id = this.index.get(f);
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}

export function countFeatures(lists: Iterable<string[]>, counts = new Map<string, number>()): Map<string, number> {
  for (const l of lists) for (const f of l) counts.set(f, (counts.get(f) ?? 0) + 1);
  return counts;
}
