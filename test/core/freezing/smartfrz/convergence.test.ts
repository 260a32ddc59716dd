import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ProbeOutputs } from '../../../../src/core/freezing/policy';
import { centeredGram, gramSimilarity } from '../../../../src/core/freezing/smartfrz/cka';
import { RepresentationConvergence } from '../../../../src/core/freezing/smartfrz/convergence';

const gramOf = (x: tf.Tensor) => {
  const g = centeredGram(x);
  const v = g.dataSync() as Float32Array;
  g.dispose();
  return v;
};

test('gramSimilarity is linear CKA: 1 for the same or a rescaled representation, 0 against a constant one', () => {
  const x = tf.randomNormal([30, 6], 0, 1, 'float32', 1);
  const y = tf.randomNormal([30, 6], 0, 1, 'float32', 2);
  assert.ok(Math.abs(gramSimilarity(gramOf(x), gramOf(x)) - 1) < 1e-6);
  assert.ok(Math.abs(gramSimilarity(gramOf(x), gramOf(tf.mul(x, 4))) - 1) < 1e-5);
  // The feature-space form of linear CKA: ||Yc^T Xc||^2 / (||Xc^T Xc|| ||Yc^T Yc||).
  const [xc, yc] = [x, y].map((m) => tf.sub(m, tf.mean(m, 0, true)));
  const fro = (a: tf.Tensor, b: tf.Tensor) => tf.norm(tf.matMul(a, b, true, false)).dataSync()[0];
  const featureCka = fro(yc, xc) ** 2 / (fro(xc, xc) * fro(yc, yc));
  assert.ok(Math.abs(gramSimilarity(gramOf(x), gramOf(y)) - featureCka) < 1e-5);
  assert.ok(featureCka > 0.05 && featureCka < 0.95, `two random representations are neither equal nor unrelated: ${featureCka}`);
  assert.equal(gramSimilarity(gramOf(x), gramOf(tf.ones([30, 6]))), 0);
  assert.throws(() => gramSimilarity(new Float32Array(4), new Float32Array(9)), /different sizes/);
  tf.dispose([x, y, xc, yc]);
});

/** A probe over a fixed input batch through one linear layer per unit, with weights the test sets. */
function linearProbe(weights: tf.Tensor2D[]): { probe: ProbeOutputs; calls: number[][] } {
  const x = tf.randomNormal([64, 5], 0, 1, 'float32', 3);
  const calls: number[][] = [];
  return { calls, probe: (units) => { calls.push([...units]); return units.map((u) => tf.matMul(x, weights[u])); } };
}

test('identical weights read as converged (CKA 1), a layer still moving does not', () => {
  const w0 = tf.randomNormal([5, 8], 0, 1, 'float32', 4) as tf.Tensor2D;
  const weights = [w0, tf.randomNormal([5, 8], 0, 1, 'float32', 5) as tf.Tensor2D];
  const { probe, calls } = linearProbe(weights);
  const conv = new RepresentationConvergence();
  assert.ok(conv.read(probe, [0, 1]).every(Number.isNaN), 'no previous reading yet');
  // Unit 0 keeps its weights; unit 1 takes a large step.
  weights[1] = tf.add(weights[1], tf.randomNormal([5, 8], 0, 1.5, 'float32', 6)) as tf.Tensor2D;
  const [same, moved] = conv.read(probe, [0, 1]);
  assert.ok(Math.abs(same - 1) < 1e-6, `unchanged layer: CKA ${same}`);
  assert.ok(moved < 0.95, `moving layer: CKA ${moved}`);
  assert.equal(conv.similarity(0), same);
  // A small step reads between the two.
  weights[1] = tf.add(weights[1], tf.randomNormal([5, 8], 0, 0.05, 'float32', 7)) as tf.Tensor2D;
  const [, small] = conv.read(probe, [0, 1]);
  assert.ok(small > 0.99 && small < 1, `small step: CKA ${small}`);
  // Units no longer read (frozen) are forgotten.
  conv.read(probe, [1]);
  assert.ok(Number.isNaN(conv.similarity(0)));
  assert.deepEqual(calls, [[0, 1], [0, 1], [0, 1], [1]]);
  assert.ok(tf.memory().numTensors < 50, 'probe outputs and Grams are disposed');
  tf.dispose(weights);
});

test('save/load keeps the previous readings, so a resumed run measures the same change', () => {
  const weights = [tf.randomNormal([5, 8], 0, 1, 'float32', 8) as tf.Tensor2D];
  const { probe } = linearProbe(weights);
  const a = new RepresentationConvergence();
  a.read(probe, [0]);
  const b = new RepresentationConvergence();
  b.load(JSON.parse(JSON.stringify(a.save())));
  assert.ok(Number.isNaN(b.similarity(0)), 'NaN survives JSON (as null)');
  weights[0] = tf.add(weights[0], tf.randomNormal([5, 8], 0, 0.3, 'float32', 9)) as tf.Tensor2D;
  assert.deepEqual(b.read(probe, [0]), a.read(probe, [0]));
  b.load(undefined);
  assert.ok(Number.isNaN(b.read(probe, [0])[0]), 'an older checkpoint without readings starts over');
  tf.dispose(weights);
});

