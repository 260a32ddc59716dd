/**
 * Pearson correlation of two equally long samples (optionally weighted). NaN when either sample
 * is constant, since the correlation is undefined there; callers decide what that means.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`pearson: lengths differ (${n} vs ${y.length})`);
  if (weights && weights.length !== n) throw new RangeError('pearson: weights length differs');
  let wSum = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    wSum += w;
    mx += w * x[i];
    my += w * y[i];
  }
  if (!(wSum > 0)) return NaN;
  mx /= wSum;
  my /= wSum;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += w * dx * dy;
    sxx += w * dx * dx;
    syy += w * dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}
