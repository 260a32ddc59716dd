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
/** Abbreviations keep their period: "U.S.", "A.", "Calif.", "Mr.". */
const ABBREVIATION = /^(?:\p{L}\.)+$|^\p{Lu}\p{Ll}{0,4}\.$/u;

export function tokenizeWords(text: string, isKnownToken: (t: string) => boolean = () => false): WordToken[] {
  const out: WordToken[] = [];
  const chunk = /\S+/gu;
  let m: RegExpExecArray | null;
  while ((m = chunk.exec(text)) !== null) splitChunk(m[0], m.index, isKnownToken, out);
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
