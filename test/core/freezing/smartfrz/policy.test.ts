import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../../../src/core/errors';
import type { FreezableUnit, TrainingPlan } from '../../../../src/core/freezing/policy';
import { createSmartFrzPolicy, type FreezePredictor, SmartFrzPolicy } from '../../../../src/core/freezing/smartfrz/policy';

const PLAN: TrainingPlan = { epochs: 6, stepsPerEpoch: 10, totalSteps: 60, batchSize: 8 };

/** Units whose kernels hold `unit index + 1 + step / 1000` after each simulated step. */
function makeUnits(n: number): FreezableUnit[] {
  return Array.from({ length: n }, (_, i) => {
    const kernel = tf.variable(tf.fill([4, 5], i + 1));
    return { name: `l${i}`, index: i, layerIndex: 2 * i, type: 'Dense', kernel, variables: [kernel], flopsForward: 1, flopsBackward: 2 };
  });
}

/** A stand-in predictor: P(freeze) from a function of the unit (read back from the sampled values) and the window. */
class FakePredictor implements FreezePredictor {
  readonly config = { sampleSize: 8, window: 6, snapshotEvery: 2, minWindow: 3 };
  readonly calls: Float32Array[][][] = [];
  constructor(private readonly p: (unit: number, window: Float32Array[]) => number) {}
  async predict(windows: Float32Array[][]): Promise<number[]> {
    this.calls.push(windows);
    return windows.map((w) => this.p(Math.round(w[w.length - 1][0]) - 1, w));
  }
}

/** An epoch's end as the training loop reports it; NaN accuracy: no evaluation (the accuracy guard stays out). */
const endOf = (epoch: number, testAccuracy = NaN) => ({ epoch, loss: NaN, testLoss: NaN, testAccuracy });

/** Every unit moving steadily: unit i's weights are i + 1 + step / 1000. */
const steady = (unit: number, g: number) => unit + 1 + g / 1000;

/**
 * Runs steps [from, to) of the plan: set each active kernel to `weight(unit, step)` (default:
 * steady), then call afterStep, and afterEpoch after each epoch's last step with the accuracy
 * `acc(epoch)` (default: none). Returns the frozen prefix after each epoch.
 */
async function run(policy: SmartFrzPolicy, units: FreezableUnit[], from: number, to: number, acc: (epoch: number) => number = () => NaN, weight = steady): Promise<number[]> {
  const prefixes: number[] = [];
  for (let g = from; g < to; g++) {
    const epoch = Math.floor(g / PLAN.stepsPerEpoch);
    const stepInEpoch = g % PLAN.stepsPerEpoch;
    units.forEach((u) => u.kernel.assign(tf.fill([4, 5], weight(u.index, g))));
    await policy.afterStep({ epoch, stepInEpoch, globalStep: g });
    if (stepInEpoch === PLAN.stepsPerEpoch - 1) {
      await policy.afterEpoch(endOf(epoch, acc(epoch)));
      prefixes.push(policy.frozenPrefix());
    }
  }
  return prefixes;
}

test('an always-freeze predictor freezes one more unit per stage, never the last keepTrainable', async () => {
  const units = makeUnits(4);
  const fake = new FakePredictor(() => 1);
  const policy = new SmartFrzPolicy({ predictor: fake, keepTrainable: 1 });
  policy.init(units, PLAN);
  assert.deepEqual(await run(policy, units, 0, 60), [1, 2, 3, 3, 3, 3]);
  assert.equal(policy.lastReason(), 'P(freeze)=1.00 after 3 epochs');
  // Each stage saw the first active unit's snapshots, every 2nd optimizer step (the predictor's spacing).
  assert.equal(fake.calls.length, 3);
  const first = fake.calls[0][0];
  assert.equal(first.length, 5);
  assert.deepEqual(first.map((s) => Math.round((s[0] - 1) * 1000)), [1, 3, 5, 7, 9]);
  assert.equal(first[0].length, 8, 'a sample of sampleSize values');
  assert.equal(Math.round(fake.calls[1][0][0][0]), 2, 'second stage asks about unit 1');
});

test('only a prefix freezes: a unit the predictor keeps blocks every later one', async () => {
  const units = makeUnits(4);
  const policy = new SmartFrzPolicy({
    predictor: new FakePredictor((u) => (u === 1 ? 0.2 : 0.9)),
    keepTrainable: 0, maxFreezePerStage: 4, threshold: 0.5,
  });
  policy.init(units, PLAN);
  assert.deepEqual(await run(policy, units, 0, 30), [1, 1, 1]);

  const blocked = new SmartFrzPolicy({ predictor: new FakePredictor((u) => (u === 0 ? 0.4 : 1)), maxFreezePerStage: 4 });
  blocked.init(units, PLAN);
  assert.deepEqual(await run(blocked, units, 0, 20), [0, 0]);

  const keep2 = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), maxFreezePerStage: 4, keepTrainable: 2 });
  keep2.init(units, PLAN);
  assert.deepEqual(await run(keep2, units, 0, 20), [2, 2]);
  assert.equal(keep2.lastReason(), 'P(freeze)=1.00 after 1 epoch');
});

