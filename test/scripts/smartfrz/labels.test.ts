import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DRIFT_LABELS, driftLabels, driftRatioAt, freezeLabels } from '../../../scripts/smartfrz/labels';
import { centeredGram, gramSimilarity } from '../../../src/core/freezing/smartfrz/cka';
import { RepresentationConvergence } from '../../../src/core/freezing/smartfrz/convergence';
import { createRng } from '../../../src/core/util/random';

/**
 * `UnitRecord.back` of a unit whose representation sits at `position(c)` at checkpoint c, with
 * 1 - CKA between two checkpoints their squared distance (as for small changes).
 */
function backOf(position: (c: number) => number[], checkpoints: number, reach = 10): number[][] {
  const p = Array.from({ length: checkpoints }, (_, c) => position(c));
  const dist2 = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
  return p.map((_, c) => Array.from({ length: Math.min(reach, c) }, (_, k) => 1 - dist2(p[c], p[c - k - 1])));
}

const rng = createRng(5);
const noise = () => Array.from({ length: 6 }, () => (rng.next() - 0.5) * 0.02);
/** Around a fixed point with fresh noise at each checkpoint: a layer moving only with the optimizer's noise. */
const jitter = () => noise();
/** A steady step in one direction (plus the same noise): a layer still learning. */
const drift = (c: number) => noise().map((v, i) => v + (i === 0 ? 0.03 * c : 0));

const N = 40;
const steps = Array.from({ length: N }, (_, c) => 40 * (c + 1));
const total = 40 * N;

test('drift labels: a jittering layer is labelled freeze, a drifting one is not, one that stops drifting from when it stops; no label before the span or in the tail', () => {
  const settles = (c: number) => (c < 15 ? drift(c) : drift(15).map((v, i) => v + jitter()[i]));
  const labels = driftLabels([backOf(jitter, N), backOf(drift, N), backOf(settles, N), backOf(jitter, N)], steps, total);
  assert.equal(labels.length, 3, 'the last unit (keepTrainable 1) is no candidate');
  const labelled = labels[0].map((l) => l !== null);
  const first = labelled.indexOf(true);
  assert.equal(first, DRIFT_LABELS.spanCheckpoints, 'no label before the span');
  const last = labelled.lastIndexOf(true);
  assert.ok(steps[last] <= 0.85 * total && steps[last + 1] > 0.85 * total, 'no label in the last 15%');
  const trueFrom = (row: Array<boolean | null>) => row.findIndex((l) => l === true);
  assert.ok(labels[0].every((l) => l === null || l === true), `jitter: ${labels[0]}`);
  assert.ok(labels[1].every((l) => l === null || l === false), `drift: ${labels[1]}`);
  const settled = trueFrom(labels[2]);
  assert.ok(settled > 15 && settled <= 15 + DRIFT_LABELS.spanCheckpoints + 1, `freeze from once the span is past the settling point: ${settled}`);
  assert.ok(labels[2].slice(settled).every((l) => l === null || l === true));
});

test('drift labels look ahead: a reading that dips while the layer goes on drifting is no label', () => {
  const back = backOf(drift, N);
  const c = 12;
  assert.ok(driftRatioAt(back, c, 5) > DRIFT_LABELS.maxRatio, 'drifting');
  // At one checkpoint the span's change reads as small as one step's (a dip of the signal).
  back[c] = [...back[c]];
  back[c][4] = back[c][0];
  assert.ok(driftRatioAt(back, c, 5) <= DRIFT_LABELS.maxRatio, `the dip passes the ratio: ${driftRatioAt(back, c, 5)}`);
  assert.equal(driftLabels([back, back], steps, total)[0][c], false, 'but the run goes on drifting after it');
});

test('the labels measure the policy\'s signal: driftRatioAt over recorded CKAs equals RepresentationConvergence.driftRatio over the same readings', () => {
  const x = tf.randomNormal([48, 5], 0, 1, 'float32', 3);
  const w0 = tf.randomNormal([5, 8], 0, 1, 'float32', 4);
  const d = tf.randomNormal([5, 8], 0, 1, 'float32', 6);
  const weightAt = (t: number) => tf.tidy(() => tf.add(tf.add(w0, tf.mul(d, 0.01 * t)), tf.mul(tf.randomNormal([5, 8], 0, 1, 'float32', 100 + t), 0.05)));
  const conv = new RepresentationConvergence(4);
  const grams: Float32Array[] = [];
  const policyRatios: number[] = [];
  for (let t = 0; t < 12; t++) {
    const w = weightAt(t);
    conv.read((units) => units.map(() => tf.matMul(x, w)), [0]);
    policyRatios.push(conv.driftRatio(0));
    const g = tf.tidy(() => centeredGram(tf.matMul(x, w)));
    grams.push(g.dataSync() as Float32Array);
    tf.dispose([w, g]);
  }
  const back = grams.map((g, c) => Array.from({ length: Math.min(10, c) }, (_, k) => gramSimilarity(g, grams[c - k - 1])));
  for (let c = 0; c < 12; c++) {
    const r = driftRatioAt(back, c, 4);
    if (c < 4) assert.ok(Number.isNaN(r) && Number.isNaN(policyRatios[c]), `NaN before the span (${c})`);
    else assert.ok(Math.abs(r - policyRatios[c]) < 1e-9 * Math.max(1, r), `checkpoint ${c}: labels ${r} vs policy ${policyRatios[c]}`);
  }
  tf.dispose([x, w0, d]);
});

test('the CKA labels the status quo is fitted on are unchanged: stable CKA to the final model, carried front to back', () => {
  // Unit 1 reaches CKA 0.99 to the final model early and stays; unit 0 never does: both labelled freeze (front to back).
  const cka = [Array(N).fill(0.5), steps.map((s) => (s >= 200 ? 0.99 : 0.6)), Array(N).fill(1)];
  const labels = freezeLabels(cka, steps, total);
  assert.equal(labels[0][10], true);
  assert.equal(labels[1][10], true);
  assert.equal(labels[1][3], false);
});
