/**
 * Short, human number formats shared by the tree view, CodeLens, inlay hints, notifications
 * and the timeline panel (which imports this file into its browser bundle: keep it pure).
 * Conventions for people: savings are positive shares "saved"; epochs are counted from 1.
 */

/** 0.9512 -> "95.1%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/**
 * A saving, as a positive share next to the word "saved" (as the timeline's chart shows it):
 * 0.31 -> "31%", and "<1%" for a saving too small to round to a percent.
 */
export function formatSaving(fraction: number): string {
  const pct = Math.round(fraction * 100);
  return pct === 0 && fraction > 0 ? '<1%' : `${pct}%`;
}

/** 12.34 -> "12.3 s", 95 -> "1 min 35 s", 4000 -> "1 h 6 min". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** 12345 -> "12.3k", 1234567 -> "1.23M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  return String(n);
}

/** "3 min ago" for an ISO time relative to `now`. */
export function formatAgo(iso: string, now: Date = new Date()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, (now.getTime() - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
