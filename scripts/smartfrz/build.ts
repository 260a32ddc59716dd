/**
 * SmartFRZ offline pipeline (`npm run smartfrz:build`): regenerates
 * `models/smartfrz/predictor.json` (the shipped predictor) and `models/smartfrz/dataset.json`
 * (the recipe, CKA curves, labels and scores). Seeded end to end.
 *
 *   npm run smartfrz:build -- [--reuse] [--cross-check] [--out DIR]
 *
 * 1. Full trainings (policy `none`, the product's buildModel + train) of MLPs and CNNs on
 *    digits, a synthetic teacher task and synthetic stroke images, recording step-spaced
 *    sampled-kernel windows and probe-batch Grams every 40 steps (record.ts).
 * 2. Labels from linear CKA to the final model (labels.ts).
 * 3. Fit the attention predictor on the TRAINING pairs and score it on the HELD-OUT pairs
 *    (Fashion-MNIST MLP and CNN: an unseen dataset). `--cross-check` adds a leave-one-dataset-out
 *    check over the training pairs (a diagnostic; one extra fit per training dataset).
 * `--reuse` reuses recorded runs cached in the OS temp folder (only labelling and fitting rerun).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { DEFAULT_PREDICTOR_CONFIG } from '../../src/core/freezing/smartfrz/predictor';
import { savePredictor } from '../../src/core/freezing/smartfrz/predictorFile';
import { initBackend } from '../../src/core/tensor/backend';
import { DEFAULT_LABELS, freezeLabels } from './labels';
import { pairs } from './pairs';
import { recordRun, type RecordOptions, type RunRecord } from './record';
import { type Example, type FitOptions, fitPredictor, probabilities, score } from './trainPredictor';

const ROOT = path.resolve(__dirname, '..', '..');
const outFlag = process.argv.indexOf('--out');
const OUT_DIR = outFlag >= 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(ROOT, 'models', 'smartfrz');
const CACHE = path.join(os.tmpdir(), 'model-lab-smartfrz-cache-v2');
const THRESHOLD = 0.5;

const RECORD: RecordOptions = {
  sampleSize: DEFAULT_PREDICTOR_CONFIG.sampleSize,
  quantiles: DEFAULT_PREDICTOR_CONFIG.quantiles,
  snapshotEvery: DEFAULT_PREDICTOR_CONFIG.snapshotEvery,
  window: DEFAULT_PREDICTOR_CONFIG.window,
  minWindow: DEFAULT_PREDICTOR_CONFIG.minWindow,
  checkpointEvery: 40,
  samplesPerUnit: 3,
  probeSize: 256,
};

function runLabels(run: RunRecord): Array<Array<boolean | null>> {
  return freezeLabels(run.units.map((u) => u.cka), run.checkpoints, run.totalSteps, DEFAULT_LABELS);
}

function examplesOf(run: RunRecord): Example[] {
  const out: Example[] = [];
  runLabels(run).forEach((row, u) => row.forEach((label, c) => {
    if (label === null) return;
    for (const features of run.units[u].features[c]) out.push({ features, label, run: run.id, unit: run.units[u].name, step: run.checkpoints[c] });
  }));
  return out;
}

/**
 * Replays the policy's decisions on a recorded run (first index sample, full window, one freeze
 * per checkpoint, front-to-back, as `SmartFrzPolicy` does at its stages): the step after which
 * each unit would freeze. An approximation: the policy decides at epoch ends only, and in a real
 * SmartFRZ run later units train on top of the frozen prefix.
 */
