import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { FreezingConfig } from '../../experiment/types';
import type { EpochMetrics, FreezableUnit, FreezingPolicy, ProbeOutputs, StepInfo, TrainingPlan } from '../policy';
import { RepresentationConvergence } from './convergence';
import { directedness } from './features';
import type { PredictorCalibration } from './predictor';
import { defaultPredictorPath, loadPredictor } from './predictorFile';
import { readSamples, sampleIndices } from './sample';

/** What the policy needs from a predictor (the attention model, or a stand-in in tests). */
export interface FreezePredictor {
  readonly config: { readonly sampleSize: number; readonly window: number; readonly snapshotEvery: number; readonly minWindow: number };
  /** Decision settings chosen on the pipeline's calibration pairs (absent: the policy's fallbacks). */
  readonly calibration?: Partial<PredictorCalibration>;
  /** P(freeze) per window; windows are oldest-first and share their snapshot count. */
  predict(windows: Float32Array[][]): Promise<number[]>;
  /** Frees its weights (a stand-in may hold none). */
  dispose?(): void;
}

export interface SmartFrzOptions {
  predictor: FreezePredictor;
  /** Freeze a unit when P(freeze) >= threshold. Default: the predictor's calibrated threshold, else 0.5. */
  threshold?: number;
  /**
   * Per-layer convergence signal: a unit freezes only when the linear CKA between its outputs on
   * the run's fixed probe batch now and at the previous reading (`probeEvery` steps earlier, or
   * before training) is at least this: its representation has stopped changing. Default: the
   * predictor's calibrated value, else off. Needs the training loop's probe (`init`).
   */
  minLayerSimilarity?: number;
  /**
   * The same bound for conv layers (`isConvUnit`): a conv layer's probe CKA passes a dense
   * layer's bound while its filters still learn. Default: the predictor's calibrated value, else
   * the layer similarity in use (files calibrated before it existed apply one bound to every layer).
   */
  minConvSimilarity?: number;
  /**
   * Optimizer steps between two readings of the per-layer signal; a freezing stage follows each
   * reading. A fixed number of steps, not an epoch, so one `minLayerSimilarity` means the same
   * amount of training on a 20-step and a 200-step epoch, and a layer can freeze mid-epoch.
   * Default: the predictor's calibrated value; for a file whose similarity was calibrated per
   * epoch (before round 8, no `probeEvery`), once per epoch, as it was calibrated; else
   * `DEFAULT_PROBE_EVERY`.
   */
  probeEvery?: number;
  /**
   * Consecutive readings at or above `minLayerSimilarity` a unit needs before it may freeze (one
   * reading can pass by chance on a short interval). Default: the predictor's calibrated value, else 1.
   */
  stableReadings?: number;
  /**
   * Drift signal, replacing the absolute bounds (`minLayerSimilarity`, `minConvSimilarity`) when
   * set: a unit's probe reading counts as stable when its change (1 - probe CKA) since the
   * reading `driftSpan` readings back is at most this many times its mean change between
   * consecutive readings over that span (`RepresentationConvergence.driftRatio`): a layer jittering around a point (ratio
   * ~1) may freeze however much it jitters, one still drifting (ratio ~driftSpan^2) may not
   * however little it moves per reading. Default: the predictor's calibrated value, unless the
   * experiment sets `minLayerSimilarity` or `minConvSimilarity` itself; else off.
   */
  maxDriftRatio?: number;
  /** Readings back the drift signal compares with (`probeEvery` x this steps). Default: the predictor's calibrated value, else `DEFAULT_DRIFT_SPAN`. */
  driftSpan?: number;
  /**
   * The drift signal's span for conv layers, in optimizer steps (read as the nearest whole number
   * of probe readings, at least 2): a conv layer's change per reading is tiny and its drift shows
   * only over a longer span (the Fashion CNN's conv1: ratio within 4 over 200 steps at epoch 2,
   * 7-62 over 400 steps until epoch 9.6), so over a dense layer's span it froze while it still
   * learned. In steps, not readings, so it keeps its meaning if `probeEvery` changes. Default: the
   * predictor's calibrated value, else the dense span (`driftSpan` readings). Per-epoch readings
   * (files calibrated before round 8) ignore it.
   */
  convDriftSteps?: number;
  /**
   * Output guard (off unless set, or carried by the predictor's calibration): no unit freezes
   * while the model's predictions on the probe batch (softmax of the last unit's probe output,
   * the logits the training loop computes) have linear CKA below this with the previous
   * reading's, or have been read only once. Freezing a prefix leaves the later layers to finish
   * the model's learning on features that no longer improve; while the predictions still change
   * this much, they are far from done. Why the predictions and not the last layer's own reading:
   * its logits mostly grow in scale, which CKA ignores (g039: logits 0.98 between readings,
   * predictions 0.83-0.89, and freezing fc1 there cost 4-6 points; docs/smartfrz.md, round 11).
   */
  minOutputSimilarity?: number;
  /**
   * Accuracy guard (model-level; off unless set, or carried by a predictor file calibrated
   * before the per-layer signal existed), in points: no unit freezes while the evaluation
   * accuracy still gains this much or more per epoch (mean gain over the last two epochs), nor
   * before two evaluations. 100 or more turns the guard off.
   */
  accuracyTolerance?: number;
  /**
   * Convergence guard: a unit whose window is more directed than this (`directedness`: ~1 for a
   * random walk, 5.4 for a steady drift over 30 snapshots) is still travelling and does not
   * freeze, whatever the predictor says. Default: the predictor's calibrated value, else off.
   */
  maxDirectedness?: number;
  /**
   * Optimizer steps between two snapshots. Default: the predictor's `snapshotEvery`, the spacing
   * it was trained with (the features are built to tolerate other spacings, see features.ts).
   */
  snapshotEvery?: number;
  /** Never freeze the last N units. Default 1. */
  keepTrainable?: number;
  /**
   * Units that may freeze in one freezing stage. Default 1: once a unit freezes, the next
   * unit's input stops drifting, so its weight history is recorded afresh under the new prefix
   * rather than judged on dynamics recorded while its input was still moving.
   */
  maxFreezePerStage?: number;
  /** Seed of the kernel sample positions. */
  seed?: number;
}

