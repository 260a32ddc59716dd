import { PAD_ID, UNK_ID } from '../data/textVocab';
import type { Rng } from '../util/random';

/**
 * TinyBERT's data augmentation, offline and at the word level (our tokens are words): for each
 * text, candidate replacements for every word that is not a stop word; then `copies` new texts,
 * each word replaced with probability `probability` by one of its candidates; duplicates are
 * dropped (as in the official `data_augmentation.py`, which also tries N times). The teacher then
 * labels the copies. Candidates come from WordNet synonyms or from the nearest neighbours of the
 * word in the teacher's embedding space (the stand-in for GloVe neighbours), always restricted
 * to words of the vocabulary so a replacement is never [UNK].
 */
export interface AugmentSettings {
  source: 'wordnet' | 'teacher-neighbours';
  /** New texts per original (the paper: 20 for SST-2). */
  copies: number;
  /** Chance that each replaceable word is replaced (the paper: 0.4). */
  probability: number;
  /** Candidates kept per word (the paper's M: 15). */
  candidates: number;
}

/**
 * Function words that are never replaced (replacing "not" or "but" changes what a sentence
 * says, which is not what augmentation is for).
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  ('a an the and or but nor so yet if then than as of in on at by for with about against between into through during before after above ' +
    'below to from up down out off over under again further once here there when where why how all any both each few more most other some ' +
    'such no not only own same too very can will just should now i me my myself we our ours ourselves you your yours yourself yourselves ' +
    'he him his himself she her hers herself it its itself they them their theirs themselves what which who whom this that these those am ' +
    'is are was were be been being have has had having do does did doing would could might must shall may n\'t not never s t').split(' '),
);

/** Candidate token ids per token id (empty when a word has none), from WordNet synonyms. */
export function synonymCandidates(vocab: string[], synonyms: Map<string, string[]>, max: number): Int32Array[] {
  const index = new Map(vocab.map((w, i) => [w, i]));
  return vocab.map((w, id) => {
    if (id === PAD_ID || id === UNK_ID || STOP_WORDS.has(w)) return new Int32Array(0);
    const ids = (synonyms.get(w) ?? []).map((s) => index.get(s)).filter((i): i is number => i !== undefined && i > UNK_ID);
    // Most frequent first (vocabulary ids are frequency ranks), at most `max`.
    return Int32Array.from([...new Set(ids)].sort((a, b) => a - b).slice(0, max));
  });
}

/**
 * Candidate token ids per token id from an embedding matrix `[vocab, d]` (row-major): the
 * `max` nearest rows by cosine similarity, [PAD], [UNK] and stop words excluded. Only ids in
 * `needed` are computed (the words that occur in the texts to augment).
 */
export function neighbourCandidates(vocab: string[], embeddings: Float32Array, d: number, max: number, needed: Set<number>): Int32Array[] {
  const n = vocab.length;
  const norm = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += embeddings[i * d + k] ** 2;
    norm[i] = Math.sqrt(s) || 1;
  }
  const usable = (i: number) => i > UNK_ID && !STOP_WORDS.has(vocab[i]);
  const out: Int32Array[] = vocab.map(() => new Int32Array(0));
  const sims = new Float32Array(n);
  for (const id of needed) {
    if (!usable(id) || id >= n) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += embeddings[id * d + k] * embeddings[j * d + k];
      sims[j] = usable(j) && j !== id ? s / (norm[id] * norm[j]) : -Infinity;
    }
    const best: number[] = [];
    for (let j = 0; j < n; j++) {
      if (sims[j] === -Infinity) continue;
      if (best.length < max) {
        best.push(j);
        best.sort((a, b) => sims[b] - sims[a] || a - b);
      } else if (sims[j] > sims[best[max - 1]]) {
        best[max - 1] = j;
        best.sort((a, b) => sims[b] - sims[a] || a - b);
      }
    }
    out[id] = Int32Array.from(best);
  }
  return out;
}

/**
 * Augmented copies of token-id texts (`count` rows of `length` ids, PAD-padded): up to
 * `copies` distinct new rows per original, none equal to the original. Returns the new rows
 * and, for each, the index of its original.
 */
export function augmentTexts(
  x: Int32Array,
  count: number,
  length: number,
  candidates: Int32Array[],
  s: Pick<AugmentSettings, 'copies' | 'probability'>,
  rng: Rng,
): { x: Int32Array; source: Int32Array; count: number } {
  const rows: Int32Array[] = [];
  const source: number[] = [];
  for (let r = 0; r < count; r++) {
    const row = x.subarray(r * length, (r + 1) * length);
    const seen = new Set<string>([row.join(',')]);
    const slots: number[] = [];
    for (let j = 0; j < length; j++) if (row[j] !== PAD_ID && (candidates[row[j]]?.length ?? 0) > 0) slots.push(j);
    if (slots.length === 0) continue;
    for (let attempt = 0; attempt < s.copies; attempt++) {
      const copy = Int32Array.from(row);
      for (const j of slots) {
        const c = candidates[row[j]];
        const pick = c[rng.int(c.length)];
        if (rng.next() < s.probability) copy[j] = pick;
      }
      const key = copy.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(copy);
      source.push(r);
    }
  }
  const out = new Int32Array(rows.length * length);
  rows.forEach((row, i) => out.set(row, i * length));
  return { x: out, source: Int32Array.from(source), count: rows.length };
}