/**
 * Weight trajectories over 16 readings of a linear layer: `jitter` moves around a fixed point
 * (fresh noise each reading, as a layer under a constant-rate optimizer's noise), `drift` moves
 * a little each reading in one direction (as a layer still learning).
 */
function trajectories(): { jitter: (t: number) => tf.Tensor2D; drift: (t: number) => tf.Tensor2D; dispose: () => void } {
  const w0 = tf.randomNormal([5, 8], 0, 1, 'float32', 21) as tf.Tensor2D;
  const d = tf.randomNormal([5, 8], 0, 1, 'float32', 22) as tf.Tensor2D;
  return {
    jitter: (t) => tf.tidy(() => tf.add(w0, tf.mul(tf.randomNormal([5, 8], 0, 1, 'float32', 1000 + t), 0.15))) as tf.Tensor2D,
    drift: (t) => tf.tidy(() => tf.add(w0, tf.mul(d, 0.002 * t))) as tf.Tensor2D,
    dispose: () => tf.dispose([w0, d]),
  };
}

test('drift ratio: a jittering layer changes over 8 readings about as much as over one, a drifting one far more (although it moves less per reading); a checkpoint resumes it exactly', () => {
  const { jitter, drift, dispose } = trajectories();
  const weights: tf.Tensor2D[] = [jitter(0), drift(0)];
  const { probe } = linearProbe(weights);
  const c = new RepresentationConvergence(8);
  const ratios: number[][] = [];
  const sims: number[][] = [];
  let saved: ReturnType<RepresentationConvergence['save']> | undefined;
  for (let t = 0; t < 16; t++) {
    tf.dispose(weights.splice(0, 2, jitter(t), drift(t)));
    sims.push(c.read(probe, [0, 1]));
    ratios.push([c.driftRatio(0), c.driftRatio(1)]);
    if (t === 10) saved = JSON.parse(JSON.stringify(c.save()));
  }
  for (let t = 0; t < 8; t++) assert.ok(Number.isNaN(ratios[t][0]) && Number.isNaN(ratios[t][1]), `no ratio before 9 readings (reading ${t})`);
  for (let t = 8; t < 16; t++) {
    const [j, d] = ratios[t];
    assert.ok(j > 0.3 && j < 3, `jitter ratio ${j} at reading ${t}`);
    assert.ok(d > 30, `drift ratio ${d} at reading ${t}`);
    // The absolute signal ranks them the other way round: the drifting layer looks more converged.
    assert.ok(sims[t][1] > sims[t][0], `per-reading CKA drift ${sims[t][1]} vs jitter ${sims[t][0]}`);
  }
  // Resumed from the checkpoint after reading 10: the same ratios as the uninterrupted run.
  const weights2: tf.Tensor2D[] = [jitter(10), drift(10)];
  const resumed = new RepresentationConvergence(8);
  resumed.load(saved);
  const { probe: probe2 } = linearProbe(weights2);
  for (let t = 11; t < 16; t++) {
    tf.dispose(weights2.splice(0, 2, jitter(t), drift(t)));
    resumed.read(probe2, [0, 1]);
    assert.deepEqual([resumed.driftRatio(0), resumed.driftRatio(1)], ratios[t]);
  }
  // A layer that does not move at all: ratio 0 (stable), not NaN.
  const still = new RepresentationConvergence(2);
  for (let t = 0; t < 3; t++) still.read(probe2, [0]);
  assert.equal(still.driftRatio(0), 0);
  assert.throws(() => new RepresentationConvergence(0), /span must be an integer >= 1/);
  tf.dispose([...weights, ...weights2]);
  dispose();
});

test('a span per unit: each unit keeps its own span\'s readings and measures its ratio over it, as one-span instances would, through a checkpoint too', () => {
  const { jitter, drift, dispose } = trajectories();
  const weights: tf.Tensor2D[] = [jitter(0), drift(0)];
  const { probe } = linearProbe(weights);
  const both = new RepresentationConvergence((u) => (u === 1 ? 8 : 4));
  const four = new RepresentationConvergence(4);
  const eight = new RepresentationConvergence(8);
  let resumed: RepresentationConvergence | undefined;
  for (let t = 0; t < 14; t++) {
    tf.dispose(weights.splice(0, 2, jitter(t), drift(t)));
    both.read(probe, [0, 1]);
    four.read(probe, [0]);
    eight.read(probe, [1]);
    resumed?.read(probe, [0, 1]);
    assert.deepEqual([both.driftRatio(0), both.driftRatio(1)], [four.driftRatio(0), eight.driftRatio(1)], `reading ${t}`);
    if (resumed) assert.deepEqual([resumed.driftRatio(0), resumed.driftRatio(1)], [both.driftRatio(0), both.driftRatio(1)]);
    if (t === 5) {
      const saved = JSON.parse(JSON.stringify(both.save()));
      assert.equal(saved.earlier['0'].length, 3, 'unit 0 keeps its 4 readings');
      assert.equal(saved.earlier['1'].length, 5, 'unit 1 keeps its 8 (6 so far)');
      resumed = new RepresentationConvergence((u) => (u === 1 ? 8 : 4));
      resumed.load(saved);
    }
  }
  assert.ok(Number.isNaN(new RepresentationConvergence((u) => u).driftRatio(3)));
  assert.throws(() => new RepresentationConvergence(() => 0).read(probe, [0]), /span must be an integer >= 1/);
  tf.dispose(weights);
  dispose();
});
