/**
 * Turns a window of sampled kernel snapshots into the predictor's inputs.
 *
 * The snapshots of a window are taken a fixed number of optimizer steps apart (`stepsBetween`,
 * the predictor's `snapshotEvery`), never "N per epoch", so nothing here depends on how many
 * steps an epoch has. Choices the spec leaves open (written down because they decide whether the
 * predictor transfers across layers, models, datasets and learning rates):
 * - Unit of motion: displacements are divided by rho, the RMS movement of the sampled values
 *   between consecutive snapshots of the window. In that unit a steady drift grows linearly with
 *   age, a random walk like sqrt(age), and a layer jittering around a converged point saturates
 *   at ~sqrt(2): the *shape* of the trajectory, which is what "converged" means, comes out
 *   independent of the learning rate, the layer's weight scale and the snapshot spacing.
 * - Speed: the one scale-dependent quantity left is kept as a single scalar of the query, the
 *   per-step relative speed rho / (stepsBetween * sigma) (sigma = std of the newest snapshot),
 *   as log10 mapped to about [-1, 1] (1e-5 -> -1, 1e-3 -> 0, 1e-1 -> 1).
 * - Query = the newest movement (s_n - s_{n-1}) / rho, plus the speed; key/value inputs = the
 *   displacement of each older snapshot from the newest, (s_i - s_n) / rho, plus its age in
 *   intervals divided by `ageScale` (the predictor's full window), so attention can weigh "how
 *   far did the layer travel, and how long ago".
 * - Permutation invariance: sample indices are random, so an index position means nothing
 *   across layers. Each vector is sorted (its empirical quantile function) and averaged into
 *   `quantiles` buckets before any learned weight sees it.
 * - Dynamic range: displacements in rho units span ~0.01..30; `compress` (a signed log1p)
 *   maps them to about [-1, 1].
 */

/** Displacement (in rho units) that maps to 1: a steady drift over a full 30-snapshot window. */
const COMPRESS_AT = 30;

/** sign(x) * log(1 + |x|) / log(1 + COMPRESS_AT): 0 -> 0, ±COMPRESS_AT -> ±1, odd, monotone. */
export function compress(x: number): number {
  const m = Math.log1p(Math.abs(x)) / Math.log1p(COMPRESS_AT);
  return x < 0 ? -m : m;
}

/** Sorted values of `v`, averaged into `q` contiguous buckets, each through `compress`. */
export function quantileFeature(v: Float32Array | number[], q: number): Float32Array {
  const sorted = Float32Array.from(v).sort();
  const n = sorted.length;
  const out = new Float32Array(q);
  for (let k = 0; k < q; k++) {
    const lo = Math.floor((k * n) / q);
    const hi = Math.max(lo + 1, Math.floor(((k + 1) * n) / q));
    let s = 0;
    for (let i = lo; i < hi; i++) s += sorted[Math.min(i, n - 1)];
    out[k] = compress(s / (hi - lo));
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

/** RMS of the per-value movement between consecutive snapshots, over the whole window. */
export function intervalRms(window: Float32Array[]): number {
  let s = 0;
  let n = 0;
  for (let k = 1; k < window.length; k++) {
    const a = window[k - 1];
    const b = window[k];
    for (let i = 0; i < a.length; i++) s += (b[i] - a[i]) ** 2;
    n += a.length;
  }
  return n > 0 ? Math.sqrt(s / n) : 0;
}

/**
 * How directed the window's motion is: net displacement from the oldest to the newest snapshot,
 * RMS over the sampled values, in units of rho * sqrt(n - 1). About 1 for a random walk (a layer
 * jittering around a settled point is below it), sqrt(n - 1) (5.4 for 30 snapshots) for a steady
 * drift: a layer still travelling somewhere. Scale-free like the features.
 */
export function directedness(window: Float32Array[]): number {
  const n = window.length;
  if (n < 2) return 0;
  const rho = intervalRms(window);
  if (!(rho > 0)) return 0;
  const a = window[0];
  const b = window[n - 1];
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (b[i] - a[i]) ** 2;
  return Math.sqrt(s / a.length) / (rho * Math.sqrt(n - 1));
}

/** log10 of the per-step relative speed, mapped so 1e-5 -> -1, 1e-3 -> 0, 1e-1 -> 1 (clamped to ±2). */
export function speedFeature(rho: number, sigma: number, stepsBetween: number): number {
  const rel = rho / Math.max(stepsBetween * sigma, 1e-30);
  if (!(rel > 0)) return -2;
  return Math.max(-2, Math.min(2, (Math.log10(rel) + 3) / 2));
}

export interface WindowFeatures {
  /** `quantiles + 1` values: quantile feature of the newest movement, then the speed. */
  query: Float32Array;
  /** (n-1) rows of `quantiles + 1` values (quantile feature, then age), oldest first. */
  keys: Float32Array;
  /** Number of key rows (older snapshots). */
  older: number;
}

/**
 * Features of one window of snapshots (oldest first, at least 2, all the same length) taken
 * `stepsBetween` optimizer steps apart. `ageScale`: the age (in intervals) that maps to 1,
 * normally the predictor's full window minus one, so a partial window has the same age units.
 */
export function windowFeatures(window: Float32Array[], quantiles: number, stepsBetween: number, ageScale = window.length - 1): WindowFeatures {
  const n = window.length;
  if (n < 2) throw new Error(`a SmartFRZ window needs at least 2 snapshots, got ${n}`);
  const newest = window[n - 1];
  const rho = intervalRms(window);
  const unit = rho > 0 ? rho : 1;
  const diff = (a: Float32Array, b: Float32Array): Float32Array => {
    const d = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) d[i] = (a[i] - b[i]) / unit;
    return d;
  };
  const width = quantiles + 1;
  const query = new Float32Array(width);
  query.set(quantileFeature(diff(newest, window[n - 2]), quantiles));
  query[quantiles] = speedFeature(rho, std(newest), stepsBetween);
  const keys = new Float32Array((n - 1) * width);
  for (let i = 0; i < n - 1; i++) {
    keys.set(quantileFeature(diff(window[i], newest), quantiles), i * width);
    keys[i * width + quantiles] = (n - 1 - i) / Math.max(1, ageScale);
  }
  return { query, keys, older: n - 1 };
}