interface SavedState {
  version: 2;
  frozen: number;
  reason?: string;
  history: number[][][];
  lastProbabilities: number[];
  /** Evaluation accuracy after each epoch so far (the accuracy guard's memory). */
  accuracies?: number[];
  /** The convergence signal's last probe Grams and similarities (absent in older checkpoints). */
  convergence?: ReturnType<RepresentationConvergence['save']>;
  /** Per unit, consecutive stable readings so far (`minLayerSimilarity`, or `maxDriftRatio`). */
  stable?: number[];
  /** The output guard's last prediction Gram and similarity (with `minOutputSimilarity`). */
  output?: ReturnType<RepresentationConvergence['save']>;
}

/** Whether a unit is a convolution (its own similarity bound, `minConvSimilarity`). */
export function isConvUnit(unit: Pick<FreezableUnit, 'type'>): boolean {
  return /conv/i.test(unit.type);
}

/** `driftSpan` when neither the experiment nor the predictor's calibration sets one: 8 readings, 400 steps at 50. */
export const DEFAULT_DRIFT_SPAN = 8;

/** `probeEvery` when neither the experiment nor the predictor's calibration sets a similarity cadence. */
export const DEFAULT_PROBE_EVERY = 50;

/**
 * Fallback of `accuracyTolerance` for a predictor file that carries neither a calibrated
 * tolerance nor a calibrated `minLayerSimilarity` (files from before either existed).
 */
export const DEFAULT_ACCURACY_TOLERANCE = 0.5;
/** `accuracyTolerance` at or above which the accuracy guard is off. */
const ACCURACY_GUARD_OFF = 100;

