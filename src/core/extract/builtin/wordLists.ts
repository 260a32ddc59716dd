/**
 * Optional general word lists for the tagger, stored inside the model (`meta.tagger.wordLists`)
 * so a model is self-contained: whoever trains it supplies them (the training script reads them
 * from a Debian system: `scripts/extract/system-word-lists.ts`), whoever runs it needs nothing
 * else. They give the tagger knowledge of words outside the small training set:
 *
 * - `common`: lower-case entries of an English dictionary. A capitalised token whose lower-case
 *   form is a common word ("Brigade", "Union") is weaker evidence of a name than one that is not
 *   ("Winterset").
 * - `proper`: capitalised dictionary entries (names of people, places, organisations), lower-cased.
 * - `places`: named lists of (lower-case, possibly multi-word) place names, matched like the
 *   hand-written lexicon (`lx=<name>`), e.g. the cities of the time-zone database.
 */
export interface WordLists {
  common: string[];
  proper: string[];
  places: Record<string, string[]>;
}

/** Word lists indexed for lookups. */
export interface WordIndex {
  common: Set<string>;
  proper: Set<string>;
}

export function indexWordLists(lists: WordLists): WordIndex {
  return { common: new Set(lists.common), proper: new Set(lists.proper) };
}

/**
 * Dictionary feature of one token: `dict=common`, `dict=proper` or `dict=none` (tokens with
 * letters only), also crossed with whether the token is capitalised, since "capitalised and
 * not a common word" is the informative combination.
 */
export function dictionaryFeatures(token: string, index: WordIndex): string[] {
  if (!/\p{L}/u.test(token)) return [];
  const lower = token.toLowerCase().replace(/\.$/, '');
  const kind = index.common.has(lower) ? 'common' : index.proper.has(lower) ? 'proper' : 'none';
  const cap = /^\p{Lu}/u.test(token) ? 'cap' : 'low';
  return [`dict=${kind}`, `dict=${kind}|${cap}`];
}
