import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { quantileFeature, signedLog, windowFeatures } from '../../../../src/core/freezing/smartfrz/features';

function randomVector(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

test('signedLog is odd, monotone, 0 at 0 and ±1 at ±1', () => {
  assert.equal(signedLog(0), 0);
  assert.ok(Math.abs(signedLog(1) - 1) < 1e-12);
  assert.ok(Math.abs(signedLog(-1) + 1) < 1e-12);
  assert.ok(signedLog(1e-3) > signedLog(1e-4) && signedLog(1e-4) > 0);
  assert.equal(signedLog(-0.3), -signedLog(0.3));
});

test('quantileFeature ignores the order of the sampled values', () => {
  const v = randomVector(1024, 3);
  const reversed = Float32Array.from(v).reverse();
  assert.deepEqual(quantileFeature(v, 64), quantileFeature(reversed, 64));
  const q = quantileFeature(v, 64);
  for (let i = 1; i < q.length; i++) assert.ok(q[i] >= q[i - 1], 'quantiles ascend');
});

test('windowFeatures measure motion relative to the weight scale', () => {
  const window = [0, 1, 2, 3].map((k) => {
    const base = randomVector(256, 11);
    const drift = randomVector(256, 20 + k);
    return base.map((b, i) => b + 0.01 * k * drift[i]);
  });
  const scaled = window.map((s) => s.map((x) => 7 * x));
  const a = windowFeatures(window, 16);
  const b = windowFeatures(scaled, 16);
  assert.equal(a.older, 3);
  assert.equal(a.keys.length, 3 * 17);
  for (let i = 0; i < a.keys.length; i++) assert.ok(Math.abs(a.keys[i] - b.keys[i]) < 1e-5);
  for (let i = 0; i < a.query.length; i++) assert.ok(Math.abs(a.query[i] - b.query[i]) < 1e-5);
  // Ages: oldest 1, newest older snapshot 1/3.
  assert.ok(Math.abs(a.keys[16] - 1) < 1e-7 && Math.abs(a.keys[2 * 17 + 16] - 1 / 3) < 1e-7);
  // A window that does not move has all-zero displacement features.
  const still = windowFeatures([window[0], window[0], window[0]], 16);
  assert.ok(still.query.every((x) => x === 0));
  assert.throws(() => windowFeatures([window[0]], 16), /at least 2/);
});