async function replay(run: RunRecord, predict: (ex: Example[]) => Promise<number[]>): Promise<Array<number | null>> {
  const candidates = run.units.length - DEFAULT_LABELS.keepTrainable;
  const frozenAt: Array<number | null> = run.units.slice(0, candidates).map(() => null);
  let frozen = 0;
  for (let c = 0; c < run.checkpoints.length - 1 && frozen < candidates; c++) {
    const f = run.units[frozen].features[c][0];
    if (!f) continue;
    const [p] = await predict([{ features: f, label: false, run: run.id, unit: '', step: run.checkpoints[c] }]);
    if (p >= THRESHOLD) frozenAt[frozen++] = run.checkpoints[c];
  }
  return frozenAt;
}

/** Per candidate unit, the first checkpoint step labelled freeze (null: never). */
function labelSteps(run: RunRecord): Array<number | null> {
  return runLabels(run).map((row) => {
    const c = row.indexOf(true);
    return c < 0 ? null : run.checkpoints[c];
  });
}

/**
 * Cross-dataset check using only the training pairs: fit on all training datasets but one,
 * predict the left-out dataset's windows, and tabulate balanced accuracy by decision threshold
 * over these out-of-dataset predictions. A diagnostic (reported in dataset.json and
 * docs/smartfrz.md): it showed balanced accuracy flat in the threshold (0.70-0.73 for
 * 0.05-0.8), so the shipped predictor keeps the plain 0.5 decision rather than a shifted one.
 */
