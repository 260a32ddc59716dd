import type { GroundingKind } from './types';

/**
 * Grounding: find where a span reported by a provider occurs in the input, so that every
 * result satisfies `input.slice(start, end) === text`. Tried in order, the first hit wins:
 *
 * 1. exact: every occurrence of the span; the one nearest the `hint` offset (if any), else
 *    the first.
 * 2. normalised: both sides Unicode NFKC, lower-cased, whitespace runs collapsed to one
 *    space, typographic quotes and dashes mapped to ASCII; the match is mapped back to the
 *    original offsets, so the reported text is the input's own spelling.
 * 3. fuzzy (bounded): Levenshtein ratio `1 - distance / max(len)` >= `minRatio` (0.9) against
 *    windows of the normalised input that start and end on word boundaries and have a similar
 *    length; the work is capped (`maxFuzzyCells` DP cells per span) so a long input or a
 *    long invented span cannot stall the caller: past the cap the span is ungrounded.
 *
 * Offsets are UTF-16 code units (JavaScript string indices, VS Code document offsets).
 * Matches never split a surrogate pair or separate a base character from its combining marks,
 * because normalisation works on such clusters and maps every normalised character back to
 * the whole cluster it came from.
 */
export interface Grounded {
  start: number;
  end: number;
  /** The input's text at [start, end). */
  text: string;
  kind: GroundingKind;
}

export interface GroundingOptions {
  /** Fuzzy threshold on the Levenshtein ratio (default 0.9). */
  minRatio?: number;
  /** Upper bound on DP cells spent on one fuzzy search (default 2,000,000). */
  maxFuzzyCells?: number;
  /** Longest span (normalised characters) a fuzzy search is attempted for (default 200). */
  maxFuzzyLength?: number;
}

const QUOTES: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u00B4': "'", '`': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u2033': '"', '\u00AB': '"', '\u00BB': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-', '\uFE58': '-', '\uFE63': '-', '\uFF0D': '-',
};

/** A normalised string and, per normalised UTF-16 unit, the original [start, end) it came from. */
interface Normalised {
  text: string;
  from: Int32Array;
  to: Int32Array;
}

/** Base code point plus following combining marks: the unit normalisation works on. */
const CLUSTER = /\P{M}\p{M}*|\p{M}+/gsu;

function normaliseCluster(cluster: string): string {
  let s = cluster.normalize('NFKC').toLowerCase();
  s = s.replace(/./gsu, (c) => QUOTES[c] ?? c);
  return s.replace(/\s+/gu, ' ');
}

/** Normalise `text`, keeping a map from normalised units back to original offsets. */
function normaliseWithMap(text: string): Normalised {
  let out = '';
  const from: number[] = [];
  const to: number[] = [];
  CLUSTER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CLUSTER.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    const n = normaliseCluster(m[0]);
    for (let i = 0; i < n.length; i++) {
      // Collapse whitespace runs: extend the previous space instead of adding another.
      if (n[i] === ' ' && out.endsWith(' ')) { to[to.length - 1] = end; continue; }
      out += n[i];
      from.push(start);
      to.push(end);
    }
  }
  return { text: out, from: Int32Array.from(from), to: Int32Array.from(to) };
}

/** The normalised form of a span (trimmed). */
export function normaliseSpan(text: string): string {
  return normaliseWithMap(text).text.trim();
}

export class Grounder {
  private readonly norm: Normalised;
  private readonly minRatio: number;
  private readonly maxFuzzyCells: number;
  private readonly maxFuzzyLength: number;
  private wordStarts?: number[];
  private wordEnds?: number[];

  constructor(readonly input: string, options: GroundingOptions = {}) {
    this.norm = normaliseWithMap(input);
    this.minRatio = options.minRatio ?? 0.9;
    this.maxFuzzyCells = options.maxFuzzyCells ?? 2_000_000;
    this.maxFuzzyLength = options.maxFuzzyLength ?? 200;
  }

  /** Locate `span` in the input; `undefined` when it is empty or cannot be grounded. */
  ground(span: string, hint?: number): Grounded | undefined {
    if (typeof span !== 'string' || span.trim() === '') return undefined;
    const exact = this.exact(span, hint);
    if (exact) return exact;
    const target = normaliseSpan(span);
    if (target === '') return undefined;
    return this.normalised(target, hint) ?? this.fuzzy(target, hint);
  }

  private exact(span: string, hint?: number): Grounded | undefined {
    let best = -1;
    for (let i = this.input.indexOf(span); i !== -1; i = this.input.indexOf(span, i + 1)) {
      if (best === -1 || (hint !== undefined && Math.abs(i - hint) < Math.abs(best - hint))) best = i;
      if (hint === undefined) break;
    }
    if (best === -1) return undefined;
    // A span that cuts a surrogate pair or a cluster is not a real span of the text.
    if (!this.onClusterBoundary(best) || !this.onClusterBoundary(best + span.length)) return undefined;
    return { start: best, end: best + span.length, text: span, kind: 'exact' };
  }

  private onClusterBoundary(offset: number): boolean {
    if (offset <= 0 || offset >= this.input.length) return true;
    const c = this.input.charCodeAt(offset);
    if (c >= 0xdc00 && c <= 0xdfff) return false;
    return !/^\p{M}/u.test(this.input.slice(offset, offset + 2));
  }