test('the window slides across epochs and holds the same steps whatever the epoch length', async () => {
  const never = new FakePredictor(() => 0);
  const units = makeUnits(2);
  const policy = new SmartFrzPolicy({ predictor: never });
  policy.init(units, PLAN);
  await run(policy, units, 0, 30);
  // Stages at the ends of epochs 1-3 (10 steps each); the window keeps the last 6 snapshots
  // (every 2nd step), so the third stage sees steps 19..29, across the epoch boundary.
  assert.equal(never.calls.length, 3);
  assert.deepEqual(never.calls[2][0].map((s) => Math.round((s[0] - 1) * 1000)), [19, 21, 23, 25, 27, 29]);

  // Epochs of 25 steps: the same step-spaced snapshots, only the stage moves.
  const longPlan: TrainingPlan = { epochs: 2, stepsPerEpoch: 25, totalSteps: 50, batchSize: 8 };
  const never2 = new FakePredictor(() => 0);
  const units2 = makeUnits(2);
  const long = new SmartFrzPolicy({ predictor: never2 });
  long.init(units2, longPlan);
  for (let g = 0; g < 30; g++) {
    units2.forEach((u) => u.kernel.assign(tf.fill([4, 5], u.index + 1 + g / 1000)));
    await long.afterStep({ epoch: Math.floor(g / 25), stepInEpoch: g % 25, globalStep: g });
    if (g % 25 === 24) await long.afterEpoch(endOf(Math.floor(g / 25)));
  }
  assert.deepEqual(never2.calls[0][0].map((s) => Math.round((s[0] - 1) * 1000)), [13, 15, 17, 19, 21, 23]);
  // A stage needs the predictor's minWindow snapshots: a 4-step epoch holds only 2.
  const shortPlan: TrainingPlan = { epochs: 3, stepsPerEpoch: 4, totalSteps: 12, batchSize: 8 };
  const never3 = new FakePredictor(() => 1);
  const short = new SmartFrzPolicy({ predictor: never3 });
  short.init(makeUnits(2), shortPlan);
  for (let g = 0; g < 4; g++) await short.afterStep({ epoch: 0, stepInEpoch: g, globalStep: g });
  await short.afterEpoch(endOf(0));
  assert.equal(never3.calls.length, 0);
  assert.equal(short.frozenPrefix(), 0);
});

test('a unit freezes once its recorded window stopped moving, a moving unit never does', async () => {
  // P(freeze) = 1 exactly when every snapshot of the window equals the newest one.
  const still = new FakePredictor((_, w) => (w.every((x) => x.every((v, i) => v === w[w.length - 1][i])) ? 1 : 0));
  const units = makeUnits(2);
  const policy = new SmartFrzPolicy({ predictor: still, keepTrainable: 0 });
  policy.init(units, PLAN);
  // Unit 0 stops moving after step 25; unit 1 keeps moving.
  const prefixes = await run(policy, units, 0, 60, undefined, (unit, g) => (unit === 0 ? 1 + Math.min(g, 25) / 1000 : steady(unit, g)));
  // The stage after step 39 is the first whose 6-snapshot window (steps 29..39) is all still.
  assert.deepEqual(prefixes, [0, 0, 0, 1, 1, 1]);
});

test('saveState/loadState: a resumed policy decides exactly like the uninterrupted one', async () => {
  // P(freeze) grows with how little the unit moved in the window, so decisions depend on the history.
  const p = (u: number, w: Float32Array[]) => (w.length >= 6 ? 0.6 : 0.3) - 0.1 * u;
  const unitsA = makeUnits(3);
  const a = new SmartFrzPolicy({ predictor: new FakePredictor(p), snapshotEvery: 3 });
  a.init(unitsA, PLAN);
  // Accuracy gains 0.1 points per epoch: the guard lets freezing through from the second
  // evaluation on, so a resumed policy that forgot the first evaluation would decide later.
  const acc = (e: number) => 0.5 + 0.001 * e;
  await run(a, unitsA, 0, 15, acc);
  const saved = JSON.parse(JSON.stringify(a.saveState()));
  const fakeB = new FakePredictor(p);
  const unitsB = makeUnits(3);
  const b = new SmartFrzPolicy({ predictor: fakeB, snapshotEvery: 3 });
  b.init(unitsB, PLAN);
  b.loadState(saved);
  assert.equal(b.frozenPrefix(), a.frozenPrefix());
  const fakeA = (a as unknown as { predictor: FakePredictor }).predictor;
  const callsBefore = fakeA.calls.length;
  const ra = await run(a, unitsA, 15, 40, acc);
  const rb = await run(b, unitsB, 15, 40, acc);
  assert.deepEqual(rb, ra);
  assert.deepEqual(fakeB.calls, fakeA.calls.slice(callsBefore), 'same windows after the resume (history restored mid-epoch)');
  assert.ok(fakeA.calls.length > callsBefore);
  assert.equal(b.lastReason(), a.lastReason());
  assert.ok(a.frozenPrefix() >= 1);
  assert.throws(() => b.loadState({ version: 9 }), /unreadable/);
});

