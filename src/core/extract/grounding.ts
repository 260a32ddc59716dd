import { hasBidiControl, trimBidiControls } from '../util/untrustedText';
import type { GroundingKind } from './types';

/**
 * Grounding: find where a span reported by a provider occurs in the input, so that every
 * result satisfies `input.slice(start, end) === text`. A match starts and ends on token
 * boundaries ("Smith" is not found inside "Smithsonian"). Tried in order, the first hit wins:
 *
 * 1. exact / normalised: both sides Unicode NFKC, lower-cased, whitespace runs collapsed to one
 *    space, typographic quotes and dashes mapped to ASCII; among the occurrences, one whose
 *    original text equals the span is `exact`, else it is `normalised`; the occurrence nearest
 *    the `hint` offset (if any) wins, else the first. The match is mapped back to the original
 *    offsets, so the reported text is the input's own spelling.
 * 2. fuzzy: Levenshtein ratio `1 - distance / max(len)` >= `minRatio` (0.9) against windows of
 *    the normalised input that start and end on word boundaries and have a similar length.
 *
 * A provider may answer with thousands of invented spans, so the cost of each is bounded and
 * does not grow with the input: the input is indexed once (token -> positions, 4-gram ->
 * positions); an occurrence is looked up from the span's rarest token, and a fuzzy search only
 * examines windows next to an exact piece of the span (a window within `k` edits of the span
 * contains one of `k + 1` pieces of it unchanged). The work of all calls is counted (`work`)
 * and capped (`maxWork`): past the cap, spans are not grounded.
 *
 * Offsets are UTF-16 code units (JavaScript string indices, VS Code document offsets).
 * Matches never split a surrogate pair or separate a base character from its combining marks,
 * because normalisation works on such clusters and maps every normalised character back to
 * the whole cluster it came from. Bidirectional formatting characters are trimmed from a
 * match's ends, and a match with one inside is not grounded (it would display reordered).
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
  /** Upper bound on the work (seed look-ups, DP cells) of one fuzzy search (default 200,000). */
  maxFuzzyCells?: number;
  /** Longest span (normalised characters) a fuzzy search is attempted for (default 200). */
  maxFuzzyLength?: number;
  /** Longest span (normalised characters) that is looked up at all (default 1,000). */
  maxSpanLength?: number;
  /** Upper bound on the work (characters compared, DP cells) of all calls (default 20,000,000). */
  maxWork?: number;
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

/** Scripts written without spaces between words: each character is a token of its own. */
const NO_SPACE = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
/** Tokens of normalised text: a letter/digit run, one character of a no-space script, or one other non-space character. */
const TOKEN = new RegExp(`[${NO_SPACE}]\\p{M}*|(?:(?![${NO_SPACE}])[\\p{L}\\p{N}\\p{M}])+|\\S`, 'gu');
/** Length of the pieces indexed for the fuzzy search's exact seeds. */
const Q = 4;

export class Grounder {
  /** Work spent so far by all calls (characters compared and DP cells); see `maxWork`. */
  work = 0;
  private readonly norm: Normalised;
  private readonly minRatio: number;
  private readonly maxFuzzyCells: number;
  private readonly maxFuzzyLength: number;
  private readonly maxSpanLength: number;
  private readonly maxWork: number;
  /** Tokens of the normalised input: [start, end) and, per token text, its token indices. */
  private readonly tokStart: Int32Array;
  private readonly tokEnd: Int32Array;
  private readonly tokensByText = new Map<string, number[]>();
  private wordStarts?: Int32Array;
  private wordEnds?: Int32Array;
  private qgrams?: Map<string, number[]>;

