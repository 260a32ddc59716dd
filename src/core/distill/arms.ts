import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Split } from '../data/types';
import { assertOffTape, type CheckpointExtra, type StageSpec, type StepContext, TrainingSession } from '../train/loop';
import { cosineDecay } from '../train/cosineDecay';
import { learningRateOf } from '../train/optimizer';
import { createRng, shuffledIndices } from '../util/random';
import { augmentTexts, neighbourCandidates, synonymCandidates } from './augment';
import { buildGenerator, daflLoss } from './dafl';
import { balancedTargets, batchNormMatchPerLayer, deepInversionLoss, drawShift, imageShapeOf } from './deepInversion';
import { anatomy, forward, logitsOf } from './forward';
import { randomViews } from './views';
import { type LayerPairs, layerPairs } from './layerMap';
import { competitionLoss, labelCrossEntropy, softCrossEntropy } from './losses';
import { sliceRows, takeRows } from './rows';
import { type ArmSettings, DATA_FREE_METHODS } from './settings';
import { intermediateLoss, projectionInit } from './tinybert';
import { loadSynonyms } from './wordnet';

/** A set of examples in JavaScript memory, row-major. */
export interface ExampleSet {
  x: Float32Array | Int32Array;
  count: number;
}

/** What every arm of a distillation run shares. */
export interface DistillContext {
  teacher: tf.LayersModel;
  /** One example's shape and dtype (the teacher's input). */
  exampleShape: number[];
  numClasses: number;
  /** The training split: absent when only data-free arms run (they never read it). */
  train?: Split;
  test: Split;
  /** Token vocabulary of text data (augmentation). */
  vocab?: string[];
  /** A fresh student with the run's initial weights (the same for every arm). */
  buildStudent(): Promise<tf.LayersModel>;
  /** The teacher of general distillation (an encoder pretrained by masked-LM), when configured. */
  generalTeacher?: tf.LayersModel;
  /** Weights of the general-distillation student, once that phase has run. */
  generalWeights?: tf.Tensor[];
  /** Teacher logits of a set, computed once per set and shared by the arms. */
  teacherLogits(set: ExampleSet): Float32Array;
}

/** What an arm leaves besides its student: shown by the panel and the inline hints. */
export interface ArmOutputs {
  /** Student layer -> teacher layer matched by the layer-wise losses. */
  layerMap?: { student: string; teacher: string }[];
  /** Synthetic inputs: a few per class (values as in the data), with the class they were made for. */
  gallery?: { label: number; values: number[] }[];
  /** How well the synthetic set reproduces each teacher batch-norm layer's statistics. */
  batchNormMatch?: { layer: string; mean: number; variance: number }[];
  /** The same for Gaussian noise of the same count (set by the job: the "before" of the match). */
  batchNormBefore?: { layer: string; mean: number; variance: number }[];
  /** Synthetic (or augmented) examples the student learned from. */
  examples?: number;
}

/** One arm, ready to run: a session, its plan, and how to checkpoint the state outside the session. */
export interface ArmPlan {
  session: TrainingSession;
  student: tf.LayersModel;
  stages: StageSpec[];
  /** State to save with the session (synthetic inputs made so far). */
  extra(): CheckpointExtra;
  /** Restores what `extra` saved (after `session.load`). */
  restore(extra: CheckpointExtra): void;
  outputs(): ArmOutputs;
  dispose(): void;
}

/** Images of the gallery per class. */
const GALLERY_PER_CLASS = 6;
/** Examples per evaluation batch. */
const EVAL_BATCH = 500;

/** Accuracy of a classifier on a split (batched; inference mode). */
export function accuracy(model: tf.LayersModel, split: Split, exampleShape: number[]): number {
  let correct = 0;
  for (let i = 0; i < split.count; i += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, split.count - i);
    correct += tf.tidy(() => {
      const pred = tf.argMax(logitsOf(model, sliceRows(split.x, exampleShape, i, n)), 1).dataSync();
      let c = 0;
      for (let k = 0; k < n; k++) if (pred[k] === split.y[i + k]) c++;
      return c;
    });
  }
  return split.count === 0 ? 0 : correct / split.count;
}

