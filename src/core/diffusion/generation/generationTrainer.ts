import * as tf from '@tensorflow/tfjs';
import { type StageSpec, TrainingSession } from '../../train/loop';
import { createRng } from '../../util/random';
import type { Params } from '../layers';
import type { Prediction } from '../sampler';
import { makeSchedule, resolutionShift, type ScheduleName } from '../schedule';
import { featureStats, frechetDistance, type GaussianStats } from './frechet';
import { type LabelledImages, takeImages } from './imageData';
import {
  type AutoencoderShape, CLASSIFIER_FEATURES, classify, decode, decodeCoarse, encode, initAutoencoder, initClassifier, initUnet, type UnetShape,
} from './networks';
import { type LatentScale, sampleTwoScale, type SamplingSettings, type ScaleSchedule, type TwoScaleModel, twoScaleLoss } from './twoScale';
import { heldOutSplit, pickByRule, type SamplingSelection, SELECTION_RULE, type ValidationPoint } from './validation';

/**
 * Settings of the Frido miniature (defaults in `DEFAULT_GENERATION_CONFIG`). Each arm (schedule)
 * trains its own copy of the same U-Net for `diffusion.steps` steps of `batchSize` and samples
 * with `diffusion.calls` network calls per image.
 */
export interface GenerationConfig {
  schedules: ScaleSchedule[];
  seed: number;
  batchSize: number;
  classifier: { steps: number; learningRate: number };
  autoencoder: AutoencoderShape & { steps: number; learningRate: number; coarseWeight: number };
  diffusion: {
    steps: number;
    learningRate: number;
    timesteps: number;
    noiseSchedule: ScheduleName;
    /** What the U-Net predicts: the noise (eps) or the velocity (v). */
    prediction: Prediction;
    /** Min-SNR-gamma loss weighting (0: off). */
    minSnr: number;
    /**
     * coarse-to-fine: the log SNR shift of the coarse stage's noise schedule (simple diffusion's
     * resolution shift, `shiftedAlphaBars`; 0: the same schedule as the fine stage). Default
     * -2 ln 2: the size of the shift for 7x7 against 14x14, towards more noise, as chosen on the
     * validation split (docs/diffusion.md).
     */
    coarseShift: number;
    /** single-scale: the log SNR shift of its joint chain's noise schedule (0: the plain schedule); default the coarse stage's, as chosen on validation. */
    jointShift: number;
    /** coarse-to-fine: the share of each training batch's rows on the coarse stage (default 2/3, chosen on the validation split; Frido's is 1/2). */
    coarseRows: number;
    width: number;
    embed: number;
    /** Network calls per sample (DDIM steps; coarse-to-fine splits them between its stages by `coarseShare`). */
    calls: number;
    /** Classifier-free guidance weight w (0: plain conditional sampling), unless `validation` chooses it. */
    guidance: number;
    /** coarse-to-fine: share of the calls on the coarse stage, unless `validation` chooses it. */
    coarseShare: number;
    /** Probability of training a row without its label. */
    dropLabel: number;
    ema: { decay: number; every: number };
  };
  evaluation: {
    /** Samples for the final distance and class consistency (balanced over classes). */
    samples: number;
    /** Evaluate every this many diffusion steps on `curveSamples` samples (0: only at the end). */
    every: number;
    curveSamples: number;
    /** Samples per class in the stored sample grid. */
    gridPerClass: number;
  };
  /**
   * The sampling knobs each schedule uses for its final samples and grid, chosen after training
   * by the rule in `validation.ts` on `samples` fresh samples per candidate against as many
   * held-out validation images (disjoint from the reported reference). 0 samples: no selection.
   */
  validation: {
    samples: number;
    /** Candidate guidance weights. */
    guidance: number[];
    /** coarse-to-fine: candidate shares of the calls on the coarse stage (tried at the chosen guidance). */
    coarseShare: number[];
  };
}

