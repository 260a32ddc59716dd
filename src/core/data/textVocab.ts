/** Token id of padding (after the end of a short text). */
export const PAD_ID = 0;
/** Token id of words outside the vocabulary. */
export const UNK_ID = 1;
export const PAD = '[PAD]';
export const UNK = '[UNK]';

// Runs of letters, digits and marks, with inner apostrophes kept ("don't", "l'eau").
const WORD = /[\p{L}\p{N}\p{M}]+(?:['\u2019][\p{L}\p{N}\p{M}]+)*/gu;

/** Lower-cased words of a text; punctuation and whitespace separate words and are dropped. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/**
 * The vocabulary: [PAD], [UNK], then the `vocabSize - 2` most frequent words of `texts`
 * (ties broken alphabetically, so the result does not depend on input order).
 */
export function buildVocab(texts: string[][], vocabSize: number): string[] {
  const counts = new Map<string, number>();
  for (const words of texts) for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [PAD, UNK, ...ranked.slice(0, Math.max(0, vocabSize - 2)).map(([w]) => w)];
}

/**
 * Token ids of each text, `maxLength` per text: the first `maxLength` words (longer texts are
 * truncated at the end), then [PAD] up to `maxLength`. Unknown words become [UNK].
 */
export function encodeTexts(texts: string[][], vocab: string[], maxLength: number): Int32Array {
  const index = new Map<string, number>();
  vocab.forEach((w, i) => {
    if (i !== PAD_ID && i !== UNK_ID) index.set(w, i);
  });
  const out = new Int32Array(texts.length * maxLength); // zero-filled = PAD_ID
  texts.forEach((words, r) => {
    const n = Math.min(words.length, maxLength);
    for (let j = 0; j < n; j++) out[r * maxLength + j] = index.get(words[j]) ?? UNK_ID;
  });
  return out;
}
