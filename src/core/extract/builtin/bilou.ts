/**
 * BILOU tagging: tag inventory for a list of entity types and constrained Viterbi decoding,
 * so decoded tag sequences are always well formed (every B- is closed by an L- of the same
 * type): the network's per-token log-probabilities are combined with hard transition
 * constraints and, for a CRF tagger (`crf.ts`), its learned transition scores.
 */
export interface TokenSpan {
  type: string;
  /** Token indices, `end` exclusive. */
  start: number;
  end: number;
  /** Mean per-token probability of the decoded tags (a confidence score). */
  score: number;
  /**
   * CRF taggers with a calibration (`ExtractorMeta.tagger.calibration`): the calibrated
   * probability that this entity is right, from the CRF's span marginal (`spanConfidence.ts`).
   */
  confidence?: number;
}

/** Tag 0 is `O`; then B-, I-, L-, U- for each type in order. */
export function bilouTags(types: string[]): string[] {
  const tags = ['O'];
  for (const t of types) tags.push(`B-${t}`, `I-${t}`, `L-${t}`, `U-${t}`);
  return tags;
}

export function tagIndex(types: string[]): Map<string, number> {
  return new Map(bilouTags(types).map((t, i) => [t, i]));
}

/** Gold entity spans to BILOU tag ids. */
export function spansToTagIds(length: number, spans: { type: string; start: number; end: number }[], types: string[]): number[] {
  const index = tagIndex(types);
  const ids = new Array<number>(length).fill(0);
  for (const s of spans) {
    if (s.end - s.start === 1) { ids[s.start] = index.get(`U-${s.type}`)!; continue; }
    ids[s.start] = index.get(`B-${s.type}`)!;
    for (let i = s.start + 1; i < s.end - 1; i++) ids[i] = index.get(`I-${s.type}`)!;
    ids[s.end - 1] = index.get(`L-${s.type}`)!;
  }
  return ids;
}

/** Whether tag `next` may follow tag `prev` in a well-formed BILOU sequence (`O` before the first tag). */
export function tagAllowed(prev: string, next: string): boolean {
  const inside = prev.startsWith('B-') || prev.startsWith('I-');
  if (inside) return (next.startsWith('I-') || next.startsWith('L-')) && next.slice(2) === prev.slice(2);
  return next === 'O' || next.startsWith('B-') || next.startsWith('U-');
}

/** Additive tag-to-tag (`[T*T]`, from -> to), start and end scores of a CRF. */
export interface TransitionScores {
  trans: Float32Array;
  start: Float32Array;
  end: Float32Array;
}

/**
 * Best well-formed tag path. `logProbs` holds `length * numTags` values, row-major. With
 * `transitions` (a CRF tagger) the path score also sums the transition, start and end scores;
 * `logProbs` may then be the log-softmax of the CRF's emissions (a per-token constant shift
 * does not change the best path, and the spans' `score` stays a probability).
 */
export function viterbiDecode(logProbs: Float32Array | number[], length: number, types: string[], transitions?: TransitionScores): TokenSpan[] {
  const tags = bilouTags(types);
  const n = tags.length;
  if (length === 0) return [];
  const ok: boolean[][] = tags.map((p) => tags.map((q) => tagAllowed(p, q)));
  const startOk = tags.map((t) => tagAllowed('O', t));
  const endOk = tags.map((t) => t === 'O' || t.startsWith('L-') || t.startsWith('U-'));
  const tr = (k: number, j: number) => (transitions ? transitions.trans[k * n + j] : 0);
  let score = new Float64Array(n);
  const back: Int32Array[] = [];
  for (let j = 0; j < n; j++) score[j] = startOk[j] ? logProbs[j] + (transitions ? transitions.start[j] : 0) : -Infinity;
  for (let i = 1; i < length; i++) {
    const next = new Float64Array(n).fill(-Infinity);
    const bp = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let k = 0; k < n; k++) {
        if (!ok[k][j]) continue;
        const v = score[k] + tr(k, j);
        if (v > best) { best = v; arg = k; }
      }
      next[j] = best + logProbs[i * n + j];
      bp[j] = arg;
    }
    back.push(bp);
    score = next;
  }
  let last = 0;
  let best = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = score[j] + (transitions ? transitions.end[j] : 0);
    if (endOk[j] && v > best) { best = v; last = j; }
  }
  const path = new Array<number>(length);
  path[length - 1] = last;
  for (let i = length - 1; i > 0; i--) path[i - 1] = back[i - 1][path[i]];
  const spans: TokenSpan[] = [];
  let open = -1;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const tag = tags[path[i]];
    const p = Math.exp(logProbs[i * n + path[i]]);
    if (tag.startsWith('U-')) spans.push({ type: tag.slice(2), start: i, end: i + 1, score: p });
    else if (tag.startsWith('B-')) { open = i; sum = p; }
    else if (tag.startsWith('I-')) sum += p;
    else if (tag.startsWith('L-')) { sum += p; spans.push({ type: tag.slice(2), start: open, end: i + 1, score: sum / (i + 1 - open) }); open = -1; }
  }
  return spans;
}