export const DEFAULT_GENERATION_CONFIG: GenerationConfig = {
  schedules: ['coarse-to-fine', 'single-scale'],
  seed: 0,
  batchSize: 64,
  classifier: { steps: 800, learningRate: 1e-3 },
  autoencoder: { coarseChannels: 4, fineChannels: 2, width: 32, steps: 1500, learningRate: 2e-3, coarseWeight: 0.5 },
  diffusion: {
    steps: 3000, learningRate: 1e-3, timesteps: 1000, noiseSchedule: 'cosine', prediction: 'v', minSnr: 0, coarseShift: -resolutionShift(7, 14), jointShift: -resolutionShift(7, 14), coarseRows: 2 / 3, width: 16, embed: 64,
    calls: 20, guidance: 2, coarseShare: 0.5, dropLabel: 0.1, ema: { decay: 0.995, every: 1 },
  },
  evaluation: { samples: 2000, every: 1000, curveSamples: 500, gridPerClass: 8 },
  validation: { samples: 400, guidance: [1, 2, 3, 4], coarseShare: [0.3, 0.5, 0.7] },
};

/** Seeds of the validation samples: never the seeds of the reported samples. */
const VALIDATION_SEED = 0x7a11d;

/** Quality of generated images, measured in the features of the classifier trained here. */
export interface GenerationMetrics {
  /** Fréchet distance to held-out real images (penultimate features of our classifier; not FID). */
  distance: number;
  /** The same distance after reducing both image sets to 7x7 (global structure). */
  distance7: number;
  /** Share of samples our classifier assigns to the class they were generated for. */
  classConsistency: number;
  samples: number;
}

/** A sample grid: `perClass` images per class at each stage (coarse decode, full decode), 28x28, 0..255. */
export interface SampleGrid {
  arm: ScaleSchedule;
  classes: number;
  perClass: number;
  /** [stage][class][k] row-major 28x28 pixels; stage 0 = coarse decode, 1 = full decode. */
  pixels: Uint8Array;
}

const GROUP = { 'coarse-to-fine': 'c2f', 'single-scale': 'single' } as const;

/** The held-out images' parts: the reference of the reported numbers, and the validation split the sampling knobs are chosen on. */
export type HeldOut = 'report' | 'validation';

/** `GenerationTrainer.diagnose`: class consistency at each stage, on the validation split. */
export interface StageDiagnosis {
  samples: number;
  /** The samples' coarse latents decoded alone. */
  coarseDecode: number;
  /** The samples' full decodes. */
  fullDecode: number;
  /** coarse-to-fine: the fine stage given held-out images' coarse latents (their labels as the condition). */
  fineGivenRealCoarse?: number;
  /** Held-out images through the autoencoder: the coarse decode and the full decode (ceilings). */
  realCoarseDecode: number;
  realFullDecode: number;
}

/**
 * The Frido miniature end to end with one `TrainingSession`: stage `classifier` (the measuring
 * stick, trained on the training images), stage `autoencoder` (two-scale), then one stage per
 * schedule training its U-Net (with EMA weights) on the frozen autoencoder's latents. Evaluation
 * hooks report the distance over training; `finalEvaluation` measures each arm on
 * `evaluation.samples` samples against as many held-out images. Deterministic under `seed`.
 */
export class GenerationTrainer {
  readonly session: TrainingSession;
  readonly unetShape: UnetShape;
  private readonly train: { x: tf.Tensor4D; y: Int32Array; count: number };
  private readonly dev: LabelledImages;
  private latents?: { coarse: tf.Tensor4D; fine: tf.Tensor4D; scale: LatentScale };
  private readonly references = new Map<HeldOut, { fine: GaussianStats; coarse7: GaussianStats }>();
  /** The sampling knobs of each schedule: the configured ones until `select` chooses. */
  private readonly sampling = new Map<ScaleSchedule, SamplingSettings>();
  private readonly selections = new Map<ScaleSchedule, SamplingSelection>();
  private readonly ddpm;
  private readonly coarseDdpm;
  private readonly jointDdpm;