/** Teacher logits of a set, in batches (inference mode). Never inside a gradient step (see `assertOffTape`). */
export function computeLogits(model: tf.LayersModel, set: ExampleSet, exampleShape: number[]): Float32Array {
  assertOffTape(`the teacher's logits of ${set.count} examples`);
  const classes = anatomy(model).numClasses;
  const out = new Float32Array(set.count * classes);
  for (let i = 0; i < set.count; i += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, set.count - i);
    const part = tf.tidy(() => logitsOf(model, sliceRows(set.x, exampleShape, i, n)).dataSync() as Float32Array);
    out.set(part, i * classes);
  }
  return out;
}

/** Builds the session and stages of one arm. The student starts from the context's initial weights. */
export async function planArm(ctx: DistillContext, s: ArmSettings): Promise<ArmPlan> {
  if (!DATA_FREE_METHODS.has(s.method) && !ctx.train) throw new Error(`arm '${s.name}' needs the training split`);
  const student = await ctx.buildStudent();
  if (s.general && ctx.generalWeights) student.setWeights(ctx.generalWeights);
  const session = new TrainingSession({ seed: s.seed });
  session.addNetwork('teacher', ctx.teacher);
  session.addNetwork('student', student, { optimizer: s.optimizer });
  const base: Omit<ArmPlan, 'stages' | 'outputs'> = {
    session,
    student,
    extra: () => ({}),
    restore: () => undefined,
    dispose: () => session.dispose(),
  };
  const evaluate = () => session.report('accuracy', accuracy(student, ctx.test, ctx.exampleShape));
  switch (s.method) {
    case 'student': {
      const train = ctx.train!;
      const labelled = labelledSubset(train, s.labelled, s.seed);
      const set = subsetOf(train, labelled, ctx.exampleShape);
      const y = Int32Array.from(labelled, (i) => train.y[i]);
      const stage: StageSpec = {
        name: 'supervised',
        ...epochs(s.epochs, set.count, s.batchSize),
        trainable: 'student',
        loss: (c) => {
          const idx = c.batch(set.count, s.batchSize);
          const logits = logitsOf(student, takeRows(set.x, ctx.exampleShape, idx), { training: true, seed: session.nextSeed() });
          return labelCrossEntropy(logits, tf.tensor1d(Int32Array.from(idx, (i) => y[i]), 'int32'));
        },
        epochEnd: evaluate,
      };
      return { ...base, stages: [stage], outputs: () => ({ examples: set.count }) };
    }
    case 'kd': {
      const set = { x: ctx.train!.x, count: ctx.train!.count };
      return { ...base, stages: [predictionStage('prediction', ctx, session, student, set, s.epochs, s.batchSize, s.temperature, evaluate, scheduled(s))], outputs: () => ({}) };
    }
    case 'tinybert':
    case 'tinybert+aug': {
      let set: ExampleSet = { x: ctx.train!.x, count: ctx.train!.count };
      let examples = set.count;
      if (s.method === 'tinybert+aug') {
        const aug = augmentSet(ctx, set, s);
        set = concatSets(set, aug, ctx.exampleShape);
        examples = aug.count;
      }
      const pairs = layerPairs(anatomy(student), anatomy(ctx.teacher));
      const proj = session.addVariables('proj', projectionInit(pairs, anatomy(student), anatomy(ctx.teacher), session.nextSeed()), { optimizer: s.optimizer });
      const intermediate = intermediateStage('intermediate', ctx.teacher, session, student, proj, pairs, set, ctx.exampleShape, s);
      const prediction = predictionStage('prediction', ctx, session, student, set, s.tinybert.predictionEpochs, s.batchSize, s.tinybert.temperature, evaluate, scheduled(s, s.tinybert.predictionLearningRate));
      prediction.learningRates = { student: s.tinybert.predictionLearningRate };
      return { ...base, stages: [intermediate, prediction], outputs: () => ({ layerMap: pairs.names, ...(s.method === 'tinybert+aug' ? { examples } : {}) }) };
    }
    case 'noise': {
      const width = size(ctx.exampleShape);
      const noise = tf.tidy(() => tf.randomNormal([s.synthesis.samples, width], 0, 1, 'float32', s.seed * 7 + 3).dataSync() as Float32Array);
      const set = { x: noise, count: s.synthesis.samples };
      return {
        ...base,
        stages: [predictionStage('distillation', ctx, session, student, set, s.epochs, s.batchSize, s.temperature, evaluate, scheduled(s))],
        outputs: () => ({ gallery: gallery(set, noiseLabels(ctx, set), ctx), batchNormMatch: bnMatch(ctx, set), examples: set.count }),
      };
    }
    case 'deepinversion':
      return planDeepInversion(ctx, s, base, evaluate);
    case 'dafl':
      return planDafl(ctx, s, base, evaluate);
  }
}