  private toOriginal(ns: number, ne: number, kind: GroundingKind): Grounded {
    const start = this.norm.from[ns];
    const end = this.norm.to[ne - 1];
    return { start, end, text: this.input.slice(start, end), kind };
  }

  private normalised(target: string, hint?: number): Grounded | undefined {
    const text = this.norm.text;
    let best = -1;
    for (let i = text.indexOf(target); i !== -1; i = text.indexOf(target, i + 1)) {
      if (!this.isUnitStart(i) || !this.isUnitEnd(i + target.length)) continue;
      if (best === -1 || (hint !== undefined && Math.abs(this.norm.from[i] - hint) < Math.abs(this.norm.from[best] - hint))) best = i;
      if (hint === undefined) break;
    }
    return best === -1 ? undefined : this.toOriginal(best, best + target.length, 'normalised');
  }

  /** Whether normalised position `i` starts the output of an input cluster (not its middle). */
  private isUnitStart(i: number): boolean {
    return i === 0 || i >= this.norm.from.length || this.norm.from[i] !== this.norm.from[i - 1];
  }

  /** Whether normalised position `i` ends the output of an input cluster. */
  private isUnitEnd(i: number): boolean {
    return i >= this.norm.to.length || i === 0 || this.norm.to[i] !== this.norm.to[i - 1];
  }

  private boundaries(): { starts: number[]; ends: number[] } {
    if (!this.wordStarts || !this.wordEnds) {
      const t = this.norm.text;
      const word = (c: string) => /[\p{L}\p{N}\p{M}]/u.test(c);
      const starts: number[] = [];
      const ends: number[] = [];
      for (let i = 0; i <= t.length; i++) {
        const prev = i > 0 ? t[i - 1] : ' ';
        const cur = i < t.length ? t[i] : ' ';
        const boundary = i === 0 || i === t.length || word(prev) !== word(cur) || (!word(prev) && !word(cur));
        if (!boundary) continue;
        if (cur !== ' ' && i < t.length && this.isUnitStart(i)) starts.push(i);
        if (prev !== ' ' && i > 0 && this.isUnitEnd(i)) ends.push(i);
      }
      this.wordStarts = starts;
      this.wordEnds = ends;
    }
    return { starts: this.wordStarts, ends: this.wordEnds };
  }

  private fuzzy(target: string, hint?: number): Grounded | undefined {
    const m = target.length;
    if (m > this.maxFuzzyLength) return undefined;
    // ratio >= r  <=>  distance <= (1 - r) * max(m, n); windows can differ by at most that.
    const slack = Math.floor((1 - this.minRatio) * m / this.minRatio);
    if (slack === 0) return undefined; // short spans: fuzzy equals normalised matching
    const { starts, ends } = this.boundaries();
    const text = this.norm.text;
    let budget = this.maxFuzzyCells;
    let best: { ns: number; ne: number; ratio: number } | undefined;
    let endFrom = 0;
    for (const s of starts) {
      while (endFrom < ends.length && ends[endFrom] < s + m - slack) endFrom++;
      for (let j = endFrom; j < ends.length && ends[j] <= s + m + slack; j++) {
        const e = ends[j];
        if (e <= s) continue;
        const n = e - s;
        const maxDist = Math.floor((1 - this.minRatio) * Math.max(m, n) + 1e-9);
        budget -= m * (2 * maxDist + 1);
        if (budget < 0) return best && this.toOriginal(best.ns, best.ne, 'fuzzy');
        const d = boundedLevenshtein(target, text, s, e, maxDist);
        if (d > maxDist) continue;
        const ratio = 1 - d / Math.max(m, n);
        const better = !best || ratio > best.ratio
          || (ratio === best.ratio && hint !== undefined && Math.abs(this.norm.from[s] - hint) < Math.abs(this.norm.from[best.ns] - hint));
        if (better) best = { ns: s, ne: e, ratio };
      }
    }
    return best && this.toOriginal(best.ns, best.ne, 'fuzzy');
  }
}

/**
 * Levenshtein distance between `a` and `b[bs, be)`, computed only inside the diagonal band
 * |i - j| <= maxDist; returns maxDist + 1 as soon as the distance must exceed maxDist.
 */
export function boundedLevenshtein(a: string, b: string, bs: number, be: number, maxDist: number): number {
  const n = be - bs;
  const m = a.length;
  if (Math.abs(m - n) > maxDist) return maxDist + 1;
  const INF = maxDist + 1;
  let prev = new Int32Array(n + 1);
  let cur = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j <= maxDist ? j : INF;
  for (let i = 1; i <= m; i++) {
    const lo = Math.max(1, i - maxDist);
    const hi = Math.min(n, i + maxDist);
    cur.fill(INF);
    cur[0] = i <= maxDist ? i : INF;
    let rowMin = cur[0];
    const ac = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const cost = ac === b.charCodeAt(bs + j - 1) ? 0 : 1;
      const v = Math.min(prev[j - 1] + cost, prev[j] + 1, cur[j - 1] + 1);
      cur[j] = v > INF ? INF : v;
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > maxDist) return INF;
    [prev, cur] = [cur, prev];
  }
  return prev[n] > maxDist ? INF : prev[n];
}
