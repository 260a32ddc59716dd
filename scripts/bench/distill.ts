/**
 * The distillation lab's two studies (issue 14; settings and measured numbers in
 * docs/distillation.md), each in its own process, side by side:
 *
 *   npm run bench:distill -- [--study datafree|tinybert] [--seed S] [--seeds N | --seeds a,b,c] [--test FILE]
 *                            [--json] [--validate] [--cache DIR] [--keep] [--quick] [--general]
 *
 * 1. datafree: Fashion-MNIST (../shared/datasets/fashion-mnist). A batch-norm MLP teacher trained
 *    here, a 10x smaller student; arms kd (real data), noise, deepinversion, deepinversion with
 *    the BN weight at 0, dafl; 2,048 synthetic inputs each. Targets: deepinversion >= 72%,
 *    >= noise + 25, within 10 of kd, >= BN-weight-0 + 4.
 * 2. tinybert: SST-2 (../shared/datasets/sst2). A transformer teacher on the whole training
 *    split; a student with >= 4x fewer parameters that sees the labels of 1,000 sentences and the
 *    rest as unlabelled text; arms student, kd, tinybert, tinybert+aug. Accuracy on dev, and on
 *    `--test FILE` (the dataset's TSV, header `label<TAB>sentence`) when given. Targets (mean
 *    of 3 seeds): tinybert+aug >= student + 5 and >= 95% of the teacher. `--general`: the teacher's
 *    encoder is pretrained by masked-LM on the training text first, and the layer-wise arms (and
 *    a `kd+general` arm) start from general distillation against that encoder.
 *
 * Every study trains one teacher (seed S) and distils it with seeds S..S+N-1 (or the listed
 * seeds); the document holds the mean over seeds, each seed's accuracies (`perSeed`) and their
 * standard deviation (`sd`). `--cache DIR` keeps each study's teacher (its data files, experiment
 * and run) in DIR/<study>-<hash of its settings and data> and reuses its completed run next time.
 * `--validate` evaluates the data-free study on a validation split carved from the training
 * images (the last 10,000; the teacher trains on the first 50,000), for tuning: the summary's accuracies are then on the
 * validation split, and the same models are scored once on the test split (`test`).
 * `--json` prints `{"datafree": <distill summary>, "tinybert": <distill summary>}` on stdout;
 * progress, wall and CPU seconds and load averages go to stderr. Runs go to a temporary
 * folder, removed at the end unless `--keep`. Datasets: `$MODEL_LAB_DATASETS` (default ../shared/datasets).
 */
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DataConfig } from '../../src/core/experiment/types';
import { accuracy } from '../../src/core/distill/arms';
import { loadData } from '../../src/core/data/load';
import { loadModel } from '../../src/core/model/io';
import { initBackend } from '../../src/core/tensor/backend';
import type { DistillSummary, RunSummary } from '../../src/runner/summary';
import { formatSpread, parseSeeds, spread, teacherFolder } from './distillStudy';

/** The datasets folder: `$MODEL_LAB_DATASETS`, default `../shared/datasets` next to the repository. */
const SHARED = path.resolve(process.env.MODEL_LAB_DATASETS ?? path.join(__dirname, '../../../shared/datasets'));
const STUDIES = ['datafree', 'tinybert'] as const;
type Study = (typeof STUDIES)[number];

const { values } = parseArgs({
  options: {
    study: { type: 'string' },
    seed: { type: 'string', default: '0' },
    seeds: { type: 'string', default: '1' },
    test: { type: 'string' },
    json: { type: 'boolean', default: false },
    validate: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    cache: { type: 'string' },
    /** Tiny budgets, to check the script itself (not for results). */
    quick: { type: 'boolean', default: false },
    /**
     * The tinybert study with general distillation: the teacher's encoder pretrained by masked-LM
     * on the training text first (`pretrain`), then fine-tuned; every layer-wise arm starts from a
     * student that learnt the pretrained encoder's layers (`general`), and a `kd+general` arm too.
     */
    general: { type: 'boolean', default: false },
    /** Internal: run one study in this process and send its result to the parent. */
    run: { type: 'string' },
  },
});
/** The teacher's seed; the distillation seeds are `seedList`. */
const seed = Number(values.seed);
const seedList = parseSeeds(values.seed!, values.seeds!);
const quick = values.quick!;
const general = values.general!;