/**
 * SmartFRZ (Li et al., ICLR 2023): every `snapshotEvery` optimizer steps record a fixed random
 * sample of the first active unit's kernel into a sliding window of the predictor's W snapshots;
 * at each freezing stage ask the attention predictor whether that unit can freeze. With the
 * per-layer convergence signal (the default) a stage follows each probe reading, every
 * `probeEvery` optimizer steps; without it (no probe, or a predictor file without a calibrated
 * similarity), or with a similarity calibrated per epoch (files from before round 8), once per
 * epoch after its evaluation (the spec's inferred cadence).
 *
 * Why step-spaced and not "30 snapshots per epoch, cleared each epoch" (the spec's inferred
 * cadence): a window then spans a fixed number of optimizer steps ((W - 1) * snapshotEvery), so
 * the predictor's input means the same on a 45-step epoch and on a 469-step one; the per-epoch
 * window made the same layer look "still moving" on long epochs and "converged" on short ones.
 * The window slides across epoch boundaries; a stage needs the predictor's `minWindow`
 * snapshots (a fresh unit, just after the previous one froze, waits for them). The freeze
 * takes effect from the next optimizer step.
 *
 * Guards hold the predictor back on models unlike its training pairs (a predictor alone froze
 * every hidden layer of an unseen Fashion-MNIST MLP by epoch 3 of 8, 1.1 points below no
 * freezing): the candidate must not be travelling (`maxDirectedness`), and its own
 * representation must have stopped changing (`minLayerSimilarity`: CKA of its outputs on a fixed
 * probe batch between consecutive epochs). The per-layer signal replaced a model-level accuracy
 * guard (`accuracyTolerance`, still available): a global accuracy curve that still climbs does
 * not mean the first layer still learns (the Fashion CNN's first conv could freeze after one
 * epoch at no cost, the guard held it to the end), and a flat one does not mean it has converged.
 */
export class SmartFrzPolicy implements FreezingPolicy {
  readonly name = 'smartfrz' as const;
  private readonly predictor: FreezePredictor;
  private readonly threshold: number;
  private readonly accuracyTolerance: number;
  private readonly minLayerSimilarity: number | undefined;
  private readonly minConvSimilarity: number | undefined;
  /** Steps between probe readings; undefined: once per epoch (a similarity calibrated per epoch). */
  private readonly probeEvery: number | undefined;
  private readonly stableReadings: number;
  private readonly maxDriftRatio: number | undefined;
  private readonly driftSpan: number;
  /** Conv layers' drift span in readings (`convDriftSteps` / `probeEvery`); undefined: `driftSpan`. */
  private readonly convDriftSpan: number | undefined;
  private readonly maxDirectedness: number;
  private readonly minOutputSimilarity: number | undefined;
  private readonly snapshotEvery: number;
  private readonly keepTrainable: number;
  private readonly maxFreezePerStage: number;
  private readonly seed: number;
  private units: FreezableUnit[] = [];
  private plan: TrainingPlan = { epochs: 0, stepsPerEpoch: 0, totalSteps: 0, batchSize: 0 };
  private indices: Int32Array[] = [];
  private history: Float32Array[][] = [];
  private frozen = 0;
  private reason: string | undefined;
  private lastProbs: number[] = [];
  private accuracies: number[] = [];
  private holdReason: string | undefined;
  private probe: ProbeOutputs | undefined;
  private convergence: RepresentationConvergence;
  /** Per unit, consecutive probe readings at or above `minLayerSimilarity`. */
  private stable: number[] = [];
  /** The output guard's memory: the model's predictions on the probe batch at the last reading. */
  private outputs = new RepresentationConvergence(1);
  /** Probe readings taken in this process and their wall milliseconds (probe pass, Grams, CKA; both signals). */
  private readCost = { readings: 0, milliseconds: 0 };

  constructor(opts: SmartFrzOptions) {
    this.predictor = opts.predictor;
    const cal = opts.predictor.calibration ?? {};
    this.threshold = opts.threshold ?? cal.threshold ?? 0.5;
    this.minLayerSimilarity = opts.minLayerSimilarity ?? cal.minLayerSimilarity;
    this.minConvSimilarity = opts.minConvSimilarity ?? cal.minConvSimilarity ?? this.minLayerSimilarity;
    // A similarity taken from a file calibrated per epoch (no probeEvery) keeps that cadence.
    const perEpochSimilarity = opts.minLayerSimilarity === undefined && cal.minLayerSimilarity !== undefined;
    this.probeEvery = opts.probeEvery ?? cal.probeEvery ?? (perEpochSimilarity ? undefined : DEFAULT_PROBE_EVERY);
    this.stableReadings = opts.stableReadings ?? cal.stableReadings ?? 1;
    // A calibrated drift signal yields to similarity bounds the experiment sets itself.
    const ownBounds = opts.minLayerSimilarity !== undefined || opts.minConvSimilarity !== undefined;
    this.maxDriftRatio = opts.maxDriftRatio ?? (ownBounds ? undefined : cal.maxDriftRatio);
    this.driftSpan = opts.driftSpan ?? cal.driftSpan ?? DEFAULT_DRIFT_SPAN;
    const convSteps = opts.convDriftSteps ?? cal.convDriftSteps;
    this.convDriftSpan = convSteps === undefined || this.probeEvery === undefined ? undefined : Math.max(2, Math.round(convSteps / this.probeEvery));
    this.convergence = this.newConvergence();
    this.accuracyTolerance = opts.accuracyTolerance ?? cal.accuracyTolerance ?? (cal.minLayerSimilarity === undefined ? DEFAULT_ACCURACY_TOLERANCE : ACCURACY_GUARD_OFF);
    this.maxDirectedness = opts.maxDirectedness ?? cal.maxDirectedness ?? Infinity;
    this.minOutputSimilarity = opts.minOutputSimilarity ?? cal.minOutputSimilarity;
    this.snapshotEvery = opts.snapshotEvery ?? opts.predictor.config.snapshotEvery;
    this.keepTrainable = opts.keepTrainable ?? 1;
    this.maxFreezePerStage = opts.maxFreezePerStage ?? 1;
    this.seed = opts.seed ?? 20230427;
  }

