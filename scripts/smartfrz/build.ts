/**
 * SmartFRZ offline pipeline: regenerates `models/smartfrz/predictor.json` (the shipped
 * predictor) and `models/smartfrz/dataset.json` (the recipe, CKA curves, labels and scores).
 *
 *   node --import tsx scripts/smartfrz/build.ts [--reuse] [--out DIR]
 *
 * 1. Full trainings (policy `none`, the product's buildModel + train) of small models on
 *    small datasets, recording sampled-kernel windows and per-epoch probe-batch Grams.
 * 2. Labels from linear CKA to the final model (labels.ts).
 * 3. A leave-one-dataset-out check over the training pairs (diagnostic), then fit the
 *    attention predictor on the TRAINING pairs (MLPs on digits and synthetic data)
 *    and score it on HELD-OUT pairs: a CNN on Fashion-MNIST (unseen family and dataset), an
 *    MLP on Fashion-MNIST (unseen dataset), a CNN on digits (unseen family).
 * `--reuse` reuses recorded runs cached in the OS temp folder (only the fitting reruns).
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
const CACHE = path.join(os.tmpdir(), 'model-lab-smartfrz-cache');
const THRESHOLD = 0.5;

const RECORD: RecordOptions = {
  sampleSize: DEFAULT_PREDICTOR_CONFIG.sampleSize,
  quantiles: DEFAULT_PREDICTOR_CONFIG.quantiles,
  snapshotsPerEpoch: DEFAULT_PREDICTOR_CONFIG.window,
  samplesPerUnit: 4,
  probeSize: 256,
};

function examplesOf(run: RunRecord): Example[] {
  const labels = freezeLabels(run.units.map((u) => u.cka), DEFAULT_LABELS);
  const out: Example[] = [];
  labels.forEach((row, u) => row.forEach((label, t) => {
    for (const features of run.units[u].features[t]) out.push({ features, label, run: run.id, unit: run.units[u].name, epoch: t });
  }));
  return out;
}

/**
 * Replays the policy's decisions on a recorded run (first index sample, one freeze per stage,
 * front-to-back, as `SmartFrzPolicy` does): the epoch after which each unit would freeze.
 * (An approximation: in a real SmartFRZ run later units train on top of the frozen prefix.)
 */
async function replay(run: RunRecord, predict: (ex: Example[]) => Promise<number[]>): Promise<Array<number | null>> {
  const candidates = run.units.length - DEFAULT_LABELS.keepTrainable;
  const frozenAt: Array<number | null> = run.units.slice(0, candidates).map(() => null);
  let frozen = 0;
  for (let t = 0; t < run.epochs - 1 && frozen < candidates; t++) {
    const [p] = await predict([{ features: run.units[frozen].features[t][0], label: false, run: run.id, unit: '', epoch: t }]);
    if (p >= THRESHOLD) frozenAt[frozen++] = t;
  }
  return frozenAt;
}

function labelEpochs(run: RunRecord): Array<number | null> {
  return freezeLabels(run.units.map((u) => u.cka), DEFAULT_LABELS).map((row) => {
    const t = row.indexOf(true);
    return t < 0 ? null : t;
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
    log(`${pair.id}: ${rec.seconds.toFixed(0)} s; CKA to final: ${rec.units.map((u) => `${u.name} ${u.cka.map((c) => c.toFixed(2)).join(' ')}`).join(' | ')}`);
    runs.push(rec);
  }
  const recordSeconds = (Date.now() - t0) / 1000;
  const heldOutIds = new Set(specs.filter((s) => s.heldOut).map((s) => s.id));
  const trainEx = runs.filter((r) => !heldOutIds.has(r.id)).flatMap(examplesOf);
  const testEx = runs.filter((r) => heldOutIds.has(r.id)).flatMap(examplesOf);
  log(`training windows ${trainEx.length} (${trainEx.filter((e) => e.label).length} labelled freeze), held-out windows ${testEx.length} (${testEx.filter((e) => e.label).length} freeze)`);

  const fit = { epochs: 60, batchSize: 64, learningRate: 2e-3, seed: 17 };
  const t1 = Date.now();
  const crossCheck = await crossDatasetCheck(runs.filter((r) => !heldOutIds.has(r.id)), fit, log);
  const predictor = await fitPredictor(trainEx, DEFAULT_PREDICTOR_CONFIG, { ...fit, log });
  const fitSeconds = (Date.now() - t1) / 1000;
  const trainScores = score(trainEx, await probabilities(predictor, trainEx), THRESHOLD);
  const perRun: Record<string, unknown> = {};
  for (const r of runs) {
    const ex = examplesOf(r);
    const s = score(ex, await probabilities(predictor, ex), THRESHOLD);
    perRun[r.id] = {
      heldOut: heldOutIds.has(r.id), ...s,
      labelFreezeEpoch: labelEpochs(r),
      replayFreezeEpoch: await replay(r, (e) => probabilities(predictor, e)),
    };
  }
  const heldOutScores = score(testEx, await probabilities(predictor, testEx), THRESHOLD);
  log(`predictor: train balanced accuracy ${trainScores.balancedAccuracy.toFixed(3)}, held-out ${heldOutScores.balancedAccuracy.toFixed(3)} (precision ${heldOutScores.precision.toFixed(3)}, recall ${heldOutScores.recall.toFixed(3)})`);
  for (const [id, s] of Object.entries(perRun)) log(`  ${id}: ${JSON.stringify(s)}`);

  const training = {
    generatedBy: 'node --import tsx scripts/smartfrz/build.ts',
    backend: backend.name,
    labels: DEFAULT_LABELS,
    record: { ...RECORD, log: undefined },
    fit,
    threshold: THRESHOLD,
    crossDatasetCheck: crossCheck,
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
      seconds: Math.round(r.seconds), testAccuracy: r.testAccuracy.map((a) => +a.toFixed(4)),
      units: r.units.map((u) => ({ name: u.name, cka: u.cka.map((c) => +c.toFixed(5)) })),
      labels: freezeLabels(r.units.map((u) => u.cka), DEFAULT_LABELS),
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