/** A study's result: the seeds' mean in the summary shape, each seed's accuracies, and what it cost. */
export interface StudyResult {
  summary: Omit<DistillSummary, 'runId' | 'runDir' | 'experimentFile'> & {
    seeds: number[]; split: string; perSeed: Record<string, number[]>; sd: Record<string, number>;
    dev?: Record<string, number>; devPerSeed?: Record<string, number[]>; test?: Record<string, number>; testPerSeed?: Record<string, number[]>;
  };
  wallSeconds: number;
  cpuSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Study settings (docs/distillation.md explains each choice)

/** The data-free study's teacher: MLP 784-256-BN-256-BN-10, trained until it is a good MLP. */
function fashionTeacher(data: DataConfig): object {
  return {
    kind: 'train', name: 'fashion-bn-teacher', data,
    model: {
      inputShape: [28, 28, 1],
      layers: [
        { name: 'flatten', type: 'flatten' },
        { name: 'fc1', type: 'dense', units: 256, activation: 'relu' },
        { name: 'bn1', type: 'batchNormalization' },
        { name: 'fc2', type: 'dense', units: 256, activation: 'relu' },
        { name: 'bn2', type: 'batchNormalization' },
        { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
    training: { epochs: quick ? 1 : 12, batchSize: 128, optimizer: { type: 'adam', learningRate: 0.001 }, seed, shuffle: true },
    freezing: { policy: 'none' },
  };
}

function fashionDistill(s: number, teacher: string): object {
  return {
    kind: 'distill', name: `fashion-datafree-seed${s}`, teacher,
    student: { layers: [
      { name: 'flatten', type: 'flatten' },
      { name: 'fc1', type: 'dense', units: 32, activation: 'relu' },
      { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
    ] },
    arms: [
      { method: 'kd', epochs: quick ? 1 : 5 },
      'noise',
      'deepinversion',
      { name: 'deepinversion-no-bn', method: 'deepinversion', synthesis: { bnWeight: 0 } },
      'dafl',
    ],
    // 100 KD epochs: with views the validation accuracy rises to ~76% by epoch 100 and stays there (200: the same).
    // T = 1 for every arm: on the synthetic sets (round 9, 5 validation seeds: +2.29 on the last-20
    // means over T = 4) and for the kd reference on real data (validation seeds 0-2: 85.13 vs 83.78 at T = 4).
    training: { epochs: quick ? 2 : 100, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 }, seed: s, temperature: 1 },
    // The best of the settings tried on the validation split (--validate; docs/distillation.md):
    // inputs kept in the data's range, jitter, the official first-BN multiplier; KD on a fresh
    // jittered view of each synthetic input at every step (views), which no longer overfits;
    // Adaptive DeepInversion's competition term (round 8, 3 seeds; 64 student steps between batches).
    synthesis: { samples: 2048, batchSize: 256, steps: quick ? 5 : 200, learningRate: 0.1, bnWeight: 10, firstBnMultiplier: 10, tvWeight: 0.001, clip: [0, 1], jitter: 2, views: true, competition: 10 },
    dafl: { steps: quick ? 10 : 1000 },
  };
}

/** SST-2: sentence length, vocabulary and model sizes chosen so one seed fits ~10-15 CPU-minutes here. */
const SST2 = { maxLength: 32, vocabSize: 8000, labelled: 1000 };

/**
 * `--general`: the teacher's masked-LM budget (one epoch over the training text: ~0.2 CPU s a
 * step here, ~4 CPU-minutes) and fine-tuning epochs (round 6's recipe), and the epochs of general
 * distillation over the unlabelled training text (docs/distillation.md, round 10).
 */
const GENERAL = { pretrainEpochs: 1, finetuneEpochs: 2, generalEpochs: 1 };

function sst2Teacher(train: string, dev: string): object {
  return {
    kind: 'train', name: 'sst2-teacher',
    data: { format: 'jsonl', train, test: dev, maxLength: SST2.maxLength, vocabSize: SST2.vocabSize, ...(quick ? { limit: 3000 } : {}) },
    model: {
      inputShape: [SST2.maxLength],
      layers: [
        { name: 'embed', type: 'embedding', outputDim: 64 },
        { name: 'enc1', type: 'transformerEncoder', numHeads: 4, ffDim: 128, rate: 0.1 },
        { name: 'enc2', type: 'transformerEncoder', numHeads: 4, ffDim: 128, rate: 0.1 },
        { name: 'pool', type: 'globalAveragePooling1d' },
        { name: 'out', type: 'dense', units: 2, activation: 'softmax' },
      ],
    },
    training: { epochs: quick ? 1 : general ? GENERAL.finetuneEpochs : 2, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 }, seed, shuffle: true },
    freezing: { policy: 'none' },
    // BERT's masked-LM on the training text (15% of the words, 80/10/10), labels unused.
    ...(general ? { pretrain: { objective: 'mlm', ...(quick ? { steps: 10 } : { epochs: GENERAL.pretrainEpochs }), maskProbability: 0.15 } } : {}),
  };
}

function sst2Distill(s: number, teacher: string): object {
  return {
    kind: 'distill', name: `sst2-tinybert-seed${s}`, teacher,
    student: { layers: [
      { name: 's_embed', type: 'embedding', outputDim: 16 },
      { name: 's_enc', type: 'transformerEncoder', numHeads: 2, ffDim: 32, rate: 0.1 },
      { name: 's_pool', type: 'globalAveragePooling1d' },
      { name: 's_out', type: 'dense', units: 2, activation: 'softmax' },
    ] },
    arms: [
      { method: 'student', epochs: quick ? 1 : 20 }, 'kd',
      // With general distillation: kd from the general student too, to tell the start from the losses.
      ...(general ? [{ name: 'kd+general', method: 'kd', general: true }] : []),
      'tinybert', 'tinybert+aug',
    ],
    training: { epochs: 1, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 }, seed: s, temperature: 1, labelled: SST2.labelled },
    tinybert: { intermediateEpochs: 1, predictionEpochs: 1, predictionLearningRate: 0.001 },
    augment: { source: 'teacher-neighbours', copies: 1, probability: 0.3 },
    ...(general ? { general: { epochs: GENERAL.generalEpochs } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

const CLI = path.join(__dirname, '../../bin/model-lab.js');

/**
 * Runs one experiment as users do, `model-lab run FILE --json`, in its own process: each run
 * starts with a fresh wasm heap, and a crashed run leaves a resumable run folder (`--keep`)
 * instead of taking the study down.
 */
async function run(file: string): Promise<RunSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString('utf8').split('\n')) if (line.trim() !== '') log(`${path.basename(file)}: ${line}`);
    });
    child.on('exit', (code) => {
      try {
        const s = JSON.parse(out) as RunSummary;
        if (s.status !== 'completed') throw new Error(`${s.status}${s.message ? `: ${s.message}` : ''}`);
        resolve(s);
      } catch (e) {
        reject(new Error(`${file}: model-lab run exited with code ${code}: ${(e as Error).message}`));
      }
    });
  });
}

