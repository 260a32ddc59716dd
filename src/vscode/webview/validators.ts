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