test('accuracy guard: nothing freezes before two evaluations or while accuracy gains accuracyTolerance points per epoch', async () => {
  // Accuracy per epoch: +5, +2, +0.6, +0.2, +0.2 points: the mean gain over two epochs falls
  // below 0.5 points only after epoch 5 (index 4: (0.2 + 0.2) / 2).
  const curve = [0.7, 0.75, 0.77, 0.776, 0.778, 0.78];
  const units = makeUnits(4);
  const policy = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), accuracyTolerance: 0.5 });
  policy.init(units, PLAN);
  assert.deepEqual(await run(policy, units, 0, 60, (e) => curve[e]), [0, 0, 0, 0, 1, 2]);
  assert.equal(policy.lastHold(), undefined);

  // A looser tolerance lets the stage after epoch 4 freeze already ((2 + 0.6) / 2 = 1.3 < 1.5).
  const loose = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), accuracyTolerance: 1.5 });
  const units2 = makeUnits(4);
  loose.init(units2, PLAN);
  assert.deepEqual(await run(loose, units2, 0, 60, (e) => curve[e]), [0, 0, 0, 1, 2, 3]);

  // Still climbing: the guard holds and says why.
  const climbing = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), accuracyTolerance: 0.5 });
  const units3 = makeUnits(4);
  climbing.init(units3, PLAN);
  assert.deepEqual(await run(climbing, units3, 0, 60, (e) => 0.5 + 0.02 * e), [0, 0, 0, 0, 0, 0]);
  assert.match(climbing.lastHold() ?? '', /accuracy still gaining 2\.00 points per epoch/);

  // 100 turns the guard off: the first stage freezes.
  const off = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), accuracyTolerance: 100 });
  const units4 = makeUnits(4);
  off.init(units4, PLAN);
  assert.deepEqual(await run(off, units4, 0, 20, (e) => 0.5 + 0.02 * e), [1, 2]);
});

test('convergence guard: a unit still travelling in one direction does not freeze, one jittering in place does', async () => {
  const units = makeUnits(2);
  const policy = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), maxDirectedness: 1.9, keepTrainable: 0 });
  policy.init(units, PLAN);
  // Unit 0 drifts steadily for 3 epochs (directedness 2 over 5 snapshots, sqrt(5) = 2.24 over 6),
  // then jitters between two points (directedness 0 or 1/sqrt(5)).
  const drift = (g: number) => (g < 30 ? g / 1000 : 0.03 + (g % 4 < 2 ? 0 : 0.001));
  const prefixes = await run(policy, units, 0, 60, undefined, (unit, g) => (unit === 0 ? 1 + drift(g) : steady(unit, g)));
  assert.deepEqual(prefixes, [0, 0, 0, 1, 1, 1]);
  assert.match(policy.lastHold() ?? '', /^l1 still travelling \(directedness 2\.24\)$/);
});

