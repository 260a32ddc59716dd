import type { Canonicalization } from './canonicalize';
import type { Normalization } from './norms';

/**
 * How canonicalisations and norms are named for people (the reward panel's pickers and titles),
 * so experiment files and the CLI accept the same names. Kept apart from the computations, which
 * the extension host does not load.
 */
export const CANONICALIZATION_LABELS: Readonly<Record<Canonicalization, string>> = {
  val: 'VAL', epic: 'EPIC', dard: 'DARD', minimal: 'minimal', none: 'no canonicalisation',
};

/** A user-written canonicalisation, case-insensitively: `val` or the panel's `VAL`, ...; undefined if unknown. */
export function parseCanonicalization(text: string): Canonicalization | undefined {
  const t = text.trim().toLowerCase();
  if (Object.prototype.hasOwnProperty.call(CANONICALIZATION_LABELS, t)) return t as Canonicalization;
  if (t === 'no canonicalisation' || t === 'no canonicalization') return 'none';
  return undefined;
}

/** How the reward panel names a norm: `L2`, `weighted L∞`, `none`. */
export function normalizationLabel(n: Normalization): string {
  if (n === 'none') return 'none';
  const weighted = n.startsWith('weighted_');
  const p = weighted ? n.slice('weighted_'.length) : n;
  const label = p === 'inf' ? 'L∞' : `L${p}`;
  return weighted ? `weighted ${label}` : label;
}