/**
 * General distillation: the student's intermediate layers learn from an encoder pretrained by
 * masked-LM, on the unlabelled training text. One phase shared by every arm that starts from it.
 */
export async function planGeneral(ctx: DistillContext, s: ArmSettings, epochsOfGeneral: number): Promise<ArmPlan> {
  if (!ctx.generalTeacher) throw new Error('general distillation needs a pretrained teacher');
  const student = await ctx.buildStudent();
  const session = new TrainingSession({ seed: s.seed + 1 });
  session.addNetwork('teacher', ctx.generalTeacher);
  session.addNetwork('student', student, { optimizer: s.optimizer });
  const pairs = layerPairs(anatomy(student), anatomy(ctx.generalTeacher));
  const proj = session.addVariables('proj', projectionInit(pairs, anatomy(student), anatomy(ctx.generalTeacher), session.nextSeed()), { optimizer: s.optimizer });
  const set = { x: ctx.train!.x, count: ctx.train!.count };
  const stage = intermediateStage('general', ctx.generalTeacher, session, student, proj, pairs, set, ctx.exampleShape, { ...s, tinybert: { ...s.tinybert, intermediateEpochs: epochsOfGeneral } });
  return { session, student, stages: [stage], extra: () => ({}), restore: () => undefined, outputs: () => ({ layerMap: pairs.names }), dispose: () => session.dispose() };
}

function intermediateStage(
  name: string,
  teacher: tf.LayersModel,
  session: TrainingSession,
  student: tf.LayersModel,
  proj: Record<string, tf.Variable>,
  pairs: LayerPairs,
  set: ExampleSet,
  exampleShape: number[],
  s: ArmSettings,
): StageSpec {
  return {
    name,
    ...epochs(s.tinybert.intermediateEpochs, set.count, s.batchSize),
    trainable: ['student', 'proj'],
    loss: (c) => {
      const x = takeRows(set.x, exampleShape, c.batch(set.count, s.batchSize));
      const t = forward(teacher, x);
      const st = forward(student, x, { training: true, seed: session.nextSeed() });
      const { pairTerms, ...terms } = intermediateLoss(st, t, pairs, proj, s.tinybert.weights);
      // Each pair's MSE as `hidden:<student layer>`: the final loss the editor shows on that layer.
      return { ...terms, ...Object.fromEntries(pairTerms.map((term, i) => [`hidden:${pairs.names[i].student}`, term])) };
    },
  };
}