test('per-layer convergence signal: read every probeEvery steps, a stage after each reading, freezing mid-epoch while the accuracy still climbs', async () => {
  const x = tf.randomNormal([32, 6], 0, 1, 'float32', 11);
  let now = 0;
  /** Probe outputs at reading `now`: unit 0's stop changing from reading 2 on, unit 1's change at every reading. */
  const probe = (wanted: number[]) => wanted.map((u) => tf.tidy(() => tf.matMul(x, tf.randomNormal([6, 4], 0, 1, 'float32', 100 * (u + 1) + (u === 0 ? Math.min(now, 2) : now)))));
  /** Accuracy gains 5 points per epoch (the old accuracy guard would hold everything). */
  const acc = (e: number) => 0.5 + 0.05 * e;
  /** Readings every 4 steps (not aligned with the 10-step epochs): reading k after step 4k. */
  const weight = (unit: number, g: number) => { now = Math.floor((g + 1) / 4); return steady(unit, g); };
  const calibrated = Object.assign(new FakePredictor(() => 1), { calibration: { threshold: 0.5, minLayerSimilarity: 0.99, probeEvery: 4 } });
  const a = new SmartFrzPolicy({ predictor: calibrated });
  const unitsA = makeUnits(3);
  now = 0;
  a.init(unitsA, PLAN, probe);
  // Through step 10 (readings after steps 4 and 8): unit 0 changed at both.
  assert.deepEqual(await run(a, unitsA, 0, 10, acc, weight), [0]);
  assert.match(a.lastHold() ?? '', /^l0 still changing \(probe CKA 0\.\d{5} < 0\.99\)$/);
  assert.equal(calibrated.calls.length, 0, 'the predictor is not asked while the per-layer signal holds');
  assert.deepEqual(a.lastProbabilities(), []);
  const saved = JSON.parse(JSON.stringify(a.saveState()));
  // Reading 3 (after step 12) is the first equal to its predecessor: unit 0 freezes there, mid-epoch 2.
  assert.deepEqual(await run(a, unitsA, 10, 20, acc, weight), [1]);
  assert.match(a.lastReason() ?? '', /^P\(freeze\)=1\.00, probe CKA 1\.0000 at step 12 \(epoch 2\)$/);
  assert.equal(calibrated.calls.length, 1, 'asked once: when the signal let unit 0 through');
  assert.deepEqual(await run(a, unitsA, 20, 60, acc, weight), [1, 1, 1, 1], 'unit 1 never');
  assert.equal(calibrated.calls.length, 1, 'never about unit 1, whose outputs keep changing');
  assert.match(a.lastHold() ?? '', /^l1 still changing/);
  assert.ok(a.layerSimilarity(1) < 0.99);
  assert.equal(a.convergenceCost().readings, 16, 'one reading before training, one every 4 steps');

  // Resumed after step 10 from the checkpointed state: the same decisions (the reading after step 8 is restored).
  const b = new SmartFrzPolicy({ predictor: calibrated });
  const unitsB = makeUnits(3);
  now = 0;
  b.init(unitsB, PLAN, probe);
  b.loadState(saved);
  assert.deepEqual(await run(b, unitsB, 10, 60, acc, weight), [1, 1, 1, 1, 1]);
  assert.equal(b.lastReason(), a.lastReason());

  // stableReadings 2: unit 0 needs a second equal reading (after step 16).
  const twice = new SmartFrzPolicy({ predictor: calibrated, stableReadings: 2 });
  const unitsT = makeUnits(3);
  now = 0;
  twice.init(unitsT, PLAN, probe);
  await run(twice, unitsT, 0, 13, acc, weight);
  assert.equal(twice.frozenPrefix(), 0);
  assert.equal(twice.lastHold(), 'l0 stable for 1 of 2 probe readings');
  await run(twice, unitsT, 13, 20, acc, weight);
  assert.match(twice.lastReason() ?? '', /at step 16 \(epoch 2\)$/);

  // A predictor file whose similarity was calibrated per epoch (before round 8: no probeEvery)
  // keeps reading, and deciding, once per epoch: unit 0's outputs hold still from reading 2
  // (after epoch 2), so it freezes at the stage after epoch 3, as in round 7.
  const perEpoch = Object.assign(new FakePredictor(() => 1), { calibration: { threshold: 0.5, minLayerSimilarity: 0.99 } });
  const old = new SmartFrzPolicy({ predictor: perEpoch });
  const unitsO = makeUnits(3);
  now = 0;
  old.init(unitsO, PLAN, probe);
  const byEpoch = (unit: number, g: number) => { now = Math.floor(g / 10) + 1; return steady(unit, g); };
  assert.deepEqual(await run(old, unitsO, 0, 60, acc, byEpoch), [0, 0, 1, 1, 1, 1]);
  assert.match(old.lastReason() ?? '', /^P\(freeze\)=1\.00, probe CKA 1\.0000 after 3 epochs$/);
  assert.equal(old.convergenceCost().readings, 7, 'one reading before training, one per epoch');

  // Without the per-layer signal (no calibrated value, no probe) the predictor alone decides, once per epoch.
  const plain = new SmartFrzPolicy({ predictor: new FakePredictor(() => 1), accuracyTolerance: 100 });
  const unitsC = makeUnits(3);
  plain.init(unitsC, PLAN);
  assert.deepEqual(await run(plain, unitsC, 0, 20), [1, 2]);
  assert.equal(plain.convergenceCost().readings, 0);
  x.dispose();
});

