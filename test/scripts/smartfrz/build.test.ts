import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CALIBRATION_EPOCHS_SCALE, calibrationEpochs, chooseDecision, driftLabelThresholds, MIN_MEAN_SAVED, seedMeanLoss, tolerancePairs } from '../../../scripts/smartfrz/build';

const row = (threshold: number, minLayerSimilarity: number, meanLoss: number, worstLoss: number, pairsBeyond: number, meanSaved: number) => ({ threshold, minLayerSimilarity, meanLoss, worstLoss, pairsBeyond, meanSaved });

test('the calibrated decision saves the most with mean loss <= 0.25 and at most one pair beyond 0.5 points', () => {
  const rows = [
    row(0.5, 0.95, 0.1, 2.25, 2, 0.4), // saves most, but two pairs lose more than 0.5 points
    row(0.5, 0.98, 0.3, 0.4, 0, 0.3), // mean loss above 0.25
    row(0.8, 0.98, 0.2, 3, 1, 0.2), // one pair beyond the bound (3 points): allowed
    row(0.65, 0.99, -0.3, 0, 0, 0.1),
  ];
  assert.deepEqual(chooseDecision(rows), rows[2]);
});

test('one pair far beyond the bound under every decision no longer forces the most cautious one', () => {
  // As g091 in round 6 (illustrative rows): one pair loses 3 points whatever the decision.
  const rows = [row(0.8, 0.999, 0.09, 3, 1, 0.068), row(0.8, 0.99, 0.11, 3, 2, 0.074), row(0.4, 0.99, 0.17, 3, 1, 0.078)];
  assert.deepEqual(chooseDecision(rows), rows[2]);
});

test('when no decision qualifies, the safest: fewest pairs beyond, then worst loss, mean loss, savings', () => {
  const rows = [row(0.5, 0.95, 0.4, 3, 3, 0.4), row(0.8, 0.99, 0.3, 3, 2, 0.1), row(0.8, 0.995, 0.3, 3, 2, 0.05), row(0.4, 0.98, 0.2, 2, 4, 0.5)];
  assert.deepEqual(chooseDecision(rows), rows[1]);
  assert.equal(chooseDecision([]), undefined);
});

test('ties in savings go to the safer decision: higher threshold, then higher layer similarity, then more stable readings', () => {
  const rows = [row(0.5, 0.999, 0, 0, 0, 0.2), row(0.8, 0.98, 0, 0, 0, 0.2), row(0.8, 0.995, 0, 0, 0, 0.2)];
  assert.deepEqual(chooseDecision(rows), rows[2]);
  const stable = [{ ...row(0, 0.99, 0, 0, 0, 0.2), stableReadings: 1 }, { ...row(0, 0.99, 0, 0, 0, 0.2), stableReadings: 3 }];
  assert.deepEqual(chooseDecision(stable), stable[1]);
});

test('a tie between the CKA bounds and the drift signal goes to the CKA decision (the status quo), then the lower ratio, then the longer span', () => {
  const base = row(0.8, 0.999, 0.1, 0.4, 0, 0.2);
  const rows = [{ ...base, maxDriftRatio: 4, driftSpan: 8 }, { ...base, maxDriftRatio: 2, driftSpan: 4 }, { ...base, maxDriftRatio: 2, driftSpan: 8 }, base];
  assert.deepEqual(chooseDecision(rows), base);
  assert.deepEqual(chooseDecision(rows.slice(0, 3)), rows[2]);
  // Saving more within the targets wins whatever the signal.
  const more = { ...base, maxDriftRatio: 4, driftSpan: 4, meanSaved: 0.3 };
  assert.deepEqual(chooseDecision([...rows, more]), more);
});

