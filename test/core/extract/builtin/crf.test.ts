import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../../src/core/tensor/backend';
import { bilouTags, viterbiDecode } from '../../../../src/core/extract/builtin/bilou';
import { FORBIDDEN, crfConstraints, crfLoss, crfTransitionScores } from '../../../../src/core/extract/builtin/crf';

const TYPES = ['A', 'B'];
const N = bilouTags(TYPES).length;

/** Deterministic pseudo-random values in [-2, 2). */
function values(count: number, seed: number): Float32Array {
  let a = seed;
  return Float32Array.from({ length: count }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return (a / 2147483648) * 4 - 2;
  });
}

/** Every tag sequence of length `len` with its total score (emissions + transitions + start + end). */
function allPaths(em: Float32Array, len: number, s: { trans: Float32Array; start: Float32Array; end: Float32Array }): { path: number[]; score: number }[] {
  const out: { path: number[]; score: number }[] = [];
  const rec = (path: number[]) => {
    if (path.length === len) {
      let score = s.start[path[0]] + s.end[path[len - 1]];
      path.forEach((y, t) => { score += em[t * N + y]; if (t > 0) score += s.trans[path[t - 1] * N + y]; });
      out.push({ path, score });
      return;
    }
    for (let y = 0; y < N; y++) rec([...path, y]);
  };
  rec([]);
  return out;
}

const logSumExp = (xs: number[]) => { const m = Math.max(...xs); return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0)); };

test('CRF loss equals the negative log-likelihood from enumerating every tag path (padded batch)', async () => {
  await initBackend('cpu');
  const L = 3;
  const constraints = crfConstraints(TYPES);
  const learned = { trans: values(N * N, 7), start: values(N, 8), end: values(N, 9) };
  const scores = crfTransitionScores(learned, constraints);
  // Sentence 0 has 3 tokens, sentence 1 has 2 (its third position is padding and must not count).
  const em = values(2 * L * N, 11);
  const gold = [[1, 3, 0], [4, 0]];
  let expected = 0;
  gold.forEach((tags, b) => {
    const emB = em.slice(b * L * N, (b * L + tags.length) * N);
    const paths = allPaths(emB, tags.length, scores);
    const goldScore = paths.find((p) => p.path.join() === tags.join())!.score;
    expected += logSumExp(paths.map((p) => p.score)) - goldScore;
  });
  expected /= 5;
  const loss = crfLoss(tf.tensor3d(em, [2, L, N]), gold, { trans: tf.tensor2d(learned.trans, [N, N]), start: tf.tensor1d(learned.start), end: tf.tensor1d(learned.end) }, constraints);
  assert.ok(Math.abs(loss.dataSync()[0] - expected) < 1e-3, `${loss.dataSync()[0]} vs ${expected}`);
});

test('CRF Viterbi decoding returns the highest-scoring well-formed path', () => {
  const constraints = crfConstraints(TYPES);
  const scores = crfTransitionScores({ trans: values(N * N, 3), start: values(N, 4), end: values(N, 5) }, constraints);
  const tags = bilouTags(TYPES);
  for (let seed = 20; seed < 30; seed++) {
    const em = values(4 * N, seed);
    const best = allPaths(em, 4, scores).reduce((a, b) => (b.score > a.score ? b : a));
    assert.ok(best.score > FORBIDDEN / 2, 'a well-formed path exists');
    const spans = viterbiDecode(em, 4, TYPES, scores);
    const decoded = new Array<string>(4).fill('O');
    for (const s of spans) {
      if (s.end - s.start === 1) decoded[s.start] = `U-${s.type}`;
      else { decoded[s.start] = `B-${s.type}`; for (let i = s.start + 1; i < s.end - 1; i++) decoded[i] = `I-${s.type}`; decoded[s.end - 1] = `L-${s.type}`; }
    }
    assert.deepEqual(decoded, best.path.map((y) => tags[y]));
  }
});

test('gradient steps on the CRF loss make the gold path the decoded one', async () => {
  await initBackend('cpu');
  const constraints = crfConstraints(TYPES);
  const em = tf.variable(tf.tensor3d(values(5 * N, 1), [1, 5, N]));
  const crf = { trans: tf.variable(tf.zeros([N, N])), start: tf.variable(tf.zeros([N])), end: tf.variable(tf.zeros([N])) };
  const gold = [[1, 2, 3, 0, 8]]; // B-A I-A L-A O U-B
  const opt = tf.train.adam(0.1);
  const first = crfLoss(em, gold, crf, constraints).dataSync()[0];
  for (let i = 0; i < 50; i++) opt.minimize(() => crfLoss(em, gold, crf, constraints), false, [em, crf.trans, crf.start, crf.end]);
  const last = crfLoss(em, gold, crf, constraints).dataSync()[0];
  assert.ok(last < first / 4, `loss ${first} -> ${last}`);
  const scores = crfTransitionScores({ trans: crf.trans.dataSync() as Float32Array, start: crf.start.dataSync() as Float32Array, end: crf.end.dataSync() as Float32Array }, constraints);
  const spans = viterbiDecode(em.dataSync() as Float32Array, 5, TYPES, scores);
  assert.deepEqual(spans.map(({ type, start, end }) => [type, start, end]), [['A', 0, 3], ['B', 4, 5]]);
});