test('a conv layer is held to minConvSimilarity, a dense layer to minLayerSimilarity; older files apply one bound to both; resume decides as uninterrupted', async () => {
  const x = tf.randomNormal([32, 6], 0, 1, 'float32', 11);
  const w1 = tf.randomNormal([6, 4], 0, 1, 'float32', 1);
  const w2 = tf.randomNormal([6, 4], 0, 1, 'float32', 2);
  let now = 0;
  /** Every unit's probe outputs alternate between two fixed matrices at each reading (one CKA, `c`, between consecutive readings). */
  const probe = (wanted: number[]) => wanted.map(() => tf.tidy(() => tf.matMul(x, now % 2 === 0 ? w1 : w1.add(w2.mul(0.2)))));
  const weight = (unit: number, g: number) => { now = Math.floor((g + 1) / 4); return steady(unit, g); };
  /** l0 dense, l1 conv, l2 dense (kept trainable). */
  const units = () => makeUnits(3).map((u) => (u.index === 1 ? { ...u, type: 'Conv2D' } : u));
  const start = (opts: Omit<ConstructorParameters<typeof SmartFrzPolicy>[0], 'predictor'>, calibration: object = { threshold: 0.5, probeEvery: 4 }) => {
    const policy = new SmartFrzPolicy({ predictor: Object.assign(new FakePredictor(() => 1), { calibration }), ...opts });
    const us = units();
    now = 0;
    policy.init(us, PLAN, probe);
    return { policy, us };
  };
  // The similarity the two matrices give, read once: the bounds below sit on either side of it.
  const probeOnly = start({ minLayerSimilarity: 0 });
  await run(probeOnly.policy, probeOnly.us, 0, 4, undefined, weight);
  const c = probeOnly.policy.layerSimilarity(1);
  assert.ok(c > 0.9 && c < 0.999, `CKA between the two readings ${c}`);

  // Experiment settings: the dense l0 passes 0.9, the conv l1 is held at 0.999.
  const own = start({ minLayerSimilarity: 0.9, minConvSimilarity: 0.999 });
  assert.deepEqual(await run(own.policy, own.us, 0, 30, undefined, weight), [1, 1, 1]);
  assert.match(own.policy.lastHold() ?? '', /^l1 still changing \(probe CKA 0\.\d{5} < 0\.999\)$/);
  const saved = JSON.parse(JSON.stringify(own.policy.saveState()));
  assert.deepEqual(await run(own.policy, own.us, 30, 60, undefined, weight), [1, 1, 1], 'l1 never');

  // The same bounds from a predictor file's calibration.
  const byFile = start({}, { threshold: 0.5, probeEvery: 4, minLayerSimilarity: 0.9, minConvSimilarity: 0.999 });
  assert.deepEqual(await run(byFile.policy, byFile.us, 0, 60, undefined, weight), [1, 1, 1, 1, 1, 1]);
  assert.equal(byFile.policy.lastHold(), own.policy.lastHold());

  // A file from before minConvSimilarity: its one bound holds every layer, so l1 freezes too
  // (in epoch 2, once its own history has the predictor's minWindow snapshots).
  const older = start({}, { threshold: 0.5, probeEvery: 4, minLayerSimilarity: 0.9 });
  assert.deepEqual(await run(older.policy, older.us, 0, 20, undefined, weight), [1, 2]);
  // ... and the reverse: a conv bound the dense layer would fail does not hold it.
  const convLoose = start({ minLayerSimilarity: 0.999, minConvSimilarity: 0.9 });
  await run(convLoose.policy, convLoose.us, 0, 20, undefined, weight);
  assert.equal(convLoose.policy.frozenPrefix(), 0);
  assert.match(convLoose.policy.lastHold() ?? '', /^l0 still changing \(probe CKA 0\.\d{5} < 0\.999\)$/);

  // Resumed after step 30 from the checkpoint: the same decisions and hold as the uninterrupted run.
  const resumed = start({ minLayerSimilarity: 0.9, minConvSimilarity: 0.999 });
  resumed.policy.loadState(saved);
  assert.deepEqual(await run(resumed.policy, resumed.us, 30, 60, undefined, weight), [1, 1, 1]);
  assert.equal(resumed.policy.lastHold(), own.policy.lastHold());
  assert.equal(resumed.policy.lastReason(), own.policy.lastReason());
  tf.dispose([x, w1, w2]);
});

