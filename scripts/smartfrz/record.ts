/**
 * One full training run (policy `none`, the product's `buildModel` + `train`) observed by a
 * recording policy that collects what SmartFRZ's offline pipeline needs:
 * - every `snapshotEvery` optimizer steps, R random index samples of every unit's kernel (R
 *   different samples of the same kernel — cheap augmentation; the policy itself uses one);
 * - every `checkpointEvery` steps (and after the last step) a "checkpoint": the centred Gram
 *   matrix of each unit's output on a fixed probe batch from the test split, from which linear
 *   CKA to the final model is computed at the end (and CKA to the previous `BACK_CHECKPOINTS`
 *   checkpoints, for the drift labels), and the predictor's features of the windows ending there
 *   (the full W-snapshot window and the shortest one a stage accepts).
 * Checkpoints are step-spaced like the windows, so labels and windows mean the same number of
 * optimizer steps on every dataset, whatever its epoch length.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../../src/core/data/types';
import type { ModelConfig, TrainExperiment } from '../../src/core/experiment/types';
import type { EpochMetrics, FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from '../../src/core/freezing/policy';
import { buildModel } from '../../src/core/model/build';
import { modelLayers } from '../../src/core/model/flops';
import { centeredGram, ckaFromGrams, gramSimilarity } from '../../src/core/freezing/smartfrz/cka';
import { directedness, windowFeatures, type WindowFeatures } from '../../src/core/freezing/smartfrz/features';
import { readSamples, sampleIndices } from '../../src/core/freezing/smartfrz/sample';
import { train } from '../../src/core/train/trainer';

export interface RunSpec {
  id: string;
  family: string;
  dataset: string;
  data: LoadedData;
  model: ModelConfig;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface UnitRecord {
  name: string;
  /** features[c]: the windows ending at checkpoint c (all index samples, full and short lengths); empty when too few snapshots. */
  features: WindowFeatures[][];
  /** directedness[c][k]: `directedness` of the window behind features[c][k]. */
  directedness: number[][];
  /** Linear CKA of the unit's output at each checkpoint with its output after the last step. */
  cka: number[];
  /**
   * back[c][k - 1]: linear CKA of the unit's output at checkpoint c with its output k checkpoints
   * earlier (k = 1..`BACK_CHECKPOINTS`, while there is one): the drift signal's change over a
   * span against its change per checkpoint, from which the drift labels are made (labels.ts).
   */
  back: number[][];
}

/** Checkpoints back `UnitRecord.back` reaches (400 steps at 40): the longest drift span a label can use. */
export const BACK_CHECKPOINTS = 10;

export interface RunRecord {
  id: string;
  family: string;
  dataset: string;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Optimizer steps completed at each checkpoint. */
  checkpoints: number[];
  units: UnitRecord[];
  testAccuracy: number[];
  seconds: number;
}

export interface RecordOptions {
  sampleSize: number;
  quantiles: number;
  /** Steps between snapshots and snapshots per full window (the predictor's). */
  snapshotEvery: number;
  window: number;
  minWindow: number;
  checkpointEvery: number;
  /** Index samples per unit (augmentation). */
  samplesPerUnit: number;
  probeSize: number;
  log?: (msg: string) => void;
}

/** A `none` policy that records sampled kernel snapshots and, at checkpoints, probe-batch Grams and window features. */
class RecordingPolicy implements FreezingPolicy {
  readonly name = 'none' as const;
  units: FreezableUnit[] = [];
  plan!: TrainingPlan;
  indexSets: Int32Array[][] = [];
  /** snapshots[unit][r]: the last `window` snapshots. */
  snapshots: Float32Array[][][] = [];
  features: WindowFeatures[][][] = [];
  directedness: number[][][] = [];
  grams: tf.Tensor2D[][] = [];
  checkpoints: number[] = [];

  constructor(
    private readonly opts: RecordOptions,
    private readonly seed: number,
    private readonly probeModel: tf.LayersModel,
    private readonly probe: tf.Tensor,
  ) {}

  init(units: FreezableUnit[], plan: TrainingPlan): void {
    this.units = units;
    this.plan = plan;
    this.indexSets = units.map((u) =>
      Array.from({ length: this.opts.samplesPerUnit }, (_, r) => sampleIndices(u.kernel.size, this.opts.sampleSize, 1000 * this.seed + 97 * u.index + r)),
    );
    this.snapshots = units.map(() => Array.from({ length: this.opts.samplesPerUnit }, () => []));
    this.features = units.map(() => []);
    this.directedness = units.map(() => []);
  }

