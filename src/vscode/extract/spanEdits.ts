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