  init(units: FreezableUnit[], plan: TrainingPlan, probe?: ProbeOutputs): void {
    this.units = units;
    this.plan = plan;
    this.probe = probe;
    this.convergence = this.newConvergence();
    this.outputs = new RepresentationConvergence(1);
    this.readCost = { readings: 0, milliseconds: 0 };
    this.indices = units.map((u) => sampleIndices(u.kernel.size, this.predictor.config.sampleSize, this.seed + 7919 * u.index));
    this.history = units.map(() => []);
    this.frozen = 0;
    this.reason = undefined;
    this.lastProbs = [];
    this.accuracies = [];
    this.stable = units.map(() => 0);
    // The first reading, before any step: the first epoch's change is measured against it
    // (a resumed run replaces it with the checkpoint's in `loadState`).
    this.readConvergence();
  }

  /** The per-layer signal's memory: with the drift signal, the last span's readings per unit (`driftSpanOf`). */
  private newConvergence(): RepresentationConvergence {
    return new RepresentationConvergence(this.maxDriftRatio === undefined ? 1 : (u) => this.driftSpanOf(u));
  }

  /** Readings back a unit's drift ratio compares with: the conv span for a conv layer when set, else `driftSpan`. */
  private driftSpanOf(u: number): number {
    const unit = this.units[u];
    return unit !== undefined && isConvUnit(unit) && this.convDriftSpan !== undefined ? this.convDriftSpan : this.driftSpan;
  }

  /** Whether the per-layer convergence signal is in use (a bound or the drift signal, and the loop's probe). */
  private watchesConvergence(): boolean {
    return (this.minLayerSimilarity !== undefined || this.maxDriftRatio !== undefined) && this.probe !== undefined;
  }

  /** Whether a unit's last reading counts as stable: drift ratio within `maxDriftRatio` when set, else probe CKA at its bound. */
  private readingStable(u: number, sim: number): boolean {
    if (this.maxDriftRatio !== undefined) return this.convergence.driftRatio(u) <= this.maxDriftRatio;
    return sim >= this.similarityBound(u);
  }

  /** The least probe CKA at which a unit may freeze: the conv bound for a conv layer, else the layer bound. */
  private similarityBound(u: number): number {
    return (isConvUnit(this.units[u]) ? this.minConvSimilarity : this.minLayerSimilarity)!;
  }

  /** Whether the output guard is in use (`minOutputSimilarity` and the loop's probe). */
  private watchesOutput(): boolean {
    return this.minOutputSimilarity !== undefined && this.probe !== undefined && this.units.length > 0;
  }