  constructor(
    readonly config: GenerationConfig,
    train: LabelledImages,
    dev: LabelledImages,
  ) {
    const c = config;
    this.session = new TrainingSession({ seed: c.seed });
    this.train = { x: tf.keep(tf.tensor4d(train.x, [train.count, 28, 28, 1])), y: train.y, count: train.count };
    this.dev = dev;
    const classes = Math.max(train.classes, dev.classes);
    this.unetShape = { coarseChannels: c.autoencoder.coarseChannels, fineChannels: c.autoencoder.fineChannels, width: c.diffusion.width, classes, embed: c.diffusion.embed };
    this.ddpm = makeSchedule(c.diffusion.noiseSchedule, c.diffusion.timesteps);
    this.coarseDdpm = makeSchedule(c.diffusion.noiseSchedule, c.diffusion.timesteps, c.diffusion.coarseShift);
    this.jointDdpm = makeSchedule(c.diffusion.noiseSchedule, c.diffusion.timesteps, c.diffusion.jointShift);
    const adam = (lr: number) => ({ optimizer: { type: 'adam' as const, learningRate: lr } });
    this.session.addVariables('classifier', initClassifier(classes, c.seed + 1), adam(c.classifier.learningRate));
    this.session.addVariables('autoencoder', initAutoencoder(c.autoencoder, c.seed + 2), adam(c.autoencoder.learningRate));
    for (const arm of c.schedules) {
      // Both arms start from the same initial weights: the schedules differ, nothing else.
      this.session.addVariables(GROUP[arm], initUnet(this.unetShape, c.seed + 3), adam(c.diffusion.learningRate));
      this.session.addCopy(`${GROUP[arm]}Ema`, GROUP[arm]);
    }
  }

  get classes(): number {
    return this.unetShape.classes;
  }

  /** The plan; `onEvaluate` receives curve points (reported into the step record as well). */
  stages(onEvaluate?: (arm: ScaleSchedule, step: number, m: GenerationMetrics) => void): StageSpec[] {
    const c = this.config;
    const s = this.session;
    const n = this.train.count;
    const stages: StageSpec[] = [
      {
        name: 'classifier',
        steps: c.classifier.steps,
        trainable: 'classifier',
        loss: (ctx) => {
          const idx = ctx.batch(n, c.batchSize);
          const x = tf.gather(this.train.x, tf.tensor1d(idx, 'int32'));
          const y = tf.oneHot(tf.tensor1d(Int32Array.from(idx, (i) => this.train.y[i]), 'int32'), this.classes);
          return tf.losses.softmaxCrossEntropy(y, classify(s.variables('classifier'), x).logits);
        },
        end: () => s.report('devAccuracy', this.classifierAccuracy(this.dev)),
      },
      {
        name: 'autoencoder',
        steps: c.autoencoder.steps,
        trainable: 'autoencoder',
        loss: (ctx) => {
          const x = tf.gather(this.train.x, tf.tensor1d(ctx.batch(n, c.batchSize), 'int32'));
          const p = s.variables('autoencoder');
          const z = encode(p, x);
          const full = tf.mean(tf.square(tf.sub(decode(p, z.coarse, z.fine), x)));
          const coarse = tf.mean(tf.square(tf.sub(decodeCoarse(p, z.coarse), x)));
          return { loss: tf.add(full, tf.mul(c.autoencoder.coarseWeight, coarse)), reconstruction: full, coarseReconstruction: coarse };
        },
        end: () => s.report('reconstructionDistance', this.reconstructionDistance()),
      },
    ];
    for (const arm of c.schedules) {
      const g = GROUP[arm];
      stages.push({
        name: arm,
        steps: c.diffusion.steps,
        step: (ctx) => {
          const lat = this.ensureLatents();
          const idx = ctx.batch(n, c.batchSize);
          const rows = tf.tensor1d(idx, 'int32');
          const coarse0 = tf.gather(lat.coarse, rows) as tf.Tensor4D;
          const fine0 = tf.gather(lat.fine, rows) as tf.Tensor4D;
          const labels = Int32Array.from(idx, (i) => this.train.y[i]);
          const rnd = { normal: (shape: number[]) => s.randomNormal(shape), int: (k: number) => s.rng.int(k), next: () => s.rng.next() };
          s.step(g, () => twoScaleLoss(this.model(), s.variables(g), arm, coarse0, fine0, labels, rnd, c.diffusion));
          if ((ctx.stageStep + 1) % c.diffusion.ema.every === 0) s.updateCopy(`${g}Ema`, 1 - c.diffusion.ema.decay);
          const done = ctx.stageStep + 1;
          if (c.evaluation.every > 0 && done % c.evaluation.every === 0 && done < c.diffusion.steps) {
            const m = this.evaluate(arm, c.evaluation.curveSamples, c.seed + 1000);
            s.report('distance', m.distance);
            s.report('distance7', m.distance7);
            s.report('classConsistency', m.classConsistency);
            onEvaluate?.(arm, done, m);
          }
        },
      });
    }
    return stages;
  }