/** CPU seconds of this process and of its finished children (Linux: /proc/self/stat; elsewhere this process only). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ = 100)
  } catch {
    // not Linux
  }
  return (own.user + own.system) / 1e6 + children;
}

/** A study's teacher: trained in `dir`, or under `--cache` where a completed run of the same settings and data is reused. */
async function teacher(study: Study, dir: string, experiment: object, files: Record<string, Buffer>, inputs: string[] = []): Promise<{ file: string; model: string }> {
  const folder = await teacherFolder(values.cache ? path.resolve(values.cache) : dir, study, experiment, files, inputs);
  if (folder.model) {
    log(`${study}: reusing the teacher ${folder.description} (${path.dirname(folder.file)})`);
    return { file: folder.file, model: folder.model };
  }
  const r = await run(folder.file);
  return { file: folder.file, model: path.join(r.runDir, 'model', 'model.json') };
}

/** The distill runs, one per seed, of the experiment `make` builds for a seed. */
async function distillSeeds(study: Study, dir: string, make: (s: number) => object): Promise<DistillSummary[]> {
  const runs: DistillSummary[] = [];
  for (const s of seedList) {
    const file = path.join(dir, `distill-${s}.experiment.json`);
    writeFileSync(file, JSON.stringify(make(s)));
    runs.push((await run(file)) as DistillSummary);
    log(`${study} seed ${s}: ${JSON.stringify(runs[runs.length - 1])}`);
  }
  return runs;
}