  /**
   * Reads every still-freezable unit's probe outputs (all of them, so the next candidate has a
   * previous reading when its turn comes), and the model's predictions for the output guard, in
   * one probe pass per reading (the probe runs the layers once, up to the last unit asked for;
   * before round 12 the guard asked for the last unit in a pass of its own, running the whole
   * forward again).
   */
  private readConvergence(): void {
    const last = this.units.length - 1;
    const output = this.watchesOutput() && this.frozen < this.freezable();
    const watched: number[] = [];
    if (this.watchesConvergence()) for (let u = this.frozen; u < this.freezable(); u++) watched.push(u);
    const wanted = output && !watched.includes(last) ? [...watched, last] : watched;
    if (wanted.length === 0) return;
    const t0 = performance.now();
    const read = this.probe!(wanted);
    const byUnit = new Map(wanted.map((u, i) => [u, read[i]]));
    if (output) {
      const logits = byUnit.get(last)!;
      this.outputs.read(() => [tf.softmax(logits)], [last]);
      // The convergence signal disposes what it reads; the logits are its only when it watches the last unit (keepTrainable 0).
      if (!watched.includes(last)) logits.dispose();
    }
    if (watched.length > 0) {
      const sims = this.convergence.read((units) => units.map((u) => byUnit.get(u)!), watched);
      watched.forEach((u, i) => (this.stable[u] = this.readingStable(u, sims[i]) ? this.stable[u] + 1 : 0));
    }
    this.readCost.readings++;
    this.readCost.milliseconds += performance.now() - t0;
  }

  /** Units that may ever freeze: all but the last `keepTrainable`. */
  private freezable(): number {
    return Math.max(0, this.units.length - this.keepTrainable);
  }

  /** True after every `snapshotEvery`-th optimizer step of the run (global, so epochs do not matter). */
  isSnapshotStep(globalStep: number): boolean {
    return (globalStep + 1) % this.snapshotEvery === 0;
  }

  async afterStep(step: StepInfo): Promise<void> {
    if (this.isSnapshotStep(step.globalStep)) await this.snapshot();
    if (this.watchesConvergence() && this.probeEvery !== undefined && (step.globalStep + 1) % this.probeEvery === 0) {
      this.readConvergence();
      await this.stage(`at step ${step.globalStep + 1} (epoch ${step.epoch + 1})`);
    }
  }

  /**
   * Records the kernel samples of the units the next stage can ask about (the first
   * `maxFreezePerStage` active ones): a later unit's history is recorded afresh once the units
   * before it froze.
   */
  private async snapshot(): Promise<void> {
    const active: number[] = [];
    for (let u = this.frozen; u < Math.min(this.freezable(), this.frozen + this.maxFreezePerStage); u++) active.push(u);
    if (active.length === 0) return;
    const samples = await readSamples(active.map((u) => this.units[u].kernel), active.map((u) => this.indices[u]));
    const w = Math.max(2, this.predictor.config.window);
    active.forEach((u, i) => {
      const h = this.history[u];
      h.push(samples[i]);
      if (h.length > w) h.splice(0, h.length - w);
    });
  }

  /**
   * Records the evaluation (the accuracy guard's memory). The freezing stage runs here when there
   * are no step-spaced readings: without the per-layer signal, or with a similarity calibrated per
   * epoch (a reading first).
   */
  async afterEpoch(metrics: EpochMetrics): Promise<void> {
    this.accuracies.push(metrics.testAccuracy);
    if (this.watchesConvergence() && this.probeEvery !== undefined) return;
    if (this.watchesConvergence() || this.watchesOutput()) this.readConvergence();
    await this.stage(`after ${metrics.epoch + 1} epoch${metrics.epoch === 0 ? '' : 's'}`);
  }

  /**
   * Why the accuracy guard holds freezing back now (undefined: it does not). Needs two finite
   * evaluations; the gain is the mean per-epoch gain over the last two epochs (one when only two
   * evaluations exist), which damps the evaluation's own noise. Without evaluations (NaN, e.g.
   * no test split) the guard cannot judge and stays out of the way.
   */
  private accuracyHold(): string | undefined {
    if (this.accuracyTolerance >= ACCURACY_GUARD_OFF) return undefined;
    const a = this.accuracies;
    if (a.length === 0 || a.some((x) => !Number.isFinite(x))) return undefined;
    if (a.length < 2) return 'accuracy not evaluated twice yet';
    const span = Math.min(2, a.length - 1);
    const gain = ((a[a.length - 1] - a[a.length - 1 - span]) / span) * 100;
    return gain >= this.accuracyTolerance ? `accuracy still gaining ${gain.toFixed(2)} points per epoch` : undefined;
  }