  /** The latent model of the arms (schedule, shapes, latent scale). */
  model(): TwoScaleModel {
    return { shape: this.unetShape, schedule: this.ddpm, coarseSchedule: this.coarseDdpm, jointSchedule: this.jointDdpm, scale: this.ensureLatents().scale, prediction: this.config.diffusion.prediction };
  }

  /**
   * Encodes the training images once the autoencoder is trained (and again after a resume: it is
   * a pure function of the autoencoder's weights), with the per-scale standard deviations.
   */
  private ensureLatents(): { coarse: tf.Tensor4D; fine: tf.Tensor4D; scale: LatentScale } {
    if (this.latents) return this.latents;
    const p = this.session.variables('autoencoder');
    const coarse: tf.Tensor[] = [];
    const fine: tf.Tensor[] = [];
    for (let i = 0; i < this.train.count; i += 500) {
      const z = tf.tidy(() => encode(p, tf.slice(this.train.x, [i], [Math.min(500, this.train.count - i)])));
      coarse.push(z.coarse);
      fine.push(z.fine);
    }
    const latents = tf.tidy(() => {
      const c = tf.concat(coarse) as tf.Tensor4D;
      const f = tf.concat(fine) as tf.Tensor4D;
      const std = (x: tf.Tensor) => Math.max(1e-3, Math.sqrt(tf.moments(x).variance.dataSync()[0]));
      const scale = { coarse: std(c), fine: std(f) };
      return { coarse: tf.div(c, scale.coarse) as tf.Tensor4D, fine: tf.div(f, scale.fine) as tf.Tensor4D, scale: [scale.coarse, scale.fine] };
    });
    tf.dispose([...coarse, ...fine]);
    const [sc, sf] = latents.scale as number[];
    this.latents = { coarse: tf.keep(latents.coarse), fine: tf.keep(latents.fine), scale: { coarse: sc, fine: sf } };
    return this.latents;
  }

  /** The sampling knobs an arm samples with now (the configured ones, or what `select` chose). */
  samplingOf(arm: ScaleSchedule): SamplingSettings {
    const d = this.config.diffusion;
    return this.sampling.get(arm) ?? { calls: d.calls, guidance: d.guidance, coarseShare: d.coarseShare };
  }

  /** What `select` chose for an arm and measured to choose it (undefined before, or without selection). */
  selectionOf(arm: ScaleSchedule): SamplingSelection | undefined {
    return this.selections.get(arm);
  }

