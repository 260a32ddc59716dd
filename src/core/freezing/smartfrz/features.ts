/**
 * Turns a window of sampled kernel snapshots into the predictor's inputs.
 *
 * Choices the spec leaves open (written down here because they decide whether the predictor
 * transfers across layers, models and datasets):
 * - Scale: every snapshot is taken relative to the newest one and divided by the newest
 *   snapshot's standard deviation, so a layer's motion is measured in units of its own weight
 *   scale (a 784x128 dense kernel and a 3x3 conv kernel become comparable).
 * - Query input = the newest movement (s_n - s_{n-1}) / sigma; key/value inputs = the
 *   displacement of each older snapshot from the newest, (s_i - s_n) / sigma, plus its age in
 *   the window (0..1], so attention can weigh "how far did the layer travel, and when".
 * - Permutation invariance: the sample indices are random, so an index position means nothing
 *   across layers. Each vector is therefore sorted (its empirical quantile function) and
 *   averaged into `quantiles` buckets before any learned weight sees it. This replaces the
 *   spec's 1024-wide first layer with a 64-wide one — far fewer parameters to fit from the
 *   few hundred labelled histories our offline pipeline can afford.
 * - Dynamic range: displacements span ~1e-5..1 of the weight scale; a signed log
 *   (`signedLog`) maps them to roughly [-1, 1] while keeping small motions distinguishable.
 */

/** Displacement (in weight-scale units) that maps to about 0 after `signedLog`'s floor. */
const LOG_FLOOR = 1e-4;

/** sign(x) * log(1 + |x|/floor) / log(1 + 1/floor): 0 -> 0, ±1 -> ±1, monotone. */
export function signedLog(x: number): number {
  const m = Math.log1p(Math.abs(x) / LOG_FLOOR) / Math.log1p(1 / LOG_FLOOR);
  return x < 0 ? -m : m;
}

/** Sorted values of `v`, averaged into `q` contiguous buckets, each through `signedLog`. */
export function quantileFeature(v: Float32Array | number[], q: number): Float32Array {
  const sorted = Float32Array.from(v).sort();
  const n = sorted.length;
  const out = new Float32Array(q);
  for (let k = 0; k < q; k++) {
    const lo = Math.floor((k * n) / q);
    const hi = Math.max(lo + 1, Math.floor(((k + 1) * n) / q));
    let s = 0;
    for (let i = lo; i < hi; i++) s += sorted[Math.min(i, n - 1)];
    out[k] = signedLog(s / (hi - lo));
  }
  return out;
}

function std(v: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i];
  mean /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - mean) ** 2;
  return Math.sqrt(s / v.length);
}

export interface WindowFeatures {
  /** `quantiles` values. */
  query: Float32Array;
  /** (n-1) rows of `quantiles + 1` values (quantile feature, then age in (0, 1]), oldest first. */
  keys: Float32Array;
  /** Number of key rows (older snapshots). */
  older: number;
}

/** Features of one window of snapshots (oldest first, at least 2, all the same length). */
export function windowFeatures(window: Float32Array[], quantiles: number): WindowFeatures {
  const n = window.length;
  if (n < 2) throw new Error(`a SmartFRZ window needs at least 2 snapshots, got ${n}`);
  const newest = window[n - 1];
  const sigma = Math.max(std(newest), 1e-12);
  const diff = (a: Float32Array, b: Float32Array): Float32Array => {
    const d = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) d[i] = (a[i] - b[i]) / sigma;
    return d;
  };
  const query = quantileFeature(diff(newest, window[n - 2]), quantiles);
  const width = quantiles + 1;
  const keys = new Float32Array((n - 1) * width);
  for (let i = 0; i < n - 1; i++) {
    keys.set(quantileFeature(diff(window[i], newest), quantiles), i * width);
    keys[i * width + quantiles] = (n - 1 - i) / (n - 1);
  }
  return { query, keys, older: n - 1 };
}
