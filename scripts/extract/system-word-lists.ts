import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { WordLists } from '../../src/core/extract/builtin/wordLists';

/**
 * Builds the built-in extractor's optional word lists (`src/core/extract/builtin/wordLists.ts`)
 * from files a Debian system has:
 *
 * - `dictionary`: a one-word-per-line English word list, e.g. `/usr/share/dict/american-english`
 *   (package `wamerican`, SCOWL; permissive licence, see models/extractor/README.md). Entries
 *   with an apostrophe (possessives) are skipped.
 * - `compromise`: named lists from the English lexicon of the `compromise` package (MIT, a
 *   development dependency: the lists are stored in the model, so nothing of it ships in the
 *   extension): organisations and sports teams, people, first names, last names, cities,
 *   countries and regions (`compromiseLists`).
 * - `zoneinfo`: the time-zone database directory, e.g. `/usr/share/zoneinfo` (package `tzdata`,
 *   public domain); the last part of each `Area/City` zone name gives a list of cities.
 */
export async function readSystemWordLists(opts: { dictionary?: string; zoneinfo?: string; compromise?: boolean }): Promise<WordLists> {
  const common = new Set<string>();
  const proper = new Set<string>();
  if (opts.dictionary) {
    const text = await fs.readFile(opts.dictionary, 'utf8');
    for (const w of text.split('\n').map((x) => x.trim())) {
      if (!w || w.includes("'")) continue;
      if (/^\p{Ll}/u.test(w)) common.add(w);
      else proper.add(w.toLowerCase());
    }
    for (const w of common) proper.delete(w);
  }
  const places: Record<string, string[]> = {};
  if (opts.zoneinfo) places.tzcity = await zoneCities(opts.zoneinfo);
  if (opts.compromise) Object.assign(places, await compromiseLists());
  return { common: [...common].sort(), proper: [...proper].sort(), places };
}

/** Areas of the tz database whose zones are named after a city (skips `Etc`, `posix`, `right`, ...). */
const AREAS = ['Africa', 'America', 'Antarctica', 'Asia', 'Atlantic', 'Australia', 'Europe', 'Indian', 'Pacific'];

async function zoneCities(dir: string): Promise<string[]> {
  const cities = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name));
      else if (/^\p{Lu}/u.test(e.name)) cities.add(e.name.replace(/_/g, ' ').toLowerCase());
    }
  };
  for (const area of AREAS) await walk(path.join(dir, area)).catch(() => undefined);
  return [...cities].sort();
}

/** compromise's lexicon tag -> the list name the tagger's features use (`lx=<name>`). */
const COMPROMISE_LISTS: Record<string, string> = {
  Organization: 'cmp-org', SportsTeam: 'cmp-org', Person: 'cmp-person', FirstName: 'cmp-first', MaleName: 'cmp-first',
  FemaleName: 'cmp-first', LastName: 'cmp-last', City: 'cmp-city', Country: 'cmp-country', Region: 'cmp-region',
};

/**
 * World knowledge that transfers to text of any decade: the proper-noun entries of compromise's
 * lexicon (version pinned in package.json), lower-cased, by kind. Tokens are matched like the
 * built-in lexicon (single words and multi-word phrases, `lexicon.ts`).
 */
export async function compromiseLists(): Promise<Record<string, string[]>> {
  const nlp = (await import('compromise')).default as unknown as { model(): { one: { lexicon: Record<string, string | string[]> } } };
  const lists = new Map<string, Set<string>>();
  for (const [word, tags] of Object.entries(nlp.model().one.lexicon)) {
    for (const tag of Array.isArray(tags) ? tags : [tags]) {
      const name = COMPROMISE_LISTS[tag];
      if (!name || !/\p{L}/u.test(word)) continue;
      if (!lists.has(name)) lists.set(name, new Set());
      lists.get(name)!.add(word.toLowerCase().replace(/\s+/g, ' ').trim());
    }
  }
  return Object.fromEntries([...lists].sort(([a], [b]) => a.localeCompare(b)).map(([n, l]) => [n, [...l].sort()]));
}