function predictionStage(
  name: string,
  ctx: DistillContext,
  session: TrainingSession,
  student: tf.LayersModel,
  set: ExampleSet,
  nEpochs: number,
  batchSize: number,
  temperature: number,
  evaluate: () => void,
  rate?: number,
): StageSpec {
  const classes = ctx.numClasses;
  const length = epochs(nEpochs, set.count, batchSize);
  return {
    name,
    ...length,
    // A `step` stage, not `trainable` + `loss`: the teacher's logits of the whole set are computed
    // (once, cached by the context) here, off the gradient tape; in the loss the tape would keep
    // every batch of that pass alive at once (the kd arm on SST-2's 67k sentences hit the wasm
    // heap's 4 GB limit in its first step).
    step: (c) => {
      const idx = c.batch(set.count, batchSize);
      const teacherLogits = ctx.teacherLogits(set);
      if (rate !== undefined) session.setLearningRate('student', cosineDecay(rate, c.stageStep, length.epochs * length.stepsPerEpoch));
      session.step('student', () => {
        const targets = takeRows(teacherLogits, [classes], idx);
        const logits = logitsOf(student, takeRows(set.x, ctx.exampleShape, idx), { training: true, seed: session.nextSeed() });
        return softCrossEntropy(logits, targets, temperature);
      });
    },
    epochEnd: evaluate,
  };
}

/**
 * KD on a synthetic set (DeepInversion, DAFL): on the fixed set, or with `synthesis.views` on a
 * fresh view of each batch (each image shifted and flipped on its own, `randomViews`; with
 * `synthesis.mixup` also mixed pairwise), labelled by the teacher on exactly what the student sees.
 */
function syntheticStage(ctx: DistillContext, session: TrainingSession, student: tf.LayersModel, set: ExampleSet, s: ArmSettings, evaluate: () => void): StageSpec {
  const syn = s.synthesis;
  const rate = scheduled(s);
  if (!syn.views && !syn.mixup) return predictionStage('distillation', ctx, session, student, set, s.epochs, s.batchSize, s.temperature, evaluate, rate);
  const image = imageShapeOf(ctx.exampleShape);
  const length = epochs(s.epochs, set.count, s.batchSize);
  return {
    name: 'distillation',
    ...length,
    // The view and the teacher's logits on it are made before the step, off the gradient tape.
    step: (c) => {
      const idx = c.batch(set.count, s.batchSize);
      if (rate !== undefined) session.setLearningRate('student', cosineDecay(rate, c.stageStep, length.epochs * length.stepsPerEpoch));
      let x = takeRows(set.x, ctx.exampleShape, idx);
      if (image) x = tf.reshape(randomViews(tf.reshape(x, [-1, ...image]) as tf.Tensor4D, syn.jitter, syn.flip, session.rng), x.shape);
      if (syn.mixup) {
        const n = idx.length;
        const partner = Int32Array.from({ length: n }, () => session.rng.int(n));
        const lambda = tf.tensor(Float32Array.from({ length: n }, () => session.rng.next()), [n, ...ctx.exampleShape.map(() => 1)]);
        x = tf.add(tf.mul(x, lambda), tf.mul(tf.gather(x, tf.tensor1d(partner, 'int32')), tf.sub(1, lambda)));
      }
      const targets = logitsOf(ctx.teacher, x);
      session.step('student', () => softCrossEntropy(logitsOf(student, x, { training: true, seed: session.nextSeed() }), targets, s.temperature));
    },
    epochEnd: evaluate,
  };
}