test('drift signal (maxDriftRatio): a layer jittering around a point freezes although its probe CKA fails the bound; one drifting slowly does not although it passes; resume decides as uninterrupted', async () => {
  const x = tf.randomNormal([32, 6], 0, 1, 'float32', 11);
  const w0 = tf.randomNormal([6, 4], 0, 1, 'float32', 1);
  const d = tf.randomNormal([6, 4], 0, 1, 'float32', 2);
  let now = 0;
  /** Weight trajectories per reading: around w0 with fresh noise each reading, or a small steady step along d. */
  const jitter = (t: number) => tf.add(w0, tf.mul(tf.randomNormal([6, 4], 0, 1, 'float32', 500 + t), 0.15));
  const drift = (t: number) => tf.add(w0, tf.mul(d, 0.002 * t));
  const probeOf = (l0: (t: number) => tf.Tensor) => (wanted: number[]) => wanted.map((u) => tf.tidy(() => tf.matMul(x, u === 0 ? l0(now) : drift(3 * now))));
  const weight = (unit: number, g: number) => { now = Math.floor((g + 1) / 4); return steady(unit, g); };
  const start = (l0: (t: number) => tf.Tensor, opts: Omit<ConstructorParameters<typeof SmartFrzPolicy>[0], 'predictor'>) => {
    const policy = new SmartFrzPolicy({ predictor: Object.assign(new FakePredictor(() => 1), { calibration: { threshold: 0.5, probeEvery: 4, minLayerSimilarity: 0.999 } }), ...opts });
    const us = makeUnits(3);
    now = 0;
    policy.init(us, PLAN, probeOf(l0));
    return { policy, us };
  };
  // Without the drift signal the absolute bound decides, the wrong way round on both layers.
  const jitterCka = start(jitter, {});
  assert.deepEqual(await run(jitterCka.policy, jitterCka.us, 0, 60, undefined, weight), [0, 0, 0, 0, 0, 0]);
  assert.match(jitterCka.policy.lastHold() ?? '', /^l0 still changing \(probe CKA 0\.9\d{4} < 0\.999\)$/);
  const driftCka = start(drift, {});
  assert.deepEqual((await run(driftCka.policy, driftCka.us, 0, 20, undefined, weight)).slice(0, 1), [1], 'the slow drift passes the bound in epoch 1');

  // With it: the jittering l0 freezes once it has driftSpan + 1 readings (reading 4, after step 16, in epoch 2) and
  // the history the predictor needs; l1, drifting, never does.
  const jit = start(jitter, { maxDriftRatio: 3, driftSpan: 4 });
  assert.deepEqual(await run(jit.policy, jit.us, 0, 10, undefined, weight), [0]);
  assert.equal(jit.policy.lastHold(), 'l0 not probed 5 times yet');
  const saved = JSON.parse(JSON.stringify(jit.policy.saveState()));
  assert.deepEqual(await run(jit.policy, jit.us, 10, 60, undefined, weight), [1, 1, 1, 1, 1]);
  assert.match(jit.policy.lastReason() ?? '', /^P\(freeze\)=1\.00, probe CKA 0\.9\d{3}, drift ratio \d\.\d\d at step 16 \(epoch 2\)$/);
  assert.match(jit.policy.lastHold() ?? '', /^l1 still drifting \(change over 4 probe readings \d+\.\d\dx the mean per reading > 3\)$/);
  const dri = start(drift, { maxDriftRatio: 3, driftSpan: 4 });
  assert.deepEqual(await run(dri.policy, dri.us, 0, 60, undefined, weight), [0, 0, 0, 0, 0, 0]);
  assert.match(dri.policy.lastHold() ?? '', /^l0 still drifting \(change over 4 probe readings \d+\.\d\dx the mean per reading > 3\)$/);

  // Resumed after step 10 from the checkpoint: the same decisions, reason and hold.
  const resumed = start(jitter, { maxDriftRatio: 3, driftSpan: 4 });
  resumed.policy.loadState(saved);
  assert.deepEqual(await run(resumed.policy, resumed.us, 10, 60, undefined, weight), [1, 1, 1, 1, 1]);
  assert.equal(resumed.policy.lastReason(), jit.policy.lastReason());
  assert.equal(resumed.policy.lastHold(), jit.policy.lastHold());
  // The same setting from a predictor file's calibration.
  const driftFile = Object.assign(new FakePredictor(() => 1), { calibration: { threshold: 0.5, probeEvery: 4, minLayerSimilarity: 0.999, maxDriftRatio: 3, driftSpan: 4 } });
  const byFile = new SmartFrzPolicy({ predictor: driftFile });
  const usF = makeUnits(3);
  now = 0;
  byFile.init(usF, PLAN, probeOf(jitter));
  assert.deepEqual(await run(byFile, usF, 0, 60, undefined, weight), [0, 1, 1, 1, 1, 1]);
  assert.equal(byFile.lastReason(), jit.policy.lastReason());
  // ... which yields to a similarity bound the experiment sets itself.
  const ownBound = new SmartFrzPolicy({ predictor: driftFile, minLayerSimilarity: 0.999 });
  const usO = makeUnits(3);
  now = 0;
  ownBound.init(usO, PLAN, probeOf(jitter));
  assert.deepEqual(await run(ownBound, usO, 0, 60, undefined, weight), [0, 0, 0, 0, 0, 0]);
  assert.match(ownBound.lastHold() ?? '', /^l0 still changing \(probe CKA 0\.9\d{4} < 0\.999\)$/);
  tf.dispose([x, w0, d]);
});

