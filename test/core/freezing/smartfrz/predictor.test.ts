import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AttentionPredictor, DEFAULT_PREDICTOR_CONFIG } from '../../../../src/core/freezing/smartfrz/predictor';
import {
  defaultPredictorPath,
  loadPredictor,
  predictorFromFile,
  predictorToFile,
  savePredictor,
} from '../../../../src/core/freezing/smartfrz/predictorFile';

const small = { ...DEFAULT_PREDICTOR_CONFIG, sampleSize: 64, quantiles: 8, hidden: 12, dModel: 6, outHidden: 5 };

/** A window of `n` snapshots of `s` values drifting at `speed` per snapshot. */
function window(n: number, s: number, speed: number, seed: number): Float32Array[] {
  const base = Array.from({ length: s }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.3);
  return Array.from({ length: n }, (_, k) => Float32Array.from(base, (b, i) => b + speed * k * Math.cos(i * 7.1 + seed)));
}

test('forward gives [B] probabilities in [0, 1] and attention rows that sum to 1', () => {
  const p = new AttentionPredictor(small, undefined, 3);
  const batch = p.featureBatch([window(5, 64, 0.01, 1), window(5, 64, 0.2, 2), window(5, 64, 0, 3)]);
  const out = p.forward(batch);
  assert.deepEqual(out.prob.shape, [3]);
  assert.deepEqual(out.logits.shape, [3, 2]);
  assert.deepEqual(out.attention.shape, [3, 4]);
  for (const v of out.prob.dataSync()) assert.ok(v >= 0 && v <= 1 && Number.isFinite(v));
  const rows = tf.sum(out.attention, 1).dataSync();
  for (const r of rows) assert.ok(Math.abs(r - 1) < 1e-5);
  tf.dispose([batch.query, batch.keys, out.prob, out.logits, out.attention, rows as unknown as tf.Tensor]);
  p.dispose();
});

test('the weights file round-trips exactly', async () => {
  const p = new AttentionPredictor(small, undefined, 5);
  const windows = [window(4, 64, 0.05, 7), window(4, 64, 0.001, 8)];
  const before = await p.predict(windows);
  const doc = JSON.parse(JSON.stringify(await predictorToFile(p, { note: 'test' })));
  const q = predictorFromFile(doc);
  assert.deepEqual(q.config, small);
  assert.deepEqual(await q.predict(windows), before);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfz-'));
  const file = path.join(dir, 'p.json');
  await savePredictor(p, file);
  assert.deepEqual(await loadPredictor(file).predict(windows), before);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.throws(() => predictorFromFile({ format: 'other' }), /not a SmartFRZ predictor/);
  assert.throws(() => predictorFromFile({ ...doc, version: 1 }), /version 1 .*smartfrz:build/);
  const broken = { ...doc, weights: { ...doc.weights } };
  delete broken.weights.o2;
  assert.throws(() => predictorFromFile(broken), /lack layer "o2"/);
  assert.equal(q.calibration, undefined, 'a file without calibration');
  p.calibration = { threshold: 0.65, accuracyTolerance: 0.5, maxDirectedness: 3.2 };
  const withCal = JSON.parse(JSON.stringify(await predictorToFile(p)));
  const r = predictorFromFile(withCal);
  assert.deepEqual(r.calibration, p.calibration);
  assert.throws(() => predictorFromFile({ ...withCal, calibration: { threshold: 'high' } }), /calibration\.threshold must be a number/);
  // A per-layer-type calibration round-trips; a bad conv bound names its field.
  p.calibration = { threshold: 0.4, minLayerSimilarity: 0.999, minConvSimilarity: 0.9999, probeEvery: 50, stableReadings: 1, maxDirectedness: 3.2 };
  assert.deepEqual(predictorFromFile(JSON.parse(JSON.stringify(await predictorToFile(p)))).calibration, p.calibration);
  assert.throws(() => predictorFromFile({ ...withCal, calibration: { minConvSimilarity: -1 } }), /calibration\.minConvSimilarity must be a number/);
  p.dispose();
  q.dispose();
  r.dispose();
});

test('the shipped weights are found from src/ and from dist/, load, and give finite probabilities', async () => {
  const shipped = defaultPredictorPath();
  const root = path.dirname(path.dirname(path.dirname(shipped)));
  assert.ok(fs.existsSync(path.join(root, 'package.json')));
  assert.equal(defaultPredictorPath(path.join(root, 'dist')), shipped);
  const p = loadPredictor();
  assert.equal(p.config.sampleSize, 1024);
  // The shipped predictor carries the decision settings chosen on its calibration pairs.
  assert.ok(p.calibration && p.calibration.threshold! > 0 && p.calibration.threshold! < 1, `calibrated threshold (${JSON.stringify(p.calibration)})`);
  assert.ok(p.calibration.minLayerSimilarity! > 0 && p.calibration.minLayerSimilarity! <= 1 && Number.isFinite(p.calibration.maxDirectedness));
  assert.equal(p.calibration.accuracyTolerance, undefined, 'the per-layer signal replaced the accuracy guard');
  const probs = await p.predict([window(30, 1024, 0.02, 1), window(30, 1024, 1e-5, 2)]);
  assert.equal(probs.length, 2);
  for (const v of probs) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1);
  // Partial windows (a unit recorded for fewer than W snapshots) work too.
  const [short] = await p.predict([window(3, 1024, 0.02, 1)]);
  assert.ok(Number.isFinite(short));
  p.dispose();
});
