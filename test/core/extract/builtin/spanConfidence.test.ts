import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bilouTags, viterbiDecode, type TransitionScores } from '../../../../src/core/extract/builtin/bilou';
import { calibrate, expectedCalibrationError, fitCalibration, spanMarginals } from '../../../../src/core/extract/builtin/spanConfidence';

/** Deterministic pseudo-random numbers in [-1, 1). */
function numbers(seed: number, n: number): Float32Array {
  let a = seed;
  return Float32Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return (a / 2147483648) * 2 - 1;
  });
}

test('a span marginal is the probability mass of the tag paths that spell that span (checked against every path)', () => {
  const types = ['Peop', 'Loc'];
  const n = bilouTags(types).length;
  const length = 4;
  const emissions = numbers(3, length * n).map((x) => 2 * x);
  const transitions: TransitionScores = { trans: numbers(5, n * n), start: numbers(7, n), end: numbers(11, n) };
  const spans = viterbiDecode(emissions, length, types, transitions);
  assert.ok(spans.length > 0, 'the decoded path has a span');
  const tags = bilouTags(types);
  // Brute force: the probability of every tag sequence, summed over those that contain the span's tags.
  const paths: { tags: number[]; score: number }[] = [];
  const walk = (prefix: number[]) => {
    if (prefix.length === length) {
      let score = transitions.start[prefix[0]] + transitions.end[prefix[length - 1]];
      prefix.forEach((t, i) => { score += emissions[i * n + t]; if (i > 0) score += transitions.trans[prefix[i - 1] * n + t]; });
      paths.push({ tags: prefix, score });
      return;
    }
    for (let t = 0; t < n; t++) walk([...prefix, t]);
  };
  walk([]);
  const z = paths.reduce((s, p) => s + Math.exp(p.score), 0);
  const marginals = spanMarginals(emissions, length, types, transitions, spans);
  spans.forEach((s, k) => {
    const want = s.end - s.start === 1 ? [`U-${s.type}`] : [`B-${s.type}`, ...Array(s.end - s.start - 2).fill(`I-${s.type}`), `L-${s.type}`];
    const mass = paths.filter((p) => want.every((t, i) => tags[p.tags[s.start + i]] === t)).reduce((sum, p) => sum + Math.exp(p.score), 0);
    assert.ok(Math.abs(marginals[k] - mass / z) < 1e-6, `${marginals[k]} vs ${mass / z}`);
    assert.ok(marginals[k] > 0 && marginals[k] <= 1);
  });
});

test('Platt calibration recovers an over-confident model\'s map and lowers its calibration error', () => {
  // Raw confidences whose true accuracy is sigmoid(0.5 * logit(raw) - 0.5): over-confident.
  const raw = Array.from(numbers(13, 4000), (x) => 0.5 + 0.49 * x);
  const truth = (p: number) => 1 / (1 + Math.exp(-(0.5 * Math.log(p / (1 - p)) - 0.5)));
  const u = numbers(17, raw.length);
  const correct = raw.map((p, i) => (u[i] + 1) / 2 < truth(p));
  const c = fitCalibration(raw, correct);
  assert.ok(Math.abs(c.a - 0.5) < 0.15 && Math.abs(c.b + 0.5) < 0.15, JSON.stringify(c));
  const calibrated = raw.map((p) => calibrate(p, c));
  assert.ok(expectedCalibrationError(calibrated, correct) < expectedCalibrationError(raw, correct) / 2);
  assert.equal(calibrate(0.8, undefined), 0.8);
});
