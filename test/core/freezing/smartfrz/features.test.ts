import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compress, directedness, quantileFeature, speedFeature, windowFeatures } from '../../../../src/core/freezing/smartfrz/features';

function randomVector(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** Weights w(t) = base + perStep * t * direction, sampled every `every` steps for `n` snapshots. */
function drift(n: number, every: number, perStep: number, size = 256): Float32Array[] {
  const base = randomVector(size, 11);
  const dir = randomVector(size, 29);
  return Array.from({ length: n }, (_, k) => base.map((b, i) => b + perStep * k * every * dir[i]));
}

/** Weights jittering around a fixed point (a converged layer under noisy updates). */
function jitter(n: number, amplitude: number, size = 256): Float32Array[] {
  const base = randomVector(size, 11);
  return Array.from({ length: n }, (_, k) => {
    const noise = randomVector(size, 100 + k);
    return base.map((b, i) => b + amplitude * noise[i]);
  });
}

const close = (a: Float32Array, b: Float32Array, tol = 1e-5) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < tol);

test('compress is odd, monotone, 0 at 0 and ±1 at ±30', () => {
  assert.equal(compress(0), 0);
  assert.ok(Math.abs(compress(30) - 1) < 1e-12);
  assert.ok(Math.abs(compress(-30) + 1) < 1e-12);
  assert.ok(compress(2) > compress(1) && compress(1) > compress(0.01) && compress(0.01) > 0);
  assert.equal(compress(-0.3), -compress(0.3));
});

test('quantileFeature ignores the order of the sampled values', () => {
  const v = randomVector(1024, 3);
  const reversed = Float32Array.from(v).reverse();
  assert.deepEqual(quantileFeature(v, 64), quantileFeature(reversed, 64));
  const q = quantileFeature(v, 64);
  for (let i = 1; i < q.length; i++) assert.ok(q[i] >= q[i - 1], 'quantiles ascend');
});

test('windowFeatures do not depend on the snapshot spacing, the weight scale or the learning rate', () => {
  // The same steady drift per optimizer step, seen through snapshots 2 and 8 steps apart.
  const every2 = windowFeatures(drift(12, 2, 1e-3), 16, 2, 29);
  const every8 = windowFeatures(drift(12, 8, 1e-3), 16, 8, 29);
  assert.ok(close(every2.query.subarray(0, 16), every8.query.subarray(0, 16)), 'newest movement');
  assert.ok(close(every2.keys, every8.keys), 'keys (displacements and ages)');
  // Per-step speed: equal up to the newest snapshot's weight scale (the 8-step window ends later).
  assert.ok(Math.abs(every2.query[16] - every8.query[16]) < 2e-3);
  // Weights 7x larger moving 7x faster: the same relative motion.
  const scaled = drift(12, 2, 1e-3).map((s) => s.map((x) => 7 * x));
  assert.ok(close(windowFeatures(scaled, 16, 2, 29).keys, every2.keys));
  assert.ok(close(windowFeatures(scaled, 16, 2, 29).query, every2.query));
  // Three times faster: same trajectory shape (keys), speed up by log10(3) / 2.
  const faster = windowFeatures(drift(12, 2, 3e-3), 16, 2, 29);
  assert.ok(close(faster.keys, every2.keys));
  assert.ok(Math.abs(faster.query[16] - every2.query[16] - Math.log10(3) / 2) < 2e-3);
});

test('windowFeatures tell a drifting layer from one jittering around a converged point', () => {
  const moving = windowFeatures(drift(30, 4, 1e-3), 16, 4, 29);
  const settled = windowFeatures(jitter(30, 1e-3), 16, 4, 29);
  // Oldest snapshot's displacement from the newest (largest quantile bucket): a drift travels
  // ~29 interval-lengths, a jitter stays within a couple.
  const oldestTop = (f: ReturnType<typeof windowFeatures>) => f.keys[15];
  assert.ok(oldestTop(moving) > 0.9, `drift ${oldestTop(moving)}`);
  assert.ok(oldestTop(settled) < 0.5, `jitter ${oldestTop(settled)}`);
  // Ages: oldest 1 (29 intervals of a 30-snapshot window), newest older snapshot 1/29.
  assert.ok(Math.abs(moving.keys[16] - 1) < 1e-7 && Math.abs(moving.keys[28 * 17 + 16] - 1 / 29) < 1e-7);
  assert.equal(moving.older, 29);
  assert.equal(moving.query.length, 17);
});

test('directedness: sqrt(n - 1) for a steady drift, below 1 for a jitter, whatever the scale', () => {
  assert.ok(Math.abs(directedness(drift(30, 4, 1e-3)) - Math.sqrt(29)) < 1e-3);
  assert.ok(Math.abs(directedness(drift(30, 1, 1e-1)) - Math.sqrt(29)) < 1e-3, 'scale and spacing free');
  const j = directedness(jitter(30, 1e-3));
  assert.ok(j > 0 && j < 1, `jitter ${j}`);
  assert.equal(directedness(drift(5, 1, 0)), 0, 'no motion');
  assert.equal(directedness(drift(1, 1, 1e-3)), 0, 'one snapshot');
});

test('a window that does not move has zero displacements and the lowest speed', () => {
  const w = drift(1, 1, 0)[0];
  const still = windowFeatures([w, w, w], 16, 4);
  assert.ok(still.query.subarray(0, 16).every((x) => x === 0));
  assert.equal(still.query[16], -2);
  assert.equal(speedFeature(1e-3 * 4 * 0.5, 0.5, 4), 0, 'per-step relative speed 1e-3 maps to 0');
  assert.throws(() => windowFeatures([w], 16, 4), /at least 2/);
});