  /** A freezing stage: freeze the longest run of leading active units the predictor and the guards let go (at most maxFreezePerStage). */
  private async stage(when: string): Promise<void> {
    const end = Math.min(this.freezable(), this.frozen + this.maxFreezePerStage);
    const need = Math.max(2, Math.min(this.predictor.config.minWindow, this.predictor.config.window));
    const candidates: number[] = [];
    for (let u = this.frozen; u < end && this.history[u].length >= need; u++) candidates.push(u);
    if (candidates.length === 0) return;
    const held = this.accuracyHold();
    this.holdReason = held;
    this.lastProbs = [];
    if (held !== undefined) return;
    for (const u of candidates) {
      // The per-layer signal first: it is cheap, and the predictor (an attention model's forward
      // pass) is asked only about a unit the signal lets through. A unit freezes only when both
      // agree, so the order changes no decision.
      if (this.watchesConvergence() && this.stable[u] < this.stableReadings) {
        // A reading below the bound resets the count, so the count alone decides; CKA is for the message.
        const sim = this.convergence.similarity(u);
        const bound = this.similarityBound(u);
        const name = this.units[u].name;
        const ratio = this.convergence.driftRatio(u);
        this.holdReason = this.maxDriftRatio !== undefined
          ? Number.isNaN(ratio)
            ? `${name} not probed ${this.driftSpanOf(u) + 1} times yet`
            : !(ratio <= this.maxDriftRatio)
              ? `${name} still drifting (change over ${this.driftSpanOf(u)} probe readings ${ratio.toFixed(2)}x the mean per reading > ${this.maxDriftRatio})`
              : `${name} stable for ${this.stable[u]} of ${this.stableReadings} probe readings`
          : Number.isNaN(sim)
          ? `${name} not probed twice yet`
          : !(sim >= bound)
            ? `${name} still changing (probe CKA ${sim.toFixed(5)} < ${bound})`
            : `${name} stable for ${this.stable[u]} of ${this.stableReadings} probe readings`;
        break;
      }
      const outputHold = this.outputHold();
      if (outputHold !== undefined) {
        this.holdReason = outputHold;
        break;
      }
      const [p] = await this.predictor.predict([[...this.history[u]]]);
      this.lastProbs.push(p);
      if (!(p >= this.threshold)) break;
      const d = directedness(this.history[u]);
      if (d > this.maxDirectedness) {
        this.holdReason = `${this.units[u].name} still travelling (directedness ${d.toFixed(2)})`;
        break;
      }
      this.history[u] = [];
      this.frozen = u + 1;
      const sim = this.convergence.similarity(u);
      const drift = this.maxDriftRatio !== undefined ? `, drift ratio ${this.convergence.driftRatio(u).toFixed(2)}` : '';
      this.reason = `P(freeze)=${p.toFixed(2)}${this.watchesConvergence() ? `, probe CKA ${sim.toFixed(4)}${drift}` : ''} ${when}`;
    }
  }

  /** Why the output guard holds freezing back now (undefined: it does not, or is off). */
  private outputHold(): string | undefined {
    if (!this.watchesOutput()) return undefined;
    const sim = this.outputs.similarity(this.units.length - 1);
    if (Number.isNaN(sim)) return 'predictions not probed twice yet';
    return sim >= this.minOutputSimilarity! ? undefined : `predictions still changing (probe CKA ${sim.toFixed(4)} < ${this.minOutputSimilarity})`;
  }

  /** Why the guards held freezing back at the last stage (for logs); undefined when they did not. */
  lastHold(): string | undefined {
    return this.holdReason;
  }

  frozenPrefix(): number {
    return this.frozen;
  }

  lastReason(): string | undefined {
    return this.reason;
  }

  /** The convergence signal's CKA for a unit at the last reading (NaN: none), for logs and studies. */
  layerSimilarity(unit: number): number {
    return this.convergence.similarity(unit);
  }

  /** What the probe readings have cost so far (the per-layer signal and the output guard): readings and their wall milliseconds. */
  convergenceCost(): { readings: number; milliseconds: number } {
    return { ...this.readCost };
  }

  /**
   * P(freeze) of the candidates the predictor was asked about at the last freezing stage (for
   * logs and reports): none when a guard held the stage before it (the accuracy guard, or the
   * first candidate's per-layer signal).
   */
  lastProbabilities(): number[] {
    return [...this.lastProbs];
  }

  saveState(): SavedState {
    return {
      version: 2,
      frozen: this.frozen,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      history: this.history.map((h) => h.map((s) => Array.from(s))),
      lastProbabilities: [...this.lastProbs],
      accuracies: [...this.accuracies],
      ...(this.watchesConvergence() ? { convergence: this.convergence.save(), stable: [...this.stable] } : {}),
      ...(this.watchesOutput() ? { output: this.outputs.save() } : {}),
    };
  }

