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
 * - `zoneinfo`: the time-zone database directory, e.g. `/usr/share/zoneinfo` (package `tzdata`,
 *   public domain); the last part of each `Area/City` zone name gives a list of cities.
 */
export async function readSystemWordLists(opts: { dictionary?: string; zoneinfo?: string }): Promise<WordLists> {
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