/** The data-free study: one teacher, a distill run per seed. */
async function datafree(dir: string): Promise<{ runs: DistillSummary[]; split: string; dev?: DistillSummary[]; test?: DistillSummary[] }> {
  const fm = path.join(SHARED, 'fashion-mnist');
  const trainPair = { images: path.join(fm, 'train-images-idx3-ubyte.gz'), labels: path.join(fm, 'train-labels-idx1-ubyte.gz') };
  const testPair = { images: path.join(fm, 't10k-images-idx3-ubyte.gz'), labels: path.join(fm, 't10k-labels-idx1-ubyte.gz') };
  let data: DataConfig = { format: 'idx', train: trainPair, test: testPair, scale: 255 };
  let files: Record<string, Buffer> = {};
  let split = 'test (10,000)';
  if (values.validate) {
    // The teacher's folder holds the carved split; its experiment names the files relatively.
    files = carveValidation(trainPair, 10000);
    data = { ...data, train: { images: 'train-images.gz', labels: 'train-labels.gz' }, test: { images: 'validation-images.gz', labels: 'validation-labels.gz' } };
    split = 'validation (last 10,000 training images)';
  }
  const t = await teacher('datafree', dir, fashionTeacher(data), files, values.validate ? [] : [...Object.values(trainPair), ...Object.values(testPair)]);
  const runs = await distillSeeds('datafree', dir, (s) => fashionDistill(s, t.file));
  if (!values.validate) return { runs, split };
  // Tuned on the validation split; the test split once, on the same models.
  const test = await loadData({ format: 'idx', train: testPair, test: testPair, scale: 255 }, { seed });
  return { runs, split, test: await scoreRuns(runs, t.model, test) };
}

/** The runs' summaries with every model (teacher and students) scored again on `data.test`. */
async function scoreRuns(runs: DistillSummary[], teacherModel: string, data: Awaited<ReturnType<typeof loadData>>): Promise<DistillSummary[]> {
  await initBackend('auto');
  const score = async (modelFile: string) => {
    const m = await loadModel(modelFile);
    const a = accuracy(m, data.test, data.exampleShape);
    m.dispose();
    return a;
  };
  const teacherAccuracy = await score(teacherModel);
  return Promise.all(runs.map(async (r) => ({
    ...r,
    teacher: { ...r.teacher, accuracy: teacherAccuracy },
    arms: await Promise.all(r.arms.map(async (a) => ({ ...a, accuracy: await score(path.join(r.runDir, 'model', a.name.replace(/[^A-Za-z0-9._-]+/g, '_'), 'model.json')) }))),
  })));
}

/** IDX files (gzipped) by name: the first `count - n` training images as train, the last `n` as validation. */
function carveValidation(train: { images: string; labels: string }, n: number): Record<string, Buffer> {
  const images = gunzipSync(readFileSync(train.images));
  const labels = gunzipSync(readFileSync(train.labels));
  const count = images.readUInt32BE(4);
  const pixels = images.readUInt32BE(8) * images.readUInt32BE(12);
  const part = (from: number, to: number, name: string): Record<string, Buffer> => {
    const img = Buffer.alloc(16 + (to - from) * pixels);
    images.copy(img, 0, 0, 16);
    img.writeUInt32BE(to - from, 4);
    images.copy(img, 16, 16 + from * pixels, 16 + to * pixels);
    const lab = Buffer.alloc(8 + (to - from));
    labels.copy(lab, 0, 0, 8);
    lab.writeUInt32BE(to - from, 4);
    labels.copy(lab, 8, 8 + from, 8 + to);
    return { [`${name}-images.gz`]: gzipSync(img, { level: 1 }), [`${name}-labels.gz`]: gzipSync(lab, { level: 1 }) };
  };
  return { ...part(0, count - n, 'train'), ...part(count - n, count, 'validation') };
}

