/**
 * A pair of nominals in a tokenised sentence, the input of the causal model's relation
 * classifier (SemEval-2010 Task 8's setting: the nominals are given, `e1` before `e2`), and its
 * sparse features. Features are computed from the tokens alone, so erasing tokens (the
 * rationale module, `rationale.ts`) is recomputing the features of a shorter sentence.
 */
export interface Span {
  /** Token indices, `end` exclusive. */
  start: number;
  end: number;
}

export interface NominalPair {
  tokens: string[];
  e1: Span;
  e2: Span;
}

const PUNCT_ONLY = /^[\p{P}\p{S}]+$/u;

/** A crude stem (common English suffixes off, at most 6 letters kept): "caused", "causes" -> "caus". */
export function stem(word: string): string {
  const w = word.toLowerCase().replace(/(?:ations?|ings?|ed|es|s|ly|ment|ments)$/u, '');
  return (w.length >= 3 ? w : word.toLowerCase()).slice(0, 6);
}

function bucket(n: number): string {
  return n <= 4 ? String(n) : n <= 6 ? '5-6' : n <= 9 ? '7-9' : '10+';
}

/** The classifier's features of a pair (strings; the vocabulary maps them to ids). */
export function pairFeatures(p: NominalPair): string[] {
  const lower = p.tokens.map((t) => t.toLowerCase());
  const { e1, e2 } = p;
  const f: string[] = [];
  const head = (s: Span) => lower[s.end - 1];
  const h1 = head(e1);
  const h2 = head(e2);
  f.push(`h1=${h1}`, `h2=${h2}`, `h12=${h1}|${h2}`, `h1s=${stem(h1)}`, `h2s=${stem(h2)}`, `h1x=${h1.slice(-3)}`, `h2x=${h2.slice(-3)}`);
  for (let i = e1.start; i < e1.end - 1; i++) f.push(`m1=${lower[i]}`);
  for (let i = e2.start; i < e2.end - 1; i++) f.push(`m2=${lower[i]}`);
  const between = lower.slice(e1.end, e2.start).filter((w) => !PUNCT_ONLY.test(w) || w === ',' || w === '(' || w === ')');
  f.push(`n=${bucket(between.length)}`);
  for (const w of new Set(between)) f.push(`b=${w}`, `bs=${stem(w)}`);
  for (let i = 0; i + 1 < between.length; i++) f.push(`bb=${between[i]}_${between[i + 1]}`);
  for (let i = 0; i + 2 < between.length; i++) f.push(`bbb=${between[i]}_${between[i + 1]}_${between[i + 2]}`);
  if (between.length > 0) {
    f.push(`bf=${between[0]}`, `bl=${between[between.length - 1]}`, `bfl=${between[0]}|${between[between.length - 1]}`);
    f.push(`blh2=${between[between.length - 1]}|${stem(h2)}`, `bfh1=${stem(h1)}|${between[0]}`);
  }
  if (between.length > 1) f.push(`bf2=${between[0]}_${between[1]}`, `bl2=${between[between.length - 2]}_${between[between.length - 1]}`);
  if (between.length <= 6) f.push(`bq=${between.join('_')}`);
  // Stems of the words between, in order (a pattern such as "caus_by" or "result_in").
  if (between.length <= 8) f.push(`bsq=${between.filter((w) => !['the', 'a', 'an'].includes(w)).map(stem).join('_')}`);
  for (let k = 1; k <= 2; k++) {
    f.push(`a${k}=${lower[e1.start - k] ?? '<s>'}`, `z${k}=${lower[e2.end + k - 1] ?? '</s>'}`);
  }
  return f;
}

/** Tokens that may be part of a rationale: not inside a nominal, not punctuation. */
export function rationaleCandidates(p: NominalPair): number[] {
  const out: number[] = [];
  p.tokens.forEach((t, i) => {
    const inNominal = (i >= p.e1.start && i < p.e1.end) || (i >= p.e2.start && i < p.e2.end);
    if (!inNominal && !PUNCT_ONLY.test(t)) out.push(i);
  });
  return out;
}

/** The pair with tokens `drop` deleted (ERASER's `x \ r`); tokens of the nominals are never deleted. */
export function withoutTokens(p: NominalPair, drop: ReadonlySet<number>): NominalPair {
  const tokens: string[] = [];
  const map: number[] = [];
  p.tokens.forEach((t, i) => {
    const inNominal = (i >= p.e1.start && i < p.e1.end) || (i >= p.e2.start && i < p.e2.end);
    map.push(tokens.length);
    if (inNominal || !drop.has(i)) tokens.push(t);
  });
  map.push(tokens.length);
  return { tokens, e1: { start: map[p.e1.start], end: map[p.e1.end] }, e2: { start: map[p.e2.start], end: map[p.e2.end] } };
}

/** The pair with only the tokens `keep` and the nominals left (ERASER's sufficiency input). */
export function onlyTokens(p: NominalPair, keep: ReadonlySet<number>): NominalPair {
  const drop = new Set<number>();
  p.tokens.forEach((_, i) => { if (!keep.has(i)) drop.add(i); });
  return withoutTokens(p, drop);
}
