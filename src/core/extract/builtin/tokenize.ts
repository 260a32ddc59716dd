/**
 * Word tokenizer for the built-in tagger. Offsets are UTF-16 code units into the input.
 *
 * Text is split on whitespace; a chunk that the model saw as a whole token in training
 * (`isKnownToken`, e.g. "U.S.", "Calif.", "Orleans-based") is kept, otherwise leading/trailing
 * punctuation and a possessive "'s" are peeled off, so "(Reuters)," becomes "(", "Reuters",
 * ")", ",". A word's period is always split off unless the word is an abbreviation
 * ("Munich." -> "Munich", "."). On CoNLL04 text (tokens joined by spaces, as the reader
 * normalises them) this reproduces the gold tokens.
 */
export interface WordToken {
  text: string;
  start: number;
  end: number;
}

const LEADING = /^[\p{Ps}\p{Pi}"'`‘“«]/u;
const TRAILING = /[\p{Pe}\p{Pf}"'`’”»,;:!?.]$/u;
/** Abbreviations keep their period: initials ("U.S.", "A.") and common titles, firms, states, months. */
const ABBREVIATION = new RegExp(
  '^(?:(?:\\p{L}\\.)+|(?:Mr|Mrs|Ms|Dr|Prof|Jr|Sr|St|Mt|Ft|Gen|Gov|Sen|Rep|Rev|Sgt|Capt|Col|Lt|Co|Corp|Inc|Ltd|Bros|Dept|Univ|' +
    'Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|Nev|Okla|Ore|Pa|Tenn|Tex|Va|Vt|Wash|Wis|Wyo|' +
    'Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|No|vs|etc|approx)\\.)$',
  'u',
);

const WORD_PERIOD = /^[\p{L}\p{N}][\p{L}\p{N}\-]*\.$/u;

/**
 * Whether `token` is a word with a period that ends a sentence rather than an abbreviation
 * ("Munich." yes; "Calif.", "U.S.", "Jan." no). Such a period is never part of the word: the
 * tokenizer splits it off even from a known token, and the CoNLL04 reader splits it off its
 * gold tokens (`conll04.ts`), so an entity never ends with the sentence's period.
 */
export function isWordWithFinalPeriod(token: string): boolean {
  return WORD_PERIOD.test(token) && !ABBREVIATION.test(token);
}

export function tokenizeWords(text: string, isKnownToken: (t: string) => boolean = () => false): WordToken[] {
  const out: WordToken[] = [];
  const known = (t: string) => isKnownToken(t) && !isWordWithFinalPeriod(t);
  for (const m of text.matchAll(/\S+/gu)) splitChunk(m[0], m.index!, known, out);
  return out;
}

function splitChunk(s: string, offset: number, known: (t: string) => boolean, out: WordToken[]): void {
  let start = 0;
  let end = s.length;
  const tail: WordToken[] = [];
  const lead: WordToken[] = [];
  while (end > start) {
    const core = s.slice(start, end);
    if (known(core) || (end - start > 1 && ABBREVIATION.test(core))) break;
    if (end - start > 1 && LEADING.test(core)) {
      const n = codePointLength(core, 0);
      lead.push({ text: core.slice(0, n), start: offset + start, end: offset + start + n });
      start += n;
      continue;
    }
    if (end - start > 1 && TRAILING.test(core)) {
      tail.unshift({ text: s.slice(end - 1, end), start: offset + end - 1, end: offset + end });
      end -= 1;
      continue;
    }
    const poss = /['’]s$/iu.exec(core);
    if (poss && end - start > 2) {
      tail.unshift({ text: s.slice(end - 2, end), start: offset + end - 2, end: offset + end });
      end -= 2;
      continue;
    }
    break;
  }
  out.push(...lead);
  if (end > start) out.push({ text: s.slice(start, end), start: offset + start, end: offset + end });
  out.push(...tail);
}

function codePointLength(s: string, i: number): number {
  const c = s.codePointAt(i) ?? 0;
  return c > 0xffff ? 2 : 1;
}
