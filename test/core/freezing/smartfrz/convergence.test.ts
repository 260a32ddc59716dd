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
  assert.equal(conv.costSoFar().readings, 4);
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