test('minimum-savings clause: a decision that freezes (almost) nothing does not win by it while another saves at least MIN_MEAN_SAVED', () => {
  assert.equal(MIN_MEAN_SAVED, 0.05, 'declared in docs/smartfrz.md before the round-10 build');
  // As round 9's drift grid: the savers miss a target, the do-nothing decisions meet every one.
  const nothing = row(0.8, 0.999, 0, 0, 0, 0);
  const little = row(0.8, 0.999, 0.01, 0.13, 0, 0.049);
  const saverOneBeyond = row(0.8, 0.999, 0.3, 3.19, 1, 0.12); // mean loss above 0.25
  const saverTwoBeyond = row(0.5, 0.999, 0.2, 1.2, 2, 0.2);
  assert.deepEqual(chooseDecision([nothing, little, saverOneBeyond, saverTwoBeyond]), saverOneBeyond, 'the safest of the decisions that save');
  // Among savers within the targets, the most saved, as before.
  const saverWithin = row(0.8, 0.999, 0.2, 0.9, 1, 0.06);
  assert.deepEqual(chooseDecision([nothing, little, saverOneBeyond, saverWithin]), saverWithin);
  // When no decision saves that much, the rule as before (here: the most saved within the targets).
  assert.deepEqual(chooseDecision([nothing, little]), little);
});

test('round 10: ties go to the status quo\'s CKA-labelled predictor, then the higher threshold, then the longer conv drift span', () => {
  const base = { ...row(0.8, 0.999, 0.1, 0.4, 0, 0.2), maxDriftRatio: 4, driftSpan: 4 };
  const statusQuo = { ...base, labels: 'cka' as const };
  const drift = [{ ...base, labels: 'drift' as const, threshold: 0.5 }, { ...base, labels: 'drift' as const }, { ...base, labels: 'drift' as const, convDriftSteps: 400 }];
  assert.deepEqual(chooseDecision([...drift, statusQuo]), statusQuo);
  assert.deepEqual(chooseDecision(drift), drift[2]);
  assert.deepEqual(chooseDecision(drift.slice(0, 2)), drift[1]);
});

test('the decision is chosen on the cheapest calibration pairs plus every CNN calibration pair, in cost order', () => {
  const runs = [
    { id: 'g003-mlp', family: 'mlp', seconds: 27 },
    { id: 'g031-cnn', family: 'cnn', seconds: 30 },
    { id: 'g055-mlp', family: 'mlp', seconds: 1 },
    { id: 'g071-cnn', family: 'cnn', seconds: 9 },
    { id: 'g099-cnn', family: 'cnn', seconds: 6 },
    { id: 'g083-mlp', family: 'mlp', seconds: 2 },
    { id: 'g011-mlp', family: 'mlp', seconds: 50 },
  ];
  assert.deepEqual(tolerancePairs(runs, 3).map((r) => r.id), ['g055-mlp', 'g083-mlp', 'g099-cnn', 'g071-cnn', 'g031-cnn']);
  assert.deepEqual(tolerancePairs(runs, 0).map((r) => r.id), ['g099-cnn', 'g071-cnn', 'g031-cnn'], 'CNNs even when no cheap pair is asked for');
  assert.deepEqual(tolerancePairs(runs, 10).map((r) => r.id), ['g055-mlp', 'g083-mlp', 'g099-cnn', 'g071-cnn', 'g003-mlp', 'g031-cnn', 'g011-mlp'], 'each pair once');
});