/** DeepInversion: batches of inputs optimised against the teacher, then KD on them. */
function planDeepInversion(ctx: DistillContext, s: ArmSettings, base: Omit<ArmPlan, 'stages' | 'outputs'>, evaluate: () => void): ArmPlan {
  const { session, student } = base;
  const syn = s.synthesis;
  const width = size(ctx.exampleShape);
  const batches = Math.ceil(syn.samples / syn.batchSize);
  const synthetic = new Float32Array(syn.samples * width);
  const labels = new Int32Array(syn.samples);
  let done = 0;
  const isImage = imageShapeOf(ctx.exampleShape) !== undefined;
  const { x } = session.addVariables('inputs', { x: tf.zeros([syn.batchSize, ...ctx.exampleShape]) }, { optimizer: { type: 'adam', learningRate: syn.learningRate } });
  const bnNames = anatomy(ctx.teacher).batchNormLayers;
  const set: ExampleSet = { x: synthetic, count: syn.samples };
  // Adaptive DeepInversion: after each batch but the last the student takes `competitionSteps` KD
  // steps on the inputs made so far, and later batches also maximise its disagreement with the teacher.
  const adaptive = syn.competition > 0 && batches > 1;
  const studentSteps = adaptive ? syn.competitionSteps : 0;
  const block = syn.steps + studentSteps;
  const synthesis: StageSpec = {
    name: 'synthesis',
    steps: batches * syn.steps + (batches - 1) * studentSteps,
    step: (c: StepContext) => {
      const b = Math.floor(c.stageStep / block);
      const offset = c.stageStep % block;
      if (offset >= syn.steps) {
        // The student learns from the batches made so far (teacher logits off the tape).
        const made = Math.min(syn.samples, (b + 1) * syn.batchSize);
        const xb = takeRows(synthetic, ctx.exampleShape, c.batch(made, s.batchSize));
        const targets = logitsOf(ctx.teacher, xb);
        session.step('student', () => softCrossEntropy(logitsOf(student, xb, { training: true, seed: session.nextSeed() }), targets, s.temperature), { name: 'studentKd' });
        return;
      }
      // A batch starts from fresh noise (from the session: reproducible on resume); its targets
      // are a function of the batch index.
      if (offset === 0) session.reset('inputs', { x: session.randomNormal([syn.batchSize, ...ctx.exampleShape]) });
      const targets = balancedTargets(syn.batchSize, ctx.numClasses, b * syn.batchSize, createRng(s.seed * 9973 + b));
      const view = { ...drawShift(session.rng, syn, isImage), coarse: offset < syn.coarseSteps };
      if (syn.schedule === 'cosine') session.setLearningRate('inputs', cosineDecay(syn.learningRate, offset, syn.steps));
      const y = tf.tensor1d(targets, 'int32');
      session.step('inputs', () => {
        const r = deepInversionLoss(ctx.teacher, x, y, syn, view);
        const perLayer = Object.fromEntries(r.bnLayers.map((t, i) => [`bn:${bnNames[i]}`, t]));
        const terms = { ce: r.ce, bn: r.bn, tv: r.tv, ...perLayer };
        if (!adaptive || b === 0) return { loss: r.loss, ...terms };
        const competition = competitionLoss(r.logits, logitsOf(student, r.input));
        return { loss: tf.add(r.loss, tf.mul(competition, syn.competition)), competition, ...terms };
      });
      if (syn.clip) tf.tidy(() => x.assign(tf.clipByValue(x, syn.clip![0], syn.clip![1])));
      if (offset + 1 === syn.steps) {
        const n = Math.min(syn.batchSize, syn.samples - b * syn.batchSize);
        synthetic.set((x.dataSync() as Float32Array).subarray(0, n * width), b * syn.batchSize * width);
        labels.set(targets.subarray(0, n), b * syn.batchSize);
        done = b + 1;
        session.report('teacherAccuracy', agreement(ctx.teacher, x, targets));
      }
    },
  };
  const distillation = syntheticStage(ctx, session, student, set, s, evaluate);
  return {
    ...base,
    stages: [synthesis, distillation],
    extra: () => ({ json: { batches: done }, arrays: { synthetic: synthetic.slice(0, Math.min(syn.samples, done * syn.batchSize) * width), labels: labels.slice(0, Math.min(syn.samples, done * syn.batchSize)) } }),
    restore: (e) => {
      const a = e.arrays ?? {};
      if (a.synthetic) synthetic.set(a.synthetic as Float32Array);
      if (a.labels) labels.set(a.labels as Int32Array);
      done = Number((e.json as { batches?: number } | undefined)?.batches ?? 0);
    },
    outputs: () => ({ gallery: gallery(set, labels, ctx), batchNormMatch: bnMatch(ctx, set), examples: syn.samples }),
  };
}

