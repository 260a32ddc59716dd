/**
 * Word tokenizer for the built-in tagger. Offsets are UTF-16 code units into the input.
 *
 * Text is split on whitespace; a chunk that the model saw as a whole token in training
 * (`isKnownToken`, e.g. "U.S.", "Calif.", "said.") is kept, otherwise leading/trailing
 * punctuation and a possessive "'s" are peeled off, so "(Reuters)," becomes "(", "Reuters",
 * ")", ",". On CoNLL04 text (tokens joined by spaces) this reproduces the gold tokens exactly.
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

export interface TokenizeOptions {
  /**
   * Keep the period of the text's last word attached ("... in Dallas." -> "Dallas."), as the
   * CoNLL04 data the built-in model learnt from does (its gold entities include such periods).
   */
  keepFinalPeriod?: boolean;
}

const PUNCT_ONLY = /^[\p{P}\p{S}]+$/u;
const WORD_PERIOD = /^[\p{L}\p{N}][\p{L}\p{N}\-]*\.$/u;

export function tokenizeWords(text: string, isKnownToken: (t: string) => boolean = () => false, options: TokenizeOptions = {}): WordToken[] {
  const out: WordToken[] = [];
  const chunks = [...text.matchAll(/\S+/gu)];
  // Index of the last chunk that is not punctuation only (the text's last word).
  let lastWord = chunks.length - 1;
  while (lastWord >= 0 && PUNCT_ONLY.test(chunks[lastWord][0])) lastWord--;
  // In that mode a sentence-final period inside the text is split off even from a word the
  // model saw with it ("Dallas." at the end of a training sentence), so entities read "Dallas".
  const midKnown = (t: string) => isKnownToken(t) && !(WORD_PERIOD.test(t) && !ABBREVIATION.test(t));
  chunks.forEach((m, i) => {
    const final = options.keepFinalPeriod === true && i === lastWord;
    if (final && WORD_PERIOD.test(m[0])) out.push({ text: m[0], start: m.index!, end: m.index! + m[0].length });
    else splitChunk(m[0], m.index!, options.keepFinalPeriod === true && !final ? midKnown : isKnownToken, out);
  });
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