test('convDriftSteps: a conv layer whose drift shows over 400 steps but not over the dense span is held; the dense layer is not; from the file too; resume decides as uninterrupted', async () => {
  const x = tf.randomNormal([32, 6], 0, 1, 'float32', 11);
  const w0 = tf.randomNormal([6, 4], 0, 1, 'float32', 1);
  const d = tf.randomNormal([6, 4], 0, 1, 'float32', 2);
  const e = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
  let now = 0;
  /**
   * Per reading t: both layers flip between two points (w0 +/- 0.15 e, the optimizer's jitter);
   * the conv l1 also drifts by 0.095 d per reading, too little to show over 4 readings (drift
   * ratio 0.5-1.4) but not over 8 (2.5-5.2), as the Fashion CNN's conv1 over 200 and 400 steps.
   */
  const at = (t: number, drift: number) => tf.add(tf.add(w0, tf.mul(e, t % 2 === 0 ? 0.15 : -0.15)), tf.mul(d, drift * t));
  const probe = (wanted: number[]) => wanted.map((u) => tf.tidy(() => tf.matMul(x, at(now, u === 1 ? 0.095 : 0))));
  const weight = (unit: number, g: number) => { now = Math.floor((g + 1) / 4); return steady(unit, g); };
  /** l0 dense, l1 conv, l2 dense (kept trainable); readings every 4 steps, drift ratio 2 over 4 readings. */
  const start = (opts: Omit<ConstructorParameters<typeof SmartFrzPolicy>[0], 'predictor'>, calibration: object = {}) => {
    const policy = new SmartFrzPolicy({ predictor: Object.assign(new FakePredictor(() => 1), { calibration: { threshold: 0.5, probeEvery: 4, minLayerSimilarity: 0.999, maxDriftRatio: 2, driftSpan: 4, ...calibration } }), ...opts });
    const us = makeUnits(3).map((u) => (u.index === 1 ? { ...u, type: 'Conv2D' } : u));
    now = 0;
    policy.init(us, PLAN, probe);
    return { policy, us };
  };
  // On the dense span both layers freeze: l0 once it has 5 readings (step 16, epoch 2), then l1.
  const dense = start({});
  assert.deepEqual(await run(dense.policy, dense.us, 0, 60, undefined, weight), [0, 1, 2, 2, 2, 2]);
  // With a conv span of 32 steps (8 readings) l1 is held to the end; l0 freezes as before.
  const conv = start({ convDriftSteps: 32 });
  assert.deepEqual(await run(conv.policy, conv.us, 0, 40, undefined, weight), [0, 1, 1, 1]);
  assert.match(conv.policy.lastHold() ?? '', /^l1 still drifting \(change over 8 probe readings \d\.\d\dx the mean per reading > 2\)$/);
  const saved = JSON.parse(JSON.stringify(conv.policy.saveState()));
  assert.deepEqual(await run(conv.policy, conv.us, 40, 60, undefined, weight), [1, 1], 'l1 never');
  // Steps, not readings: read every 2 steps, the same 32 steps are 16 readings (l1 not probed 17 times by step 30).
  const often = start({ convDriftSteps: 32, probeEvery: 2 });
  await run(often.policy, often.us, 0, 30, undefined, weight);
  assert.equal(often.policy.frozenPrefix(), 1);
  assert.equal(often.policy.lastHold(), 'l1 not probed 17 times yet');
  // The same setting from a predictor file's calibration.
  const byFile = start({}, { convDriftSteps: 32 });
  assert.deepEqual(await run(byFile.policy, byFile.us, 0, 60, undefined, weight), [0, 1, 1, 1, 1, 1]);
  assert.equal(byFile.policy.lastHold(), conv.policy.lastHold());
  // Resumed after step 40 from the checkpoint: the same decisions and hold.
  const resumed = start({ convDriftSteps: 32 });
  resumed.policy.loadState(saved);
  assert.deepEqual(await run(resumed.policy, resumed.us, 40, 60, undefined, weight), [1, 1]);
  assert.equal(resumed.policy.lastHold(), conv.policy.lastHold());
  tf.dispose([x, w0, d, e]);
});

test('the predictor file\'s calibration sets the defaults; the experiment\'s own values win', async () => {
  const calibrated = Object.assign(new FakePredictor(() => 0.6), { calibration: { threshold: 0.7, accuracyTolerance: 100 } });
  const units = makeUnits(2);
  const byFile = new SmartFrzPolicy({ predictor: calibrated });
  byFile.init(units, PLAN);
  assert.deepEqual(await run(byFile, units, 0, 20), [0, 0], 'P 0.6 < calibrated 0.7');
  const units2 = makeUnits(2);
  const own = new SmartFrzPolicy({ predictor: calibrated, threshold: 0.5 });
  own.init(units2, PLAN);
  assert.deepEqual(await run(own, units2, 0, 20), [1, 1]);
});

test('createSmartFrzPolicy validates its options and loads the shipped predictor', () => {
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(isUserError(e));
      return e.pointer;
    }
    return undefined;
  };
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', threshold: 2 })), '/freezing/threshold');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', snapshotEvery: 0 })), '/freezing/snapshotEvery');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', keepTrainable: -1 })), '/freezing/keepTrainable');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', accuracyTolerance: -0.5 })), '/freezing/accuracyTolerance');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', minLayerSimilarity: 1.5 })), '/freezing/minLayerSimilarity');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', minConvSimilarity: -0.1 })), '/freezing/minConvSimilarity');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', probeEvery: 2.5 })), '/freezing/probeEvery');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', stableReadings: 0 })), '/freezing/stableReadings');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', maxDriftRatio: 0 })), '/freezing/maxDriftRatio');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', driftSpan: 1 })), '/freezing/driftSpan');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', minOutputSimilarity: 1.2 })), '/freezing/minOutputSimilarity');
  assert.equal(codeOf(() => createSmartFrzPolicy({ policy: 'smartfrz', predictor: '/nonexistent/p.json' })), '/freezing/predictor');
  const policy = createSmartFrzPolicy({ policy: 'smartfrz' });
  assert.equal(policy.name, 'smartfrz');
  assert.equal(policy.frozenPrefix(), 0);
});