/** DAFL: a generator trained against the teacher, then KD on a fixed set drawn from it. */
function planDafl(ctx: DistillContext, s: ArmSettings, base: Omit<ArmPlan, 'stages' | 'outputs'>, evaluate: () => void): ArmPlan {
  const { session, student } = base;
  const d = s.dafl;
  const width = size(ctx.exampleShape);
  const generator = buildGenerator(ctx.exampleShape, d, s.seed * 31 + 5, s.synthesis.clip);
  session.addNetwork('generator', generator, { optimizer: { type: 'adam', learningRate: d.learningRate } });
  const samples = s.synthesis.samples;
  const synthetic = new Float32Array(samples * width);
  let drawn = false;
  const set: ExampleSet = { x: synthetic, count: samples };
  const generatorStage: StageSpec = {
    name: 'generator',
    steps: d.steps,
    trainable: 'generator',
    loss: () => {
      const z = session.randomNormal([d.batchSize, d.noiseDim]);
      const r = daflLoss(ctx.teacher, generator.apply(z, { training: true }) as tf.Tensor, d);
      return { loss: r.loss, oneHot: r.oneHot, activation: r.activation, balance: r.balance };
    },
    end: () => {
      for (let i = 0; i < samples; i += d.batchSize) {
        const n = Math.min(d.batchSize, samples - i);
        const part = tf.tidy(() => (generator.apply(session.randomNormal([d.batchSize, d.noiseDim]), { training: true }) as tf.Tensor).dataSync() as Float32Array);
        synthetic.set(part.subarray(0, n * width), i * width);
      }
      drawn = true;
    },
  };
  const distillation = syntheticStage(ctx, session, student, set, s, evaluate);
  return {
    ...base,
    stages: [generatorStage, distillation],
    extra: () => (drawn ? { arrays: { synthetic } } : {}),
    restore: (e) => {
      if (e.arrays?.synthetic) {
        synthetic.set(e.arrays.synthetic as Float32Array);
        drawn = true;
      }
    },
    outputs: () => ({ gallery: gallery(set, noiseLabels(ctx, set), ctx), batchNormMatch: bnMatch(ctx, set), examples: samples }),
  };
}

/** Share of a batch the teacher assigns to its target class. */
function agreement(teacher: tf.LayersModel, x: tf.Tensor, targets: Int32Array): number {
  const pred = tf.tidy(() => tf.argMax(logitsOf(teacher, x), 1).dataSync());
  let c = 0;
  for (let i = 0; i < targets.length; i++) if (pred[i] === targets[i]) c++;
  return c / targets.length;
}

/** The `labelled` training examples the student arm sees: a seeded choice (all when undefined). */
export function labelledSubset(train: Split, labelled: number | undefined, seed: number): Int32Array {
  if (labelled === undefined || labelled >= train.count) return Int32Array.from({ length: train.count }, (_, i) => i);
  return shuffledIndices(train.count, createRng(seed * 7919 + 1)).slice(0, labelled);
}

function subsetOf(split: Split, idx: Int32Array, shape: number[]): ExampleSet {
  const w = size(shape);
  const x = split.x instanceof Int32Array ? new Int32Array(idx.length * w) : new Float32Array(idx.length * w);
  idx.forEach((r, k) => x.set(split.x.subarray(r * w, (r + 1) * w), k * w));
  return { x, count: idx.length };
}

