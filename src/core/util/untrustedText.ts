/**
 * Text that came from outside (a model's answer, a server's error body, a file's content) on
 * its way to a terminal, a log or a message. Terminals act on control characters (ESC and the
 * C1 CSI start colour, cursor and title sequences, OSC 8 makes links), and bidirectional
 * controls reorder what a reader sees (the "Trojan Source" trick): neither may pass through.
 */

/** Unicode bidirectional formatting characters (ALM, LRM, RLM, LRE..RLO, LRI..PDI). */
export const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** C0 controls except tab and line breaks, DEL and the C1 controls (U+0080-U+009F). */
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/** Whether `s` contains a bidirectional formatting character. */
export function hasBidiControl(s: string): boolean {
  BIDI_CONTROLS.lastIndex = 0;
  const found = BIDI_CONTROLS.test(s);
  BIDI_CONTROLS.lastIndex = 0;
  return found;
}

/**
 * The span [start, end) of `text` without bidirectional formatting characters at its ends, or
 * undefined when one is inside it or nothing is left (such a span displays reordered).
 */
export function trimBidiControls(text: string, start: number, end: number): { start: number; end: number } | undefined {
  while (start < end && hasBidiControl(text[start])) start++;
  while (end > start && hasBidiControl(text[end - 1])) end--;
  return start < end && !hasBidiControl(text.slice(start, end)) ? { start, end } : undefined;
}

/** `s` without control and bidirectional formatting characters (tabs and line breaks kept). */
export function stripControls(s: string): string {
  return s.replace(CONTROLS, '').replace(BIDI_CONTROLS, '');
}

/** `s` with control and bidirectional formatting characters written as `\uXXXX` (nothing lost, nothing acted on). */
export function escapeControls(s: string): string {
  return s.replace(CONTROLS, hex).replace(BIDI_CONTROLS, hex);
}

function hex(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A short, single-line excerpt of untrusted text for a message: controls removed, whitespace
 * runs collapsed, cut at `max` characters (never inside a surrogate pair) with an ellipsis.
 */
export function excerpt(s: string, max = 120): string {
  const one = stripControls(s).replace(/\s+/g, ' ').trim();
  if (one.length <= max) return one;
  let cut = max;
  const c = one.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut -= 1;
  return `${one.slice(0, cut)}…`;
}