async function crossDatasetCheck(train: RunRecord[], fit: Omit<FitOptions, 'log'>, log: (m: string) => void): Promise<{ bestThreshold: number; balancedAccuracy: number; grid: Array<[number, number]> }> {
  const datasets = [...new Set(train.map((r) => r.dataset))];
  const pooled: Example[] = [];
  const probs: number[] = [];
  for (const d of datasets) {
    const fitEx = train.filter((r) => r.dataset !== d).flatMap(examplesOf);
    const valEx = train.filter((r) => r.dataset === d).flatMap(examplesOf);
    log(`cross-dataset check: fit without ${d} (${fitEx.length} windows), predict ${d} (${valEx.length})`);
    const p = await fitPredictor(fitEx, DEFAULT_PREDICTOR_CONFIG, fit);
    pooled.push(...valEx);
    probs.push(...(await probabilities(p, valEx)));
    p.dispose();
  }
  const grid: Array<[number, number]> = [];
  for (let t = 0.05; t < 0.96; t += 0.05) grid.push([+t.toFixed(2), +score(pooled, probs, t).balancedAccuracy.toFixed(4)]);
  const best = grid.reduce((a, b) => (b[1] > a[1] ? b : a));
  log(`cross-dataset check: balanced accuracy by threshold ${JSON.stringify(grid)}; best ${best[0]}`);
  return { bestThreshold: best[0], balancedAccuracy: best[1], grid };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const reuse = process.argv.includes('--reuse');
  const backend = await initBackend();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  log(`SmartFRZ pipeline on backend ${backend.name}`);
  fs.mkdirSync(CACHE, { recursive: true });
  const runs: RunRecord[] = [];
  const specs = pairs();
  for (const pair of specs) {
    const file = path.join(CACHE, `${pair.id.replace('/', '_')}.bin`);
    if (reuse && fs.existsSync(file)) {
      runs.push(v8.deserialize(fs.readFileSync(file)) as RunRecord);
      log(`${pair.id}: reused ${file}`);
      continue;
    }
    log(`${pair.id}: training (${pair.epochs} epochs, no freezing)`);
    const data = await pair.load();
    const rec = await recordRun({ ...pair, data }, { ...RECORD, log });
    fs.writeFileSync(file, v8.serialize(rec));
    log(`${pair.id}: ${rec.seconds.toFixed(0)} s, ${rec.totalSteps} steps; CKA to final every ${RECORD.checkpointEvery} steps: ${rec.units.map((u) => `${u.name} ${u.cka.map((c) => c.toFixed(3)).join(' ')}`).join(' | ')}`);
    runs.push(rec);
  }
  const recordSeconds = (Date.now() - t0) / 1000;
  const heldOutIds = new Set(specs.filter((s) => s.heldOut).map((s) => s.id));
  const trainEx = runs.filter((r) => !heldOutIds.has(r.id)).flatMap(examplesOf);
  const testEx = runs.filter((r) => heldOutIds.has(r.id)).flatMap(examplesOf);
  log(`training windows ${trainEx.length} (${trainEx.filter((e) => e.label).length} labelled freeze), held-out windows ${testEx.length} (${testEx.filter((e) => e.label).length} freeze)`);

  const fit = { epochs: 80, batchSize: 64, learningRate: 2e-3, seed: 17 };
  const t1 = Date.now();
  const crossCheck = process.argv.includes('--cross-check') ? await crossDatasetCheck(runs.filter((r) => !heldOutIds.has(r.id)), fit, log) : undefined;
  const predictor = await fitPredictor(trainEx, DEFAULT_PREDICTOR_CONFIG, { ...fit, log });
  const fitSeconds = (Date.now() - t1) / 1000;
  const trainScores = score(trainEx, await probabilities(predictor, trainEx), THRESHOLD);
  const perRun: Record<string, unknown> = {};
  for (const r of runs) {
    const ex = examplesOf(r);
    const s = score(ex, await probabilities(predictor, ex), THRESHOLD);
    perRun[r.id] = {
      heldOut: heldOutIds.has(r.id), ...s,
      labelFreezeStep: labelSteps(r),
      replayFreezeStep: await replay(r, (e) => probabilities(predictor, e)),
    };
  }
  const heldOutScores = score(testEx, await probabilities(predictor, testEx), THRESHOLD);
  log(`predictor: train balanced accuracy ${trainScores.balancedAccuracy.toFixed(3)}, held-out ${heldOutScores.balancedAccuracy.toFixed(3)} (precision ${heldOutScores.precision.toFixed(3)}, recall ${heldOutScores.recall.toFixed(3)})`);
  for (const [id, s] of Object.entries(perRun)) log(`  ${id}: ${JSON.stringify(s)}`);

  const training = {
    generatedBy: 'npm run smartfrz:build',
    backend: backend.name,
    labels: DEFAULT_LABELS,
    record: { ...RECORD, log: undefined },
    fit,
    threshold: THRESHOLD,
    ...(crossCheck ? { crossDatasetCheck: crossCheck } : {}),
    trainPairs: specs.filter((s) => !s.heldOut).map((s) => s.id),
    heldOutPairs: specs.filter((s) => s.heldOut).map((s) => s.id),
    windows: { train: trainEx.length, trainFreeze: trainEx.filter((e) => e.label).length, heldOut: testEx.length, heldOutFreeze: testEx.filter((e) => e.label).length },
    scores: { train: trainScores, heldOut: heldOutScores },
  };
  await savePredictor(predictor, path.join(OUT_DIR, 'predictor.json'), training);
  const dataset = {
    ...training,
    runs: runs.map((r) => ({
      id: r.id, family: r.family, dataset: r.dataset, heldOut: heldOutIds.has(r.id), epochs: r.epochs, stepsPerEpoch: r.stepsPerEpoch,
      totalSteps: r.totalSteps, checkpoints: r.checkpoints,
      seconds: Math.round(r.seconds), testAccuracy: r.testAccuracy.map((a) => +a.toFixed(4)),
      units: r.units.map((u) => ({ name: u.name, cka: u.cka.map((c) => +c.toFixed(5)) })),
      labels: runLabels(r),
      scores: perRun[r.id],
    })),
    seconds: { record: Math.round(recordSeconds), fit: Math.round(fitSeconds), total: Math.round((Date.now() - t0) / 1000) },
  };
  fs.writeFileSync(path.join(OUT_DIR, 'dataset.json'), JSON.stringify(dataset, null, 1) + '\n');
  log(`wrote ${path.join(OUT_DIR, 'predictor.json')} and dataset.json in ${dataset.seconds.total} s`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