  constructor(readonly input: string, options: GroundingOptions = {}) {
    this.norm = normaliseWithMap(input);
    this.minRatio = options.minRatio ?? 0.9;
    this.maxFuzzyCells = options.maxFuzzyCells ?? 200_000;
    this.maxFuzzyLength = options.maxFuzzyLength ?? 200;
    this.maxSpanLength = options.maxSpanLength ?? 1_000;
    this.maxWork = options.maxWork ?? 20_000_000;
    const starts: number[] = [];
    const ends: number[] = [];
    for (const m of this.norm.text.matchAll(TOKEN)) {
      const list = this.tokensByText.get(m[0]);
      if (list) list.push(starts.length);
      else this.tokensByText.set(m[0], [starts.length]);
      starts.push(m.index!);
      ends.push(m.index! + m[0].length);
    }
    this.tokStart = Int32Array.from(starts);
    this.tokEnd = Int32Array.from(ends);
  }

  /** Locate `span` in the input; `undefined` when it is empty or cannot be grounded. */
  ground(span: string, hint?: number): Grounded | undefined {
    if (typeof span !== 'string' || span.length > 4 * this.maxSpanLength || this.work > this.maxWork) return undefined;
    this.work += span.length;
    const target = normaliseSpan(span);
    if (target === '' || target.length > this.maxSpanLength) return undefined;
    const match = this.indexed(span.trim(), target, hint) ?? this.fuzzy(target, hint);
    return match && this.withoutBidi(match);
  }

  /** Exact and normalised occurrences, found from the span's rarest token. */
  private indexed(span: string, target: string, hint?: number): Grounded | undefined {
    const tokens = target.match(TOKEN) ?? [];
    let anchor = -1;
    let fewest = Infinity;
    tokens.forEach((t, i) => {
      const n = this.tokensByText.get(t)?.length ?? 0;
      if (n < fewest) { fewest = n; anchor = i; }
    });
    if (anchor === -1 || fewest === 0) return undefined;
    const text = this.norm.text;
    let best: Grounded | undefined;
    const distance = (g: Grounded) => (hint === undefined ? 0 : Math.abs(g.start - hint));
    for (const p of this.tokensByText.get(tokens[anchor])!) {
      const s = p - anchor;
      const last = s + tokens.length - 1;
      if (s < 0 || last >= this.tokStart.length) continue;
      const ns = this.tokStart[s];
      const ne = ns + target.length;
      if (this.tokEnd[last] !== ne) continue;
      this.work += target.length;
      if (this.work > this.maxWork) break;
      if (!text.startsWith(target, ns) || !this.isUnitStart(ns) || !this.isUnitEnd(ne)) continue;
      const g = this.toOriginal(ns, ne, 'normalised');
      if (g.text === span) g.kind = 'exact';
      const better = !best || (g.kind === 'exact' && best.kind !== 'exact') || (g.kind === best.kind && distance(g) < distance(best));
      if (better) best = g;
      if (hint === undefined && best?.kind === 'exact') break;
    }
    return best;
  }

  /** The match without bidirectional controls at its ends; none with one inside. */
  private withoutBidi(g: Grounded): Grounded | undefined {
    if (!hasBidiControl(g.text)) return g;
    const t = trimBidiControls(this.input, g.start, g.end);
    if (!t) return undefined;
    const text = this.input.slice(t.start, t.end);
    return text.trim() === '' ? undefined : { ...t, text, kind: g.kind === 'exact' ? 'normalised' : g.kind };
  }

  private toOriginal(ns: number, ne: number, kind: GroundingKind): Grounded {
    const start = this.norm.from[ns];
    const end = this.norm.to[ne - 1];
    return { start, end, text: this.input.slice(start, end), kind };
  }

  /** Whether normalised position `i` starts the output of an input cluster (not its middle). */
  private isUnitStart(i: number): boolean {
    return i === 0 || i >= this.norm.from.length || this.norm.from[i] !== this.norm.from[i - 1];
  }

  /** Whether normalised position `i` ends the output of an input cluster. */
  private isUnitEnd(i: number): boolean {
    return i >= this.norm.to.length || i === 0 || this.norm.to[i] !== this.norm.to[i - 1];
  }