test('the shipped predictor carries the decision the rule picks from its own calibration table (no hand edits)', () => {
  const root = path.resolve(__dirname, '..', '..', '..');
  const predictor = JSON.parse(fs.readFileSync(path.join(root, 'models/smartfrz/predictor.json'), 'utf8'));
  const dataset = JSON.parse(fs.readFileSync(path.join(root, 'models/smartfrz/dataset.json'), 'utf8'));
  const chosen = chooseDecision(dataset.calibration.decisions)!;
  assert.ok(chosen, 'dataset.json has a decisions table');
  assert.equal(predictor.calibration.threshold, chosen.threshold);
  assert.equal(predictor.calibration.minLayerSimilarity, chosen.minLayerSimilarity);
  assert.equal(predictor.calibration.minConvSimilarity, (chosen as { minConvSimilarity?: number }).minConvSimilarity);
  assert.equal(predictor.calibration.stableReadings, chosen.stableReadings);
  assert.equal(predictor.calibration.maxDriftRatio, (chosen as { maxDriftRatio?: number }).maxDriftRatio);
  assert.equal(predictor.calibration.driftSpan, (chosen as { driftSpan?: number }).driftSpan);
  assert.equal(predictor.calibration.convDriftSteps, (chosen as { convDriftSteps?: number }).convDriftSteps);
  assert.equal(predictor.training.labelKind, (chosen as { labels?: string }).labels, 'the predictor fitted on the chosen labels ships');
  assert.equal(predictor.calibration.probeEvery, 50, 'read every 50 steps (declared, not calibrated)');
  assert.equal(predictor.calibration.accuracyTolerance, undefined, 'the per-layer signal replaced the accuracy guard');
  assert.deepEqual(predictor.training.calibration.decisions, dataset.calibration.decisions);
  const cnnCalibrationPairs = dataset.runs.filter((r: { role: string; id: string }) => r.role === 'calibrate' && r.id.includes('-cnn-')).map((r: { id: string }) => r.id);
  const decidedOn = dataset.calibration.tolerancePairs.map((r: { pair: string }) => r.pair);
  assert.ok(cnnCalibrationPairs.length >= 5, `several CNN calibration pairs: ${cnnCalibrationPairs}`);
  for (const id of cnnCalibrationPairs) assert.ok(decidedOn.includes(id), `the decision was chosen with CNN pair ${id} among its pairs`);
  assert.ok(dataset.calibration.decisions.every((d: { minLayerSimilarity: number; minConvSimilarity: number }) => d.minLayerSimilarity >= 0.999 && d.minConvSimilarity >= 0.9998), 'the declared grid: a conv bound per decision');
});

test('a calibration pair loses the mean over its seeds of none minus the decision, seed by seed', () => {
  // Seed 1 loses 1.0 point, seed 2 gains 0.5: the pair loses 0.25 (not beyond 0.5).
  assert.ok(Math.abs(seedMeanLoss([0.8, 0.7], [0.79, 0.705]) - 0.25) < 1e-9);
  assert.ok(Math.abs(seedMeanLoss([0.6], [0.59]) - 1) < 1e-9);
  assert.throws(() => seedMeanLoss([0.8, 0.7], [0.8]), /one accuracy per seed/);
});

test('the drift-labelled predictor is tried at its own window threshold and one 0.05 step either side, inside (0, 1)', () => {
  assert.deepEqual(driftLabelThresholds(0.1), [0.15, 0.1, 0.05]);
  assert.deepEqual(driftLabelThresholds(0.3), [0.35, 0.3, 0.25]);
  assert.deepEqual(driftLabelThresholds(0.05), [0.1, 0.05]);
  assert.deepEqual(driftLabelThresholds(0.95), [0.95, 0.9]);
});

test('round 12: the tolerance trainings run the calibration pairs for twice their recorded epochs, rounded, at least one', () => {
  assert.equal(CALIBRATION_EPOCHS_SCALE, 2, 'declared in docs/smartfrz.md before the round-12 build');
  assert.equal(calibrationEpochs(3, 2), 6);
  assert.equal(calibrationEpochs(10, 2), 20);
  assert.equal(calibrationEpochs(7, 1), 7, 'scale 1: the calibration of rounds 8-11');
  assert.equal(calibrationEpochs(5, 2.5), 13);
  assert.equal(calibrationEpochs(1, 0.2), 1);
  assert.throws(() => calibrationEpochs(4, 0), /must be positive/);
  assert.throws(() => calibrationEpochs(4, NaN), /must be positive/);
});