function concatSets(a: ExampleSet, b: ExampleSet, shape: number[]): ExampleSet {
  const w = size(shape);
  const x = a.x instanceof Int32Array ? new Int32Array((a.count + b.count) * w) : new Float32Array((a.count + b.count) * w);
  x.set(a.x.subarray(0, a.count * w));
  x.set(b.x.subarray(0, b.count * w), a.count * w);
  return { x, count: a.count + b.count };
}

/** The augmented copies of a text set (word replacement), reproducible from the arm's seed. */
function augmentSet(ctx: DistillContext, set: ExampleSet, s: ArmSettings): ExampleSet {
  if (!(set.x instanceof Int32Array) || !ctx.vocab) throw new Error(`arm '${s.name}': augmentation works on text data`);
  const length = size(ctx.exampleShape);
  const a = s.augment;
  let candidates: Int32Array[];
  if (a.source === 'wordnet') {
    let synonyms: ReturnType<typeof loadSynonyms>;
    try {
      synonyms = loadSynonyms();
    } catch (e) {
      throw new UserError(`arm '${s.name}': ${(e as Error).message}; use augment.source "teacher-neighbours"`, '/augment/source');
    }
    candidates = synonymCandidates(ctx.vocab, synonyms, a.candidates);
  } else {
    const emb = ctx.teacher.layers.find((l) => l.getClassName() === 'Embedding');
    if (!emb) throw new Error(`arm '${s.name}': teacher-neighbours augmentation needs a teacher with an embedding layer`);
    const table = emb.getWeights()[0];
    const [, d] = table.shape;
    const needed = new Set<number>(set.x);
    candidates = neighbourCandidates(ctx.vocab, table.dataSync() as Float32Array, d, a.candidates, needed);
  }
  const out = augmentTexts(set.x, set.count, length, candidates, a, createRng(s.seed * 104729 + 7));
  return { x: out.x, count: out.count };
}

/** Up to `GALLERY_PER_CLASS` examples per class of a synthetic set, with their labels. */
function gallery(set: ExampleSet, labels: Int32Array, ctx: DistillContext): { label: number; values: number[] }[] {
  const w = size(ctx.exampleShape);
  const perClass = new Map<number, number>();
  const out: { label: number; values: number[] }[] = [];
  for (let i = 0; i < set.count; i++) {
    const c = labels[i];
    if ((perClass.get(c) ?? 0) >= GALLERY_PER_CLASS) continue;
    perClass.set(c, (perClass.get(c) ?? 0) + 1);
    out.push({ label: c, values: Array.from(set.x.subarray(i * w, (i + 1) * w), (v) => Math.round(v * 1000) / 1000) });
  }
  return out.sort((a, b) => a.label - b.label);
}

/** The teacher's classes for inputs that were not made for a class (noise, DAFL). */
function noiseLabels(ctx: DistillContext, set: ExampleSet): Int32Array {
  const logits = ctx.teacherLogits(set);
  const c = ctx.numClasses;
  return Int32Array.from({ length: set.count }, (_, i) => {
    let best = 0;
    for (let k = 1; k < c; k++) if (logits[i * c + k] > logits[i * c + best]) best = k;
    return best;
  });
}

function bnMatch(ctx: DistillContext, set: ExampleSet): { layer: string; mean: number; variance: number }[] | undefined {
  if (anatomy(ctx.teacher).batchNormLayers.length === 0) return undefined;
  return tf.tidy(() => batchNormMatchPerLayer(ctx.teacher, sliceRows(set.x, ctx.exampleShape, 0, set.count)));
}

/**
 * The base learning rate a KD stage decays from with `training.schedule: "cosine"` (the
 * optimizer's, or `base`), or undefined: constant.
 */
function scheduled(s: ArmSettings, base = learningRateOf(s.optimizer)): number | undefined {
  return s.schedule === 'cosine' ? base : undefined;
}

function epochs(n: number, count: number, batchSize: number): { epochs: number; stepsPerEpoch: number } {
  return { epochs: n, stepsPerEpoch: Math.max(1, Math.ceil(count / batchSize)) };
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