test('output guard (minOutputSimilarity): nothing freezes while the predictions still change, though every layer has settled; settled predictions let it through; from the file too; resume decides as uninterrupted; off, the last unit is never probed', async () => {
  const x = tf.randomNormal([32, 6], 0, 1, 'float32', 11);
  const w0 = tf.randomNormal([6, 4], 0, 1, 'float32', 1);
  const wOut = tf.randomNormal([6, 5], 0, 1, 'float32', 3);
  let now = 0;
  const asked: number[] = [];
  /** The probe's passes, each with the units it was asked for. */
  const passes: number[][] = [];
  /** Layers 0 and 1 never change; the last unit's logits are fixed, or move by fresh noise each reading. */
  const probeOf = (moving: boolean) => (wanted: number[]) => (passes.push([...wanted]), wanted).map((u) => tf.tidy(() => {
    asked.push(u);
    if (u < 2) return tf.matMul(x, w0);
    return tf.matMul(x, moving ? tf.add(wOut, tf.mul(tf.randomNormal([6, 5], 0, 1, 'float32', 700 + now), 1.5)) : wOut);
  }));
  const weight = (unit: number, g: number) => { now = Math.floor((g + 1) / 4); return steady(unit, g); };
  const start = (moving: boolean, opts: Omit<ConstructorParameters<typeof SmartFrzPolicy>[0], 'predictor'>, calibration: object = {}) => {
    const policy = new SmartFrzPolicy({ predictor: Object.assign(new FakePredictor(() => 1), { calibration: { threshold: 0.5, probeEvery: 4, minLayerSimilarity: 0.999, ...calibration } }), ...opts });
    const us = makeUnits(3);
    now = 0;
    asked.length = 0;
    passes.length = 0;
    policy.init(us, PLAN, probeOf(moving));
    return { policy, us };
  };
  // Off: the moving predictions do not matter (the layers' own signal passes), and the last unit is never probed.
  const off = start(true, {});
  assert.deepEqual(await run(off.policy, off.us, 0, 60, undefined, weight), [1, 2, 2, 2, 2, 2]);
  assert.ok(!asked.includes(2));
  // On: held at every stage by the predictions, with the reason in the hold.
  const held = start(true, { minOutputSimilarity: 0.98 });
  assert.deepEqual(await run(held.policy, held.us, 0, 10, undefined, weight), [0]);
  const saved = JSON.parse(JSON.stringify(held.policy.saveState()));
  assert.deepEqual(await run(held.policy, held.us, 10, 60, undefined, weight), [0, 0, 0, 0, 0]);
  assert.match(held.policy.lastHold() ?? '', /^predictions still changing \(probe CKA 0\.\d{4} < 0\.98\)$/);
  assert.ok(asked.includes(2));
  // One probe pass per reading (round 12): the layers and the predictions in the same pass, not the last unit's again.
  assert.equal(passes.length, 16, 'the first reading and one every 4 of 60 steps');
  assert.equal(held.policy.convergenceCost().readings, 16);
  assert.ok(passes.every((p) => p.join() === '0,1,2'), JSON.stringify(passes.slice(0, 3)));
  // Settled predictions: the guard lets the same layers freeze as without it.
  const settled = start(false, { minOutputSimilarity: 0.98 });
  assert.deepEqual(await run(settled.policy, settled.us, 0, 60, undefined, weight), [1, 2, 2, 2, 2, 2]);
  // The same bound from the predictor file's calibration; the experiment's own value wins.
  const byFile = start(true, {}, { minOutputSimilarity: 0.98 });
  assert.deepEqual(await run(byFile.policy, byFile.us, 0, 60, undefined, weight), [0, 0, 0, 0, 0, 0]);
  assert.equal(byFile.policy.lastHold(), held.policy.lastHold());
  const loose = start(true, { minOutputSimilarity: 0 }, { minOutputSimilarity: 0.98 });
  assert.deepEqual(await run(loose.policy, loose.us, 0, 60, undefined, weight), [1, 2, 2, 2, 2, 2]);
  // Resumed after step 10: the same decisions and hold.
  const resumed = start(true, { minOutputSimilarity: 0.98 });
  resumed.policy.loadState(saved);
  assert.deepEqual(await run(resumed.policy, resumed.us, 10, 60, undefined, weight), [0, 0, 0, 0, 0]);
  assert.equal(resumed.policy.lastHold(), held.policy.lastHold());
  // keepTrainable 0: the last unit is watched by both signals, read once, and no tensor is left behind.
  const all = start(true, { minOutputSimilarity: 0.98, keepTrainable: 0 });
  const before = tf.memory().numTensors;
  assert.deepEqual(await run(all.policy, all.us, 0, 60, undefined, weight), [0, 0, 0, 0, 0, 0]);
  assert.equal(passes.length, 16);
  assert.ok(passes.every((p) => p.join() === '0,1,2'));
  assert.equal(tf.memory().numTensors - before, 60 * 3, 'only the harness\'s own: the value each of the 3 kernels is assigned at each of 60 steps');
  tf.dispose([x, w0, wOut]);
});
