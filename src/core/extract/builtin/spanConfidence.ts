import { bilouTags, type TokenSpan, type TransitionScores } from './bilou';

/**
 * Confidence of decoded entity spans from a CRF tagger: the probability under the CRF that the
 * tags on a span's tokens are exactly its `B- I- ... L-` (or `U-`) tags, i.e. that this entity,
 * with these boundaries and this type, is there. Forward-backward in log space over the same
 * emission and transition scores Viterbi decoded (forbidden transitions are the large negative
 * scores of `crfConstraints`, so ill-formed paths carry no mass).
 *
 * Raw CRF marginals of a model trained on a small corpus are over-confident; `calibrate` maps
 * them through a logistic (Platt) fit on held-out data, so a confidence of 0.7 means about 70%
 * of such spans are right.
 */
export function spanMarginals(emissions: Float32Array | number[], length: number, types: string[], transitions: TransitionScores, spans: readonly TokenSpan[]): number[] {
  if (spans.length === 0) return [];
  const tags = bilouTags(types);
  const n = tags.length;
  const index = new Map(tags.map((t, i) => [t, i]));
  const { trans, start, end } = transitions;
  const alpha = new Float64Array(length * n);
  const beta = new Float64Array(length * n);
  const buf = new Float64Array(n);
  for (let j = 0; j < n; j++) alpha[j] = start[j] + emissions[j];
  for (let i = 1; i < length; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) buf[k] = alpha[(i - 1) * n + k] + trans[k * n + j];
      alpha[i * n + j] = logSumExp(buf) + emissions[i * n + j];
    }
  }
  for (let j = 0; j < n; j++) beta[(length - 1) * n + j] = end[j];
  for (let i = length - 2; i >= 0; i--) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) buf[k] = trans[j * n + k] + emissions[(i + 1) * n + k] + beta[(i + 1) * n + k];
      beta[i * n + j] = logSumExp(buf);
    }
  }
  for (let j = 0; j < n; j++) buf[j] = alpha[(length - 1) * n + j] + end[j];
  const logZ = logSumExp(buf);
  return spans.map((s) => {
    const path = s.end - s.start === 1 ? [`U-${s.type}`] : [`B-${s.type}`, ...Array.from({ length: s.end - s.start - 2 }, () => `I-${s.type}`), `L-${s.type}`];
    const ids = path.map((t) => index.get(t)!);
    let score: number;
    if (s.start === 0) score = start[ids[0]];
    else {
      for (let k = 0; k < n; k++) buf[k] = alpha[(s.start - 1) * n + k] + trans[k * n + ids[0]];
      score = logSumExp(buf);
    }
    ids.forEach((id, k) => {
      score += emissions[(s.start + k) * n + id];
      if (k > 0) score += trans[ids[k - 1] * n + id];
    });
    score += beta[(s.end - 1) * n + ids[ids.length - 1]];
    return Math.min(1, Math.exp(score - logZ));
  });
}

function logSumExp(xs: Float64Array): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

/** A logistic map of the log-odds of a raw confidence: `sigmoid(a * logit(p) + b)`. */
export interface Calibration {
  a: number;
  b: number;
}

const EPS = 1e-6;
const logit = (p: number) => Math.log(Math.min(1 - EPS, Math.max(EPS, p)) / (1 - Math.min(1 - EPS, Math.max(EPS, p))));

export function calibrate(p: number, c: Calibration | undefined): number {
  if (!c) return p;
  return 1 / (1 + Math.exp(-(c.a * logit(p) + c.b)));
}

/**
 * Platt scaling: the `a`, `b` that minimise the log-loss of `sigmoid(a * logit(p) + b)` against
 * whether each span was right (Newton's method on two parameters, a little L2 towards the
 * identity map for stability on small data).
 */
export function fitCalibration(raw: readonly number[], correct: readonly boolean[], iterations = 50): Calibration {
  let a = 1;
  let b = 0;
  const x = raw.map(logit);
  const l2 = 1e-3;
  const loss = (a: number, b: number) => x.reduce((sum, xi, i) => {
    const z = a * xi + b;
    // log(1 + e^z) - y z, computed without overflow
    return sum + Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - (correct[i] ? z : 0);
  }, 0.5 * l2 * ((a - 1) ** 2 + b ** 2));
  for (let it = 0; it < iterations; it++) {
    let ga = l2 * (a - 1), gb = l2 * b, haa = l2, hab = 0, hbb = l2;
    x.forEach((xi, i) => {
      const p = 1 / (1 + Math.exp(-(a * xi + b)));
      const d = p - (correct[i] ? 1 : 0);
      const w = p * (1 - p);
      ga += d * xi; gb += d;
      haa += w * xi * xi; hab += w * xi; hbb += w;
    });
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    // Backtracking: a full Newton step can overshoot when the data are nearly separable.
    const before = loss(a, b);
    let step = 1;
    while (step > 1e-6 && !(loss(a - step * da, b - step * db) <= before)) step /= 2;
    if (step <= 1e-6) break;
    da *= step;
    db *= step;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

/** Expected calibration error over equal-width bins (10 by default): how far confidences are from the accuracy they claim. */
export function expectedCalibrationError(confidence: readonly number[], correct: readonly boolean[], bins = 10): number {
  if (confidence.length === 0) return 0;
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const idx = confidence.map((c, i) => [c, i] as const).filter(([c]) => (b === bins - 1 ? c >= b / bins : c >= b / bins && c < (b + 1) / bins)).map(([, i]) => i);
    if (idx.length === 0) continue;
    const conf = idx.reduce((s, i) => s + confidence[i], 0) / idx.length;
    const acc = idx.filter((i) => correct[i]).length / idx.length;
    ece += (idx.length / confidence.length) * Math.abs(conf - acc);
  }
  return ece;
}
