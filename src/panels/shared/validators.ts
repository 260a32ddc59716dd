/**
 * Shape checks shared by the panels' message validators (host and webview side). Messages
 * crossing the webview boundary are untrusted in both directions, so every panel validates
 * them with these before use. Pure: bundled into the webviews too.
 */

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A non-empty string of at most 4096 characters (names, paths, ids). */
export function isShortString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 4096;
}

/** Longest message text accepted from the other side (errors, notices). */
export const MAX_MESSAGE_TEXT = 10_000;

/** `{type: 'error', message}` from a renderer: an error inside the webview, for the log. */
export function isRendererError(m: Record<string, unknown>): boolean {
  return typeof m.message === 'string' && m.message.length <= MAX_MESSAGE_TEXT;
}

/** `{type: 'notice', level, text}` from the host: a one-line notice above the panel's content. */
export function isNotice(m: Record<string, unknown>): boolean {
  return ['info', 'warning', 'error'].includes(m.level as string) && typeof m.text === 'string' && m.text.length <= MAX_MESSAGE_TEXT;
}

const RUN_STATUSES = new Set(['running', 'completed', 'cancelled', 'failed', 'interrupted', 'diverged']);

/** A run's status as the run store records it (`runner/runStore.ts` RunStatus). */
export function isRunStatus(v: unknown): boolean {
  return RUN_STATUSES.has(v as string);
}
