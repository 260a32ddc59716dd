import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureStats, frechetDistance, type GaussianStats, symmetricEigen, symmetricSqrt } from '../../../src/core/diffusion/generation/frechet';
import { gaussian } from '../../../src/core/diffusion/policy/dataset';
import { createRng } from '../../../src/core/util/random';

function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) m[i * n + j] = m[j * n + i] = rng.next() * 2 - 1;
  return m;
}

function stats(mean: number[], cov: number[][]): GaussianStats {
  return { dim: mean.length, count: 100, mean: Float64Array.from(mean), cov: Float64Array.from(cov.flat()) };
}

describe('Fréchet distance', () => {
  it('Jacobi eigendecomposition reconstructs a symmetric matrix: V diag(values) V^T, V orthonormal', () => {
    const n = 12;
    const a = randomSymmetric(n, 3);
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rec = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          rec += vectors[i * n + k] * values[k] * vectors[j * n + k];
          dot += vectors[k * n + i] * vectors[k * n + j];
        }
        assert.ok(Math.abs(rec - a[i * n + j]) < 1e-9, `A[${i},${j}]`);
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-9, `V^T V [${i},${j}]`);
      }
    }
  });

  it('the square root of a PSD matrix squares back to it', () => {
    const n = 8;
    const b = randomSymmetric(n, 5);
    const psd = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) psd[i * n + j] += b[i * n + k] * b[j * n + k];
    const r = symmetricSqrt(psd, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sq = 0;
        for (let k = 0; k < n; k++) sq += r[i * n + k] * r[k * n + j];
        assert.ok(Math.abs(sq - psd[i * n + j]) < 1e-8);
      }
    }
  });

  it('closed forms: 1-D (m1 - m2)^2 + (s1 - s2)^2; diagonal covariances add up per dimension; same Gaussian gives 0', () => {
    assert.ok(Math.abs(frechetDistance(stats([1], [[4]]), stats([3], [[9]])) - (4 + 1)) < 1e-9);
    const d = frechetDistance(stats([0, 1, 2], [[1, 0, 0], [0, 4, 0], [0, 0, 0.25]]), stats([1, 1, 0], [[4, 0, 0], [0, 4, 0], [0, 0, 1]]));
    assert.ok(Math.abs(d - (1 + 1 + 0 + 0 + 4 + 0.25)) < 1e-9, `got ${d}`);
    const full = stats([0.5, -1], [[2, 0.7], [0.7, 1]]);
    assert.ok(frechetDistance(full, full) < 1e-9);
  });

  it('on samples: two draws of one distribution are close, a shifted or rescaled one is far', () => {
    const rng = createRng(9);
    const draw = (n: number, shift: number, scale: number) => Float64Array.from({ length: n * 4 }, (_, i) => shift * (i % 4 === 0 ? 1 : 0) + scale * gaussian(rng));
    const a = featureStats(draw(4000, 0, 1), 4);
    const b = featureStats(draw(4000, 0, 1), 4);
    const shifted = featureStats(draw(4000, 1, 1), 4);
    const wider = featureStats(draw(4000, 0, 2), 4);
    assert.ok(frechetDistance(a, b) < 0.05, `same distribution: ${frechetDistance(a, b)}`);
    assert.ok(Math.abs(frechetDistance(a, shifted) - 1) < 0.15, `mean shift 1: ${frechetDistance(a, shifted)}`);
    assert.ok(Math.abs(frechetDistance(a, wider) - 4) < 0.4, `std 1 -> 2 in 4 dimensions: ${frechetDistance(a, wider)}`);
  });

  it('featureStats: unbiased covariance, and rejects fewer than two rows', () => {
    const s = featureStats([1, 2, 3, 6], 2);
    assert.deepEqual(Array.from(s.mean), [2, 4]);
    assert.deepEqual(Array.from(s.cov), [2, 4, 4, 8]);
    assert.throws(() => featureStats([1, 2], 2), /at least 2 rows/);
  });
});