/** SST-2's TSV (`label<TAB>sentence`, a header line) as the JSON Lines the text loader reads. */
function tsvToJsonl(file: string): { jsonl: Buffer; count: number } {
  const raw = readFileSync(file);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split('\t');
  if (header[0] !== 'label' || header[1] !== 'sentence') throw new Error(`${file}: expected the header "label<TAB>sentence", got ${JSON.stringify(lines[0])}`);
  const rows = lines.slice(1).map((l, i) => {
    const [label, ...rest] = l.split('\t');
    if (label !== '0' && label !== '1') throw new Error(`${file}:${i + 2}: label must be 0 or 1, got ${JSON.stringify(label)}`);
    return JSON.stringify({ text: rest.join('\t'), label: Number(label) });
  });
  return { jsonl: Buffer.from(rows.join('\n') + '\n'), count: rows.length };
}

/** The TinyBERT study: one teacher on all of SST-2 train, a distill run per seed, dev (and --test) accuracy. */
async function tinybert(dir: string): Promise<{ runs: DistillSummary[]; split: string; dev?: DistillSummary[]; test?: DistillSummary[] }> {
  const sst = path.join(SHARED, 'sst2');
  const train = tsvToJsonl(path.join(sst, 'train.tsv.gz'));
  const dev = tsvToJsonl(path.join(sst, 'dev.tsv'));
  log(`SST-2: ${train.count} training sentences, ${dev.count} dev`);
  const t = await teacher('tinybert', dir, sst2Teacher('train.jsonl', 'dev.jsonl'), { 'train.jsonl': train.jsonl, 'dev.jsonl': dev.jsonl });
  const runs = await distillSeeds('tinybert', dir, (s) => sst2Distill(s, t.file));
  if (!values.test) return { runs, split: 'dev (872)' };
  // The held-out file: the same vocabulary (built from the training text alone), every saved model.
  const testFile = path.join(dir, 'test.jsonl');
  const held = tsvToJsonl(path.resolve(values.test));
  writeFileSync(testFile, held.jsonl);
  const data = await loadData({ format: 'jsonl', train: path.join(path.dirname(t.file), 'train.jsonl'), test: testFile, maxLength: SST2.maxLength, vocabSize: SST2.vocabSize, ...(quick ? { limit: 3000 } : {}) }, { seed });
  const onTest = await scoreRuns(runs, t.model, data);
  return { runs: onTest, split: `${path.basename(values.test)} (${held.count})`, dev: runs };
}

/** The seeds' mean in the summary shape, with each seed's accuracies and their standard deviation. */
function meanSummary(kind: Study, runs: DistillSummary[], split: string, dev?: DistillSummary[], test?: DistillSummary[]): StudyResult['summary'] {
  const mean = (xs: number[]) => spread(xs).mean;
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  const names = runs[0].arms.map((a) => a.name);
  const armOf = (r: DistillSummary, name: string) => r.arms.find((a) => a.name === name)!;
  const byName = (rs: DistillSummary[], name: string) => rs.map((r) => armOf(r, name).accuracy);
  const perSeed = (rs: DistillSummary[]) => ({ teacher: rs.map((r) => r4(r.teacher.accuracy)), ...Object.fromEntries(names.map((n) => [n, byName(rs, n).map(r4)])) });
  const means = (rs: DistillSummary[]) => Object.fromEntries(Object.entries(perSeed(rs)).map(([n, xs]) => [n, r4(mean(xs))]));
  return {
    status: 'completed',
    kind: 'distill',
    experiment: kind,
    split,
    seeds: seedList,
    teacher: { accuracy: r4(mean(runs.map((r) => r.teacher.accuracy))), parameters: runs[0].teacher.parameters, msPerExample: r4(mean(runs.map((r) => r.teacher.msPerExample))) },
    arms: names.map((name) => ({
      name,
      accuracy: r4(mean(byName(runs, name))),
      parameters: armOf(runs[0], name).parameters,
      msPerExample: r4(mean(runs.map((r) => armOf(r, name).msPerExample))),
      trainSeconds: Math.round(mean(runs.map((r) => armOf(r, name).trainSeconds))),
    })),
    // General distillation (--general): the seeds' mean time and losses at its first and last loss points.
    ...(runs.every((r) => r.general) ? {
      general: {
        ...runs[0].general!,
        trainSeconds: Math.round(mean(runs.map((r) => r.general!.trainSeconds))),
        firstLoss: r4(mean(runs.map((r) => r.general!.firstLoss))),
        lastLoss: r4(mean(runs.map((r) => r.general!.lastLoss))),
      },
    } : {}),
    perSeed: perSeed(runs),
    sd: Object.fromEntries(names.map((n) => [n, r4(spread(byName(runs, n)).sd)])),
    ...(dev ? { dev: means(dev), devPerSeed: perSeed(dev) } : {}),
    ...(test ? { test: means(test), testPerSeed: perSeed(test) } : {}),
  };
}