  /**
   * Generates `count` images balanced over classes (class = index mod classes; or `labels`) with
   * an arm's EMA weights and sampling knobs (`sampling` overrides them): the full decode and the
   * coarse decode, [count, 28, 28, 1] each. `givenCoarse` (coarse-to-fine): the fine stage only,
   * conditioned on these scaled coarse latents, one per label.
   */
  generate(
    arm: ScaleSchedule, count: number, seed: number, opts: { sampling?: Partial<SamplingSettings>; labels?: Int32Array; givenCoarse?: tf.Tensor4D } = {},
  ): { images: tf.Tensor4D; coarseImages: tf.Tensor4D; labels: Int32Array } {
    const rng = createRng(seed);
    const noise = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', rng.int(2 ** 31 - 1));
    const labels = opts.labels ?? Int32Array.from({ length: count }, (_, i) => i % this.classes);
    const settings = { ...this.samplingOf(arm), ...opts.sampling };
    const m = this.model();
    const p = this.session.variables(`${GROUP[arm]}Ema`);
    const ae = this.session.variables('autoencoder');
    const images: tf.Tensor[] = [];
    const coarseImages: tf.Tensor[] = [];
    for (let i = 0; i < count; i += 250) {
      const k = Math.min(count, i + 250) - i;
      const lab = labels.subarray(i, i + k);
      const given = opts.givenCoarse ? (tf.slice(opts.givenCoarse, [i], [k]) as tf.Tensor4D) : undefined;
      const z = sampleTwoScale(m, p, arm, lab, settings, noise, given);
      tf.tidy(() => {
        const coarse = tf.mul(z.coarse, m.scale.coarse);
        images.push(tf.keep(decode(ae, coarse, tf.mul(z.fine, m.scale.fine))));
        coarseImages.push(tf.keep(decodeCoarse(ae, coarse)));
      });
      tf.dispose([z.coarse, z.fine, ...(given ? [given] : [])]);
    }
    const out = { images: tf.concat(images) as tf.Tensor4D, coarseImages: tf.concat(coarseImages) as tf.Tensor4D, labels };
    tf.dispose([...images, ...coarseImages]);
    return out;
  }

  /** Distance, 7x7 distance and class consistency of `count` fresh samples of an arm, against the reported reference (or `heldOut`). */
  evaluate(arm: ScaleSchedule, count: number, seed: number, opts: { sampling?: Partial<SamplingSettings>; heldOut?: HeldOut } = {}): GenerationMetrics {
    const g = this.generate(arm, count, seed, opts);
    try {
      return this.measure(g.images, g.labels, opts.heldOut);
    } finally {
      tf.dispose([g.images, g.coarseImages]);
    }
  }

  /**
   * Chooses an arm's sampling knobs on the validation split by the rule of `validation.ts`: first
   * the guidance weight (at the configured coarse share), then, for coarse-to-fine, the coarse
   * share at that weight. Every candidate is measured on the same `validation.samples` fresh
   * samples' seeds against the held-out validation images. The arm samples with the choice from
   * then on; without validation samples it keeps the configured knobs.
   */
  select(arm: ScaleSchedule, onCandidate?: (p: ValidationPoint) => void): SamplingSelection | undefined {
    const v = this.config.validation;
    const n = this.heldOut('validation').count;
    if (v.samples <= 0 || n === 0) return undefined;
    const base = this.samplingOf(arm);
    const candidates: ValidationPoint[] = [];
    const measure = (guidance: number, coarseShare: number): ValidationPoint => {
      const done = candidates.find((c) => c.guidance === guidance && c.coarseShare === coarseShare);
      if (done) return done;
      const m = this.evaluate(arm, n, VALIDATION_SEED + this.config.seed, { sampling: { guidance, coarseShare }, heldOut: 'validation' });
      const point = { guidance, coarseShare, distance: m.distance, classConsistency: m.classConsistency };
      candidates.push(point);
      onCandidate?.(point);
      return point;
    };
    const byGuidance = (v.guidance.length ? v.guidance : [base.guidance]).map((w) => measure(w, base.coarseShare));
    let chosen = byGuidance[pickByRule(byGuidance, n)];
    if (arm === 'coarse-to-fine' && v.coarseShare.length) {
      const byShare = [...new Set([chosen.coarseShare, ...v.coarseShare])].map((c) => measure(chosen.guidance, c));
      chosen = byShare[pickByRule(byShare, n)];
    }
    const selection: SamplingSelection = { guidance: chosen.guidance, coarseShare: chosen.coarseShare, samples: n, rule: SELECTION_RULE, candidates };
    this.sampling.set(arm, { ...base, guidance: chosen.guidance, coarseShare: chosen.coarseShare });
    this.selections.set(arm, selection);
    return selection;
  }