  async afterStep(step: StepInfo): Promise<void> {
    const done = step.globalStep + 1;
    const o = this.opts;
    if (done % o.snapshotEvery === 0) {
      const ks: tf.Tensor[] = [];
      const ids: Int32Array[] = [];
      this.units.forEach((u, i) => this.indexSets[i].forEach((ix) => { ks.push(u.kernel); ids.push(ix); }));
      const samples = await readSamples(ks, ids);
      let k = 0;
      this.units.forEach((_, i) => this.indexSets[i].forEach((_, r) => {
        const h = this.snapshots[i][r];
        h.push(samples[k++]);
        if (h.length > o.window) h.shift();
      }));
    }
    if (done % o.checkpointEvery !== 0 && done !== this.plan.totalSteps) return;
    this.checkpoints.push(done);
    this.units.forEach((_, i) => {
      const out: WindowFeatures[] = [];
      const dir: number[] = [];
      const add = (w: Float32Array[]): void => {
        out.push(windowFeatures(w, o.quantiles, o.snapshotEvery, o.window - 1));
        dir.push(directedness(w));
      };
      for (const h of this.snapshots[i]) {
        if (h.length < o.minWindow) continue;
        add(h);
        if (h.length > o.minWindow) add(h.slice(h.length - o.minWindow));
      }
      this.features[i].push(out);
      this.directedness[i].push(dir);
    });
    const outs = tf.tidy(() => {
      const r = this.probeModel.predict(this.probe) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(r) ? r : [r]).map((t) => centeredGram(t));
    });
    this.grams.push(outs);
  }

  async afterEpoch(m: EpochMetrics): Promise<void> {
    this.opts.log?.(`  epoch ${m.epoch + 1}: test accuracy ${m.testAccuracy.toFixed(3)}`);
  }

  frozenPrefix(): number {
    return 0;
  }

  saveState(): unknown {
    return {};
  }

  loadState(): void {}
}

export async function recordRun(spec: RunSpec, opts: RecordOptions): Promise<RunRecord> {
  const t0 = Date.now();
  const { data } = spec;
  const model = await buildModel(spec.model, { exampleShape: data.exampleShape, inputDtype: 'float32', seed: spec.seed });
  const layers = modelLayers(model).filter((l) => l.trainableWeights.length > 0);
  const n = Math.min(opts.probeSize, data.test.count);
  const dim = data.exampleShape.reduce((a, b) => a * b, 1);
  const probe = tf.tensor(data.test.x.slice(0, n * dim) as Float32Array, [n, ...data.exampleShape]);
  const probeModel = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) });
  const policy = new RecordingPolicy(opts, spec.seed, probeModel, probe);
  const experiment: TrainExperiment = {
    kind: 'train',
    name: spec.id,
    data: { format: 'csv', train: '(in memory)', label: 'last' },
    model: spec.model,
    training: { epochs: spec.epochs, batchSize: spec.batchSize, optimizer: { type: 'adam', learningRate: spec.learningRate }, seed: spec.seed },
    freezing: { policy: 'none' },
  };
  const result = await train({
    experiment, data, model, policy, runId: spec.id, backend: tf.getBackend(), onEvent: () => {}, shouldStop: () => false,
  });
  const last = policy.grams[policy.grams.length - 1];
  // Each Gram read out once for the CKAs between checkpoints.
  const values = policy.grams.map((g) => g.map((t) => t.dataSync() as Float32Array));
  const units: UnitRecord[] = policy.units.map((u, i) => ({
    name: u.name,
    features: policy.features[i],
    directedness: policy.directedness[i],
    cka: policy.grams.map((g) => ckaFromGrams(g[i], last[i])),
    back: values.map((_, c) => {
      const row: number[] = [];
      for (let k = 1; k <= BACK_CHECKPOINTS && c - k >= 0; k++) row.push(gramSimilarity(values[c][i], values[c - k][i]));
      return row;
    }),
  }));
  tf.dispose(policy.grams.flat());
  probe.dispose();
  model.dispose();
  return {
    id: spec.id, family: spec.family, dataset: spec.dataset, epochs: spec.epochs, stepsPerEpoch: policy.plan.stepsPerEpoch,
    totalSteps: policy.plan.totalSteps, checkpoints: policy.checkpoints, units, testAccuracy: result.history.map((h) => h.testAccuracy), seconds: (Date.now() - t0) / 1000,
  };
}