async function runStudy(study: Study): Promise<StudyResult> {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const dir = mkdtempSync(path.join(tmpdir(), `model-lab-bench-distill-${study}-`));
  mkdirSync(dir, { recursive: true });
  log(`${study}: runs in ${dir}`);
  try {
    const out = study === 'datafree' ? await datafree(dir) : await tinybert(dir);
    return {
      summary: meanSummary(study, out.runs, out.split, out.dev, out.test),
      wallSeconds: Math.round((performance.now() - t0) / 1000),
      cpuSeconds: Math.round(cpuSeconds() - c0),
    };
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The issue's targets on one split's mean accuracies (`accuracies`: fractions, by arm and
 * `teacher`); sizes and speeds from the summary.
 */
function checks(study: Study, s: StudyResult['summary'], accuracies: Record<string, number>): string[] {
  const acc = Object.fromEntries(Object.entries(accuracies).map(([k, v]) => [k, v * 100]));
  const par = Object.fromEntries(s.arms.map((a) => [a.name, a.parameters]));
  const ms = Object.fromEntries(s.arms.map((a) => [a.name, a.msPerExample]));
  const t = acc.teacher;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const diff = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
  if (study === 'datafree') {
    const di = acc.deepinversion;
    return [
      `student ${(s.teacher.parameters / par.deepinversion).toFixed(1)}x fewer parameters (>= 8x: ${mark(s.teacher.parameters >= 8 * par.deepinversion)}), ${(s.teacher.msPerExample / ms.deepinversion).toFixed(1)}x faster per example`,
      `deepinversion ${di.toFixed(2)}% (>= 72%: ${mark(di >= 72)})`,
      `vs noise ${acc.noise.toFixed(2)}%: ${diff(di - acc.noise)} (>= +25: ${mark(di - acc.noise >= 25)})`,
      `vs kd ${acc.kd.toFixed(2)}%: ${diff(di - acc.kd)} (within 10: ${mark(acc.kd - di <= 10)})`,
      `vs BN weight 0 ${acc['deepinversion-no-bn'].toFixed(2)}%: ${diff(di - acc['deepinversion-no-bn'])} (>= +4: ${mark(di - acc['deepinversion-no-bn'] >= 4)})`,
      `dafl ${acc.dafl.toFixed(2)}% (reported)`,
    ];
  }
  const aug = acc['tinybert+aug'];
  return [
    `student ${(s.teacher.parameters / par.student).toFixed(1)}x fewer parameters (>= 4x: ${mark(s.teacher.parameters >= 4 * par.student)}), ${(s.teacher.msPerExample / ms.student).toFixed(1)}x faster (>= 2x: ${mark(s.teacher.msPerExample >= 2 * ms.student)})`,
    `tinybert+aug ${aug.toFixed(2)}% vs student ${acc.student.toFixed(2)}%: ${diff(aug - acc.student)} (>= +5: ${mark(aug - acc.student >= 5)})`,
    `tinybert+aug / teacher ${t.toFixed(2)}% = ${(aug / t * 100).toFixed(1)}% (>= 95%: ${mark(aug >= 0.95 * t)})`,
    `layer-wise vs prediction-only: tinybert ${acc.tinybert.toFixed(2)}% vs kd ${acc.kd.toFixed(2)}% (${acc.tinybert > acc.kd ? 'layer-wise ahead' : 'kd ahead or equal'})`,
    ...(acc['kd+general'] !== undefined ? [`the general student as kd's start: kd+general ${acc['kd+general'].toFixed(2)}% vs kd ${acc.kd.toFixed(2)}% (${diff(acc['kd+general'] - acc.kd)})`] : []),
  ];
}

/** Each split the summary has, with its per-seed accuracies (by arm and `teacher`). */
function splits(s: StudyResult['summary']): { name: string; perSeed: Record<string, number[]> }[] {
  return [
    { name: s.split, perSeed: s.perSeed },
    ...(s.devPerSeed ? [{ name: 'dev', perSeed: s.devPerSeed }] : []),
    ...(s.testPerSeed ? [{ name: 'test (once, the same models)', perSeed: s.testPerSeed }] : []),
  ];
}

function table(study: Study, r: StudyResult): string {
  const s = r.summary;
  const out = [`${study} (seeds ${s.seeds.join(', ')}; ${r.wallSeconds} s wall, ${r.cpuSeconds} s CPU)`];
  if (s.general) out.push(`general distillation: ${s.general.epochs} epoch(s), ${s.general.steps} steps, ${s.general.trainSeconds} s in steps, loss ${s.general.firstLoss} -> ${s.general.lastLoss}; arms from it: ${s.general.arms.join(', ')}`);
  const rows = [['model', 'parameters', 'x smaller', 'ms/example', 'x faster', 'train s'], ['teacher', String(s.teacher.parameters), '', s.teacher.msPerExample.toFixed(4), '', '']];
  for (const a of s.arms) {
    rows.push([a.name, String(a.parameters), (s.teacher.parameters / a.parameters).toFixed(1), a.msPerExample.toFixed(4), (s.teacher.msPerExample / a.msPerExample).toFixed(1), String(a.trainSeconds)]);
  }
  for (const sp of splits(s)) {
    rows[0].push(`${sp.name}: mean ± sd (min-max)`, 'per seed');
    for (const row of rows.slice(1)) row.push(formatSpread(sp.perSeed[row[0]]), sp.perSeed[row[0]].map(pct).join(' '));
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  out.push(...rows.map((row) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ')));
  for (const sp of splits(s)) out.push(`targets on ${sp.name} (seed means):`, ...checks(study, s, Object.fromEntries(Object.entries(sp.perSeed).map(([k, xs]) => [k, spread(xs).mean]))).map((c) => `  ${c}`));
  return out.join('\n');
}

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

function log(line: string): void {
  process.stderr.write(`[bench:distill] ${line}\n`);
}

function loads(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function main(): Promise<void> {
  if (values.run) {
    process.send!(await runStudy(values.run as Study));
    return;
  }
  const studies: Study[] = values.study ? [values.study as Study] : [...STUDIES];
  for (const s of studies) if (!STUDIES.includes(s)) throw new Error(`--study must be datafree or tinybert, got ${s}`);
  if (values.test && !studies.includes('tinybert')) throw new Error('--test is the text study\'s held-out file: run it with --study tinybert');
  if (general && !studies.includes('tinybert')) throw new Error('--general is a variant of the text study: run it with --study tinybert');
  log(`studies ${studies.join(', ')}; teacher seed ${seed}; distillation seeds ${seedList.join(', ')}; load average ${loads()}`);
  const results = await Promise.all(studies.map((study) => new Promise<[Study, StudyResult]>((resolve, reject) => {
    const child = fork(__filename, [...process.argv.slice(2).filter((a) => a !== '--json'), '--run', study], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve([study, m as StudyResult]));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`study ${study} exited with code ${code}`))));
  })));
  const doc: Record<string, unknown> = {};
  for (const [study, r] of results) {
    doc[study] = r.summary;
    log(`${study}: ${r.wallSeconds} s wall, ${r.cpuSeconds} s CPU; load average now ${loads()}`);
    if (!values.json) process.stdout.write(table(study, r) + '\n\n');
    else for (const line of table(study, r).split('\n')) log(line);
  }
  if (values.json) process.stdout.write(JSON.stringify(doc) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
