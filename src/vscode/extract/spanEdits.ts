/**
 * Moves document spans through an edit. A span the edit touches (overlaps, or an insertion
 * strictly inside it) is dropped: its text is no longer what was extracted. Spans before the
 * edit stay, spans after it shift by the length change. Offsets are UTF-16 code units; the
 * edit replaces `[offset, offset + removed)` with `inserted` characters.
 */
export function shiftSpans<T extends { start: number; end: number }>(spans: readonly T[], offset: number, removed: number, inserted: number): T[] {
  const to = offset + removed;
  const delta = inserted - removed;
  const out: T[] = [];
  for (const s of spans) {
    if (to <= s.start) out.push({ ...s, start: s.start + delta, end: s.end + delta });
    else if (offset >= s.end) out.push(s);
  }
  return out;
}

/**
 * Where `needle` is in `text` now: at `expected` if it still reads so there, else its occurrence
 * nearest to `expected` (edits elsewhere moved it); undefined when the text no longer has it.
 */
export function findSpan(text: string, expected: number, needle: string): number | undefined {
  if (needle === '') return undefined;
  if (text.startsWith(needle, expected)) return expected;
  let best: number | undefined;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    if (best === undefined || Math.abs(at - expected) < Math.abs(best - expected)) best = at;
    if (at > expected) break;
  }
  return best;
}