  /**
   * Where an arm's class consistency is lost, on the validation split: the coarse decode of its
   * samples (the class as the coarse latent alone shows it), the full decode, and for
   * coarse-to-fine the fine stage given the coarse latents of held-out images (its condition
   * right) against their labels. The real images' coarse and full decodes are the ceilings.
   */
  diagnose(arm: ScaleSchedule, count: number, seed: number): StageDiagnosis {
    const held = this.heldOut('validation');
    const n = Math.min(count, held.count);
    const consistency = (images: tf.Tensor4D, labels: Int32Array) => {
      const { predicted } = this.features(images);
      return predicted.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0) / labels.length;
    };
    const g = this.generate(arm, n, seed);
    const ae = this.session.variables('autoencoder');
    const real = tf.tensor4d(held.x.subarray(0, n * 784), [n, 28, 28, 1]);
    const labels = held.y.subarray(0, n);
    const z = tf.tidy(() => encode(ae, real));
    const realDecodes = tf.tidy(() => ({ coarse: decodeCoarse(ae, z.coarse), full: decode(ae, z.coarse, z.fine) }));
    try {
      const out: StageDiagnosis = {
        samples: n,
        coarseDecode: consistency(g.coarseImages, g.labels),
        fullDecode: consistency(g.images, g.labels),
        realCoarseDecode: consistency(realDecodes.coarse, labels),
        realFullDecode: consistency(realDecodes.full, labels),
      };
      if (arm === 'coarse-to-fine') {
        const givenCoarse = tf.tidy(() => tf.div(z.coarse, this.model().scale.coarse) as tf.Tensor4D);
        const f = this.generate(arm, n, seed, { labels, givenCoarse });
        out.fineGivenRealCoarse = consistency(f.images, labels);
        tf.dispose([givenCoarse, f.images, f.coarseImages]);
      }
      return out;
    } finally {
      tf.dispose([g.images, g.coarseImages, real, z.coarse, z.fine, realDecodes.coarse, realDecodes.full]);
    }
  }

  /** Measures images [n, 28, 28, 1] meant to be of classes `labels` against a held-out reference (the reported one unless `heldOut`). */
  measure(images: tf.Tensor4D, labels: Int32Array, heldOut: HeldOut = 'report'): GenerationMetrics {
    const ref = this.ensureReference(heldOut);
    const f = this.features(images);
    const f7 = this.features(images, true);
    return {
      distance: frechetDistance(featureStats(f.features, CLASSIFIER_FEATURES), ref.fine),
      distance7: frechetDistance(featureStats(f7.features, CLASSIFIER_FEATURES), ref.coarse7),
      classConsistency: f.predicted.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0) / labels.length,
      samples: labels.length,
    };
  }

  /** A part of the held-out images (`heldOutSplit`): the reported measurements' reference, or the validation split. */
  heldOut(part: HeldOut): LabelledImages {
    const split = heldOutSplit(this.dev.count, this.config.evaluation.samples, this.config.validation.samples);
    const [a, b] = split[part];
    return takeImages(this.dev, a, b - a);
  }

  /** Reference statistics of a part of the held-out images (their classifier features, full and at 7x7). */
  private ensureReference(part: HeldOut): { fine: GaussianStats; coarse7: GaussianStats } {
    const known = this.references.get(part);
    if (known) return known;
    const d = this.heldOut(part);
    const x = tf.tensor4d(d.x, [d.count, 28, 28, 1]);
    try {
      const ref = {
        fine: featureStats(this.features(x).features, CLASSIFIER_FEATURES),
        coarse7: featureStats(this.features(x, true).features, CLASSIFIER_FEATURES),
      };
      this.references.set(part, ref);
      return ref;
    } finally {
      x.dispose();
    }
  }

  /** Classifier features (and predictions) in batches; `coarse7` first reduces images to 7x7 (mean of 4x4 blocks) and back. */
  private features(images: tf.Tensor4D, coarse7 = false): { features: Float32Array; predicted: Int32Array } {
    const p = this.session.variables('classifier');
    const n = images.shape[0];
    const features = new Float32Array(n * CLASSIFIER_FEATURES);
    const predicted = new Int32Array(n);
    for (let i = 0; i < n; i += 500) {
      const k = Math.min(500, n - i);
      tf.tidy(() => {
        let x = tf.slice(images, [i], [k]) as tf.Tensor4D;
        if (coarse7) x = tf.image.resizeNearestNeighbor(tf.avgPool(x, 4, 4, 'valid'), [28, 28]);
        const out = classify(p, x);
        features.set(out.features.dataSync(), i * CLASSIFIER_FEATURES);
        predicted.set(tf.argMax(out.logits, 1).dataSync(), i);
      });
    }
    return { features, predicted };
  }

  /** Accuracy of the classifier on labelled images (its quality as a measuring stick). */
  classifierAccuracy(d: LabelledImages): number {
    const x = tf.tensor4d(d.x, [d.count, 28, 28, 1]);
    try {
      const { predicted } = this.features(x);
      return predicted.reduce((a, p, i) => a + (p === d.y[i] ? 1 : 0), 0) / d.count;
    } finally {
      x.dispose();
    }
  }

  /** The distance of the autoencoder's reconstructions of held-out images: the floor any latent generator here can reach. */
  reconstructionDistance(): number {
    const d = this.heldOut('report');
    const n = d.count;
    const ae = this.session.variables('autoencoder');
    const rec = tf.tidy(() => {
      const x = tf.tensor4d(d.x, [n, 28, 28, 1]);
      const parts: tf.Tensor[] = [];
      for (let i = 0; i < n; i += 500) {
        const z = encode(ae, tf.slice(x, [i], [Math.min(500, n - i)]));
        parts.push(decode(ae, z.coarse, z.fine));
      }
      return tf.concat(parts) as tf.Tensor4D;
    });
    try {
      return this.measure(rec, d.y).distance;
    } finally {
      rec.dispose();
    }
  }

  /** A sample grid of an arm: `perClass` samples per class, coarse decode and full decode. */
  grid(arm: ScaleSchedule, perClass: number, seed: number): SampleGrid {
    const g = this.generate(arm, perClass * this.classes, seed);
    try {
      const pixels = new Uint8Array(2 * perClass * this.classes * 784);
      const stages = [g.coarseImages, g.images];
      stages.forEach((t, s) => {
        const v = t.dataSync();
        // Generated in class-round-robin order: sample i is class i % classes, its k-th is i / classes.
        for (let i = 0; i < perClass * this.classes; i++) {
          const cls = i % this.classes;
          const k = Math.floor(i / this.classes);
          const dst = ((s * this.classes + cls) * perClass + k) * 784;
          for (let j = 0; j < 784; j++) pixels[dst + j] = Math.round(255 * Math.min(1, Math.max(0, v[i * 784 + j])));
        }
      });
      return { arm, classes: this.classes, perClass, pixels };
    } finally {
      tf.dispose([g.images, g.coarseImages]);
    }
  }

  /** The parameters of an arm's EMA U-Net (for parameter counts). */
  armParams(arm: ScaleSchedule): Params {
    return this.session.variables(`${GROUP[arm]}Ema`);
  }

  dispose(): void {
    this.session.dispose();
    this.train.x.dispose();
    if (this.latents) tf.dispose([this.latents.coarse, this.latents.fine]);
  }
}