  dispose(): void {
    this.predictor.dispose?.();
  }

  loadState(state: unknown): void {
    const s = state as Partial<SavedState> | null;
    if (!s || s.version !== 2 || typeof s.frozen !== 'number' || !Array.isArray(s.history)) {
      throw new Error('SmartFRZ: unreadable saved policy state');
    }
    if (s.history.length !== this.units.length) throw new Error('SmartFRZ: saved state is for a model with a different number of layers');
    this.frozen = s.frozen;
    this.reason = s.reason;
    this.history = s.history.map((h) => h.map((v) => Float32Array.from(v)));
    this.lastProbs = Array.isArray(s.lastProbabilities) ? [...s.lastProbabilities] : [];
    this.accuracies = Array.isArray(s.accuracies) ? [...s.accuracies] : [];
    this.convergence.load(s.convergence);
    this.outputs.load(s.output);
    this.stable = this.units.map((_, u) => (Array.isArray(s.stable) && typeof s.stable[u] === 'number' ? s.stable[u] : 0));
  }
}

function checkNumber(v: unknown, field: string, ok: (n: number) => boolean, what: string): void {
  if (v !== undefined && (typeof v !== 'number' || !ok(v))) throw new UserError(`must be ${what}`, `/freezing/${field}`);
}

/**
 * The `smartfrz` policy for an experiment's `freezing` block. `predictor` is a weights file
 * (absolute, or already resolved against the experiment file by the loader); default: the
 * predictor shipped in `models/smartfrz/`.
 */
export function createSmartFrzPolicy(cfg: FreezingConfig): FreezingPolicy {
  checkNumber(cfg.threshold, 'threshold', (n) => n >= 0 && n <= 1, 'a number between 0 and 1');
  checkNumber(cfg.accuracyTolerance, 'accuracyTolerance', (n) => n >= 0, 'a number of accuracy points >= 0');
  checkNumber(cfg.minLayerSimilarity, 'minLayerSimilarity', (n) => n >= 0 && n <= 1, 'a number between 0 and 1');
  checkNumber(cfg.minConvSimilarity, 'minConvSimilarity', (n) => n >= 0 && n <= 1, 'a number between 0 and 1');
  checkNumber(cfg.minOutputSimilarity, 'minOutputSimilarity', (n) => n >= 0 && n <= 1, 'a number between 0 and 1');
  checkNumber(cfg.maxDriftRatio, 'maxDriftRatio', (n) => n > 0 && Number.isFinite(n), 'a positive number');
  checkNumber(cfg.driftSpan, 'driftSpan', (n) => Number.isInteger(n) && n >= 2, 'an integer >= 2');
  checkNumber(cfg.convDriftSteps, 'convDriftSteps', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  checkNumber(cfg.snapshotEvery, 'snapshotEvery', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  checkNumber(cfg.probeEvery, 'probeEvery', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  checkNumber(cfg.stableReadings, 'stableReadings', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  checkNumber(cfg.keepTrainable, 'keepTrainable', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  let file: string;
  if (cfg.predictor !== undefined) {
    file = path.resolve(cfg.predictor);
    if (!fs.existsSync(file)) throw new UserError(`predictor file not found: ${file}`, '/freezing/predictor');
  } else {
    file = defaultPredictorPath();
  }
  let predictor;
  try {
    predictor = loadPredictor(file);
  } catch (e) {
    throw new UserError(`cannot load the SmartFRZ predictor ${file}: ${(e as Error).message}`, '/freezing/predictor');
  }
  return new SmartFrzPolicy({
    predictor,
    threshold: cfg.threshold,
    accuracyTolerance: cfg.accuracyTolerance,
    minLayerSimilarity: cfg.minLayerSimilarity,
    minConvSimilarity: cfg.minConvSimilarity,
    probeEvery: cfg.probeEvery,
    stableReadings: cfg.stableReadings,
    maxDriftRatio: cfg.maxDriftRatio,
    driftSpan: cfg.driftSpan,
    convDriftSteps: cfg.convDriftSteps,
    minOutputSimilarity: cfg.minOutputSimilarity,
    snapshotEvery: cfg.snapshotEvery,
    keepTrainable: cfg.keepTrainable,
  });
}