  private boundaries(): { starts: Int32Array; ends: Int32Array } {
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
      this.wordStarts = Int32Array.from(starts);
      this.wordEnds = Int32Array.from(ends);
    }
    return { starts: this.wordStarts, ends: this.wordEnds };
  }

  /** Positions of every `Q`-character substring of the normalised input (built on first use). */
  private qgramIndex(): Map<string, number[]> {
    if (!this.qgrams) {
      const index = new Map<string, number[]>();
      const t = this.norm.text;
      for (let i = 0; i + Q <= t.length; i++) {
        const g = t.slice(i, i + Q);
        const list = index.get(g);
        if (list) list.push(i);
        else index.set(g, [i]);
      }
      this.qgrams = index;
      this.work += t.length;
    }
    return this.qgrams;
  }

  /**
   * Where a window within `slack` edits of `target` can start: cut `target` into `slack + 1`
   * pieces; one of them occurs unchanged in such a window, at most `slack` positions from
   * where it sits in `target`. Each piece is found through its rarest indexed `Q`-gram.
   */
  private seeds(target: string, slack: number, budget: number): number[] {
    const pieces = slack + 1;
    const len = Math.floor(target.length / pieces);
    if (len < Q) return [];
    const index = this.qgramIndex();
    const text = this.norm.text;
    const centres = new Set<number>();
    for (let j = 0; j < pieces; j++) {
      const offset = j * len;
      const piece = target.slice(offset, j === pieces - 1 ? target.length : offset + len);
      let rarest: number[] | undefined;
      let at = 0;
      for (let k = 0; k + Q <= piece.length; k++) {
        const positions = index.get(piece.slice(k, k + Q)) ?? [];
        if (!rarest || positions.length < rarest.length) { rarest = positions; at = k; }
        if (rarest.length === 0) break;
      }
      for (const p of rarest ?? []) {
        const pieceStart = p - at;
        this.work += piece.length;
        budget -= piece.length;
        if (budget < 0) break;
        if (pieceStart >= 0 && text.startsWith(piece, pieceStart)) centres.add(pieceStart - offset);
      }
    }
    return [...centres].sort((a, b) => a - b);
  }

  private fuzzy(target: string, hint?: number): Grounded | undefined {
    const m = target.length;
    if (m > this.maxFuzzyLength) return undefined;
    // ratio >= r  <=>  distance <= (1 - r) * max(m, n); windows can differ by at most that.
    const slack = Math.floor((1 - this.minRatio) * m / this.minRatio);
    if (slack === 0) return undefined; // short spans: fuzzy equals normalised matching
    const before = this.work;
    const centres = this.seeds(target, slack, this.maxFuzzyCells);
    if (centres.length === 0) return undefined;
    const { starts, ends } = this.boundaries();
    const text = this.norm.text;
    let budget = this.maxFuzzyCells - (this.work - before);
    let best: { ns: number; ne: number; ratio: number } | undefined;
    let lastStart = -1;
    const done = () => best && this.toOriginal(best.ns, best.ne, 'fuzzy');
    for (const centre of centres) {
      // Word starts within `slack` of the centre, each examined once.
      for (let si = lowerBound(starts, Math.max(centre - slack, lastStart + 1)); si < starts.length && starts[si] <= centre + slack; si++) {
        const s = starts[si];
        lastStart = s;
        for (let j = lowerBound(ends, s + m - slack); j < ends.length && ends[j] <= s + m + slack; j++) {
          const e = ends[j];
          if (e <= s) continue;
          const n = e - s;
          const maxDist = Math.floor((1 - this.minRatio) * Math.max(m, n) + 1e-9);
          const cells = m * (2 * maxDist + 1);
          budget -= cells;
          this.work += cells;
          if (budget < 0 || this.work > this.maxWork) return done();
          const d = boundedLevenshtein(target, text, s, e, maxDist);
          if (d > maxDist) continue;
          const ratio = 1 - d / Math.max(m, n);
          const better = !best || ratio > best.ratio
            || (ratio === best.ratio && hint !== undefined && Math.abs(this.norm.from[s] - hint) < Math.abs(this.norm.from[best.ns] - hint));
          if (better) best = { ns: s, ne: e, ratio };
        }
      }
    }
    return done();
  }
}

/** First index of sorted `a` whose value is >= `x`. */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
