/**
 * The experiment file contract (`*.experiment.json`), mirrored by
 * `schemas/experiment.schema.json`. Paths are relative to the experiment file.
 */
export type Experiment =
  | TrainExperiment
  | RewardCompareExperiment
  | ExtractTrainExperiment
  | ExtractEvalExperiment
  | SkillsExperiment
  | OfflineGcrlExperiment
  | DiffusionPolicyExperiment
  | DiffusionExperiment
  | DistillExperiment;
export type ExperimentKind = Experiment['kind'];

export interface TrainExperiment {
  kind: 'train';
  name: string;
  description?: string;
  data: DataConfig;
  model: ModelConfig;
  training: TrainingConfig;
  freezing?: FreezingConfig;
  /** Masked-LM pretraining of the model's encoder on the training text before it learns the labels (src/core/train/mlm). */
  pretrain?: PretrainConfig;
  sweep?: SweepConfig;
  cluster?: ClusterConfig;
}

/**
 * Pretraining of a text model's encoder (its layers from the embedding to the last
 * `transformerEncoder`) by masked-language modelling on the training split's text, labels unused;
 * the run then fine-tunes the whole model on the labels as usual (docs/distillation.md).
 */
export interface PretrainConfig {
  objective?: 'mlm';
  /** Epochs over the training text (default 1). */
  epochs?: number;
  /** A budget in optimizer steps instead of epochs. */
  steps?: number;
  /** Default: training.batchSize. */
  batchSize?: number;
  /** Adam's learning rate (default: the training optimizer's, else 0.001). */
  learningRate?: number;
  /** Share of real tokens selected for prediction, 80/10/10 (default 0.15). */
  maskProbability?: number;
}

export interface RewardCompareExperiment {
  kind: 'reward-compare';
  name: string;
  description?: string;
  /** A `*.rewards.json` file. */
  rewards: string;
  canon?: string;
  norm?: string;
  metric?: string;
}

/** Retrain the built-in extractor on the user's corpus (`core/extract/builtin/extractTrainJob.ts`). */
export interface ExtractTrainExperiment {
  kind: 'extract-train';
  name: string;
  description?: string;
  /** `semeval8`: SemEval-2010 Task 8 files, training the causal model (`core/extract/causal/causalTrainJob.ts`). */
  data: { format: 'conll04' | 'semeval8'; train: string; dev?: string };
  /** A `*.schema.json`; default: the types found in the training data. */
  schema?: string;
  /** Folder for the trained model; default: the run's `model/` folder. */
  output?: string;
  /** Schema defaults are the shipped model's settings. */
  training?: ExtractTrainingConfig;
  sweep?: SweepConfig;
  cluster?: ClusterConfig;
}

export interface ExtractTrainingConfig {
  taggerEpochs?: number;
  relationEpochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  taggerEnsemble?: number;
  crf?: boolean;
  rnn?: number;
  charCnn?: number;
  minFeatureCount?: number;
  weightAverage?: number;
}

export interface ExtractEvalExperiment {
  kind: 'extract-eval';
  name: string;
  description?: string;
  data: string;
  /** `semeval8`: SemEval-2010 Task 8's format, scoring the built-in causal model (provider builtin, no schema). */
  format: 'conll04' | 'semeval8';
  /** A `*.schema.json`; default: the CoNLL04 schema. */
  schema?: string;
  provider?: 'builtin' | 'ollama' | 'llamacpp';
  /** builtin: a model trained by an `extract-train` experiment (or a causal model for `semeval8`); default: the shipped one. */
  modelFile?: string;
  baseUrl?: string;
  model?: string;
  /** Evaluate only the first N sentences. */
  limit?: number;
  sweep?: SweepConfig;
  cluster?: ClusterConfig;
}

/**
 * Diffusion policies and baselines on offline data (`schemas/kinds/diffusion.schema.json`,
 * `core/diffusion/policy/`). After loading, every defaulted field is present.
 */
export interface DiffusionPolicyExperiment {
  kind: 'diffusion-policy';
  name: string;
  description?: string;
  dataset:
    | { toy: 'four-corners'; size?: number; seed?: number; modeRadius?: number }
    | { file: string; modes?: number[][] | number; modeRadius?: number; maxAction?: number }
    | {
        maze: { layout: string[]; maxStep?: number }; goal: [number, number]; trajectories?: number; length?: number; noise?: number;
        seed?: number; modes?: number[][] | number; modeRadius?: number;
      };
  policy: 'diffusion' | 'gaussian' | 'deterministic';
  objective: 'bc' | 'ql';
  eta?: number;
  diffusion?: { steps?: number; schedule?: 'vp' | 'linear' | 'cosine'; clipX0?: boolean; timeDim?: number };
  training?: {
    steps?: number; warmupSteps?: number; batchSize?: number; learningRate?: number; hidden?: number; seed?: number;
    discount?: number; tau?: number; criticClipNorm?: number; ema?: { decay?: number; start?: number; every?: number };
    checkpointEvery?: number;
  };
  evaluation?: { samples?: number; every?: number; chainSamples?: number };
}

/** The Frido-style miniature: two-scale latent diffusion on labelled 28x28 images (`core/diffusion/generation/`). */
export interface DiffusionExperiment {
  kind: 'diffusion';
  name: string;
  description?: string;
  data:
    | { format: 'idx'; train: IdxPair; devSize?: number; limit?: number; classNames?: string[] }
    | { toy: 'shapes'; size?: number; seed?: number; classNames?: string[] };
  schedule?: 'both' | 'coarse-to-fine' | 'single-scale';
  condition?: 'label';
  training?: { batchSize?: number; seed?: number; checkpointEvery?: number };
  classifier?: { steps?: number; learningRate?: number };
  autoencoder?: { coarseChannels?: number; fineChannels?: number; width?: number; steps?: number; learningRate?: number; coarseWeight?: number };
  diffusion?: {
    steps?: number; learningRate?: number; timesteps?: number; noiseSchedule?: 'cosine' | 'linear' | 'vp'; prediction?: 'eps' | 'v'; minSnr?: number;
    coarseShift?: number; jointShift?: number; coarseRows?: number; width?: number; embed?: number;
    calls?: number; guidance?: number; coarseShare?: number; dropLabel?: number; emaDecay?: number;
  };
  evaluation?: { samples?: number; every?: number; curveSamples?: number; gridPerClass?: number };
  validation?: { samples?: number; guidance?: number[]; coarseShare?: number[] };
}

/** Unsupervised skill discovery (METRA, DIAYN) on SAC (`core/rl/skills`). Schema defaults fill every optional field. */
export interface SkillsExperiment {
  kind: 'skills';
  name: string;
  description?: string;
  env: { type: 'point2d'; maxStep?: number } | { type: 'pointmaze'; layout: string[]; maxStep?: number; start?: [number, number] };
  algo: 'metra' | 'diayn' | 'lsd';
  skills?: { dim?: number; discrete?: boolean };
  horizon?: number;
  sac?: {
    hidden?: number[];
    learningRate?: number;
    batchSize?: number;
    discount?: number;
    tau?: number;
    alphaInit?: number;
    bufferSize?: number;
    minBuffer?: number;
  };
  phiHidden?: number[];
  metra?: { lambdaInit?: number; slack?: number };
  budget?: { epochs?: number; trajectoriesPerEpoch?: number; gradientStepsPerEpoch?: number };
  evaluation?: { skills?: number; everyEpochs?: number };
  /** Checkpoint every this many epochs. */
  checkpointEvery?: number;
  seed?: number;
}

/** Offline goal-conditioned RL (HIQL, GCIVL, GCBC) from a dataset (`core/rl/gcrl`). */
export interface OfflineGcrlExperiment {
  kind: 'offline-gcrl';
  name: string;
  description?: string;
  env: { type: 'gridmaze'; layout: string[] } | { type: 'pointmaze'; layout: string[]; maxStep?: number };
  /** A noisy-expert dataset generated from the seed, or a dataset file (`model-lab-rl-dataset/1`). */
  dataset: { generate: { trajectories?: number; length?: number; noise?: number } } | { file: string };
  algo: 'hiql' | 'gcivl' | 'gcbc';
  /** Subgoal distance (HIQL's way_steps). */
  k?: number;
  expectile?: number;
  temperature?: number;
  discount?: number;
  goals?: { current?: number; trajectory?: number; random?: number; highRandom?: number };
  training?: {
    epochs?: number;
    stepsPerEpoch?: number;
    batchSize?: number;
    learningRate?: number;
    /** The policies' learning rate (default: `learningRate`; `core/rl/gcrl/settings.ts`). */
    actorLearningRate?: number;
    tau?: number;
    valueHidden?: number[];
    actorHidden?: number[];
    layerNorm?: boolean;
    /** Gradient steps of HIQL's high-level policy per update (`core/rl/gcrl/settings.ts`). */
    highSteps?: number;
    /** What the networks see of a position (`core/rl/gcrl/encoding.ts`). */
    encoding?: 'cells' | 'xy';
  };
  evaluation: {
    tasks: { start: [number, number]; goal: [number, number] }[];
    /** Checkpoint selection: the final evaluation uses the policies best on these tasks (docs/rl.md). */
    validationTasks?: { start: [number, number]; goal: [number, number] }[];
    episodes?: number;
    epsilon?: number;
    maxSteps?: number;
    everyEpochs?: number;
  };
  checkpointEvery?: number;
  seed?: number;
}

export type DataConfig = CsvDataConfig | IdxDataConfig | JsonlDataConfig;

interface DataCommon {
  /** Divide every input value by this (e.g. 16 for digits, 255 for images). */
  scale?: number;
  /** Keep the first N training examples. */
  limit?: number;
  /** Fraction of the (shuffled, seeded) training data held out as test split when no `test` is given. */
  testSplit?: number;
}

export interface CsvDataConfig extends DataCommon {
  format: 'csv';
  train: string;
  test?: string;
  /** Which column holds the class label (integer class indices or class names). */
  label: 'last' | 'first' | number;
  header?: boolean;
}

export interface IdxPair { images: string; labels: string }
export interface IdxDataConfig extends DataCommon {
  format: 'idx';
  train: IdxPair;
  test?: IdxPair;
}

export interface JsonlDataConfig extends DataCommon {
  format: 'jsonl';
  /** One `{"text": string, "label": string|number}` per line. */
  train: string;
  test?: string;
  /** Tokens per example (pad/truncate). */
  maxLength?: number;
  /** Most frequent training tokens kept; the rest map to [UNK]. */
  vocabSize?: number;
}

export type LayerType =
  | 'dense' | 'conv2d' | 'maxPooling2d' | 'flatten' | 'dropout' | 'batchNormalization'
  | 'embedding' | 'positionalEncoding' | 'transformerEncoder' | 'globalAveragePooling1d';

export interface LayerConfig {
  name?: string;
  type: LayerType;
  units?: number;
  activation?: 'relu' | 'linear' | 'softmax' | 'sigmoid' | 'tanh' | 'gelu';
  filters?: number;
  kernelSize?: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  poolSize?: number | [number, number];
  rate?: number;
  inputDim?: number;
  outputDim?: number;
  numHeads?: number;
  ffDim?: number;
  momentum?: number;
  epsilon?: number;
}

export interface ModelConfig {
  /** Shape of one example, without the batch dimension. */
  inputShape?: number[];
  layers?: LayerConfig[];
  /** Fine-tune a saved TensorFlow.js model (a `model.json`, relative to the file). */
  from?: string;
}

export interface OptimizerConfig {
  type: 'adam' | 'sgd' | 'momentum' | 'rmsprop';
  learningRate?: number;
  momentum?: number;
}

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  optimizer?: OptimizerConfig;
  seed?: number;
  /** Shuffle training data each epoch (seeded). Default true. */
  shuffle?: boolean;
  /**
   * What batch-norm layers keep for inference: `running` (default) the moving averages of the
   * training batches' statistics; `population` those of the whole training split under the final
   * weights, computed after the last step (src/core/train/populationStatistics.ts). DeepInversion
   * inverts these statistics (docs/distillation.md).
   */
  batchNormStatistics?: 'running' | 'population';
}

export type FreezingPolicyName = 'none' | 'static' | 'linear' | 'autofreeze' | 'smartfrz';

export interface FreezingConfig {
  policy: FreezingPolicyName;
  /** Cache the frozen prefix's outputs when the input pipeline is deterministic. Default true. */
  cache?: boolean;
  /** static: freeze these layers (names) or the first `prefix` weighted layers ... */
  layers?: string[];
  prefix?: number;
  /** ... at this epoch (0-based epoch boundary) or global step. */
  atEpoch?: number;
  atStep?: number;
  /** linear (FreezeOut): t0 and whether to use the cubic schedule. */
  t0?: number;
  cubic?: boolean;
  /** autofreeze: evaluation interval in steps and percentile threshold. */
  intervalSteps?: number;
  percentile?: number;
  /** smartfrz: predictor weights file (default: shipped), decision threshold, optimizer steps between weight snapshots (default: the predictor's). */
  predictor?: string;
  threshold?: number;
  snapshotEvery?: number;
  /** smartfrz: no layer freezes while the evaluation accuracy still gains this many points per epoch (default: off with the shipped predictor; a predictor file's calibrated value). */
  accuracyTolerance?: number;
  /** smartfrz: a layer freezes only when its outputs on a fixed probe batch have linear CKA >= this with the previous reading's (default: the predictor's calibrated value). */
  minLayerSimilarity?: number;
  /** smartfrz: the same bound for conv layers (default: the predictor's calibrated value, else minLayerSimilarity). */
  minConvSimilarity?: number;
  /** smartfrz: optimizer steps between two probe readings, each followed by a freezing stage (default: the predictor's calibrated value). */
  probeEvery?: number;
  /** smartfrz: consecutive probe readings at or above minLayerSimilarity before a layer may freeze (default: the predictor's calibrated value). */
  stableReadings?: number;
  /** smartfrz: drift signal, replacing the similarity bounds: a reading is stable when the probe change over driftSpan readings is at most this many times its mean change per reading (default: the predictor's calibrated value, else off). */
  maxDriftRatio?: number;
  /** smartfrz: readings back the drift signal compares with (default: the predictor's calibrated value, else 8). */
  driftSpan?: number;
  /** smartfrz: the drift signal's span for conv layers, in optimizer steps (default: the predictor's calibrated value, else driftSpan readings). */
  convDriftSteps?: number;
  /** smartfrz: output guard: no layer freezes while the model's predictions on the probe batch have linear CKA below this with the previous reading's (default: the predictor's calibrated value, else off). */
  minOutputSimilarity?: number;
  /** Never freeze the last N weighted layers (default 1: the classifier keeps training). */
  keepTrainable?: number;
}

/**
 * Distil a teacher into a smaller student, with or without the training data
 * (`schemas/kinds/distill.schema.json`; docs/distillation.md). Each arm trains its own copy of
 * the student from the same initial weights.
 */
export interface DistillExperiment {
  kind: 'distill';
  name: string;
  description?: string;
  /** A train experiment (its latest completed run's model), a run folder, or a saved `model.json`. */
  teacher: string;
  /** The data (default: the teacher experiment's or run's). Data-free arms read only its test split. */
  data?: DataConfig;
  student: { layers: LayerConfig[] };
  arms: (DistillArmMethod | DistillArmConfig)[];
  training: DistillTrainingConfig;
  tinybert?: {
    intermediateEpochs?: number;
    predictionEpochs?: number;
    predictionLearningRate?: number;
    temperature?: number;
    weights?: { embedding?: number; hidden?: number; attention?: number };
  };
  /** General distillation from an encoder pretrained by masked-LM (default teacher: the teacher run's `model.from`). */
  general?: { teacher?: string; epochs: number };
  augment?: { source?: 'wordnet' | 'teacher-neighbours'; copies?: number; probability?: number; candidates?: number };
  synthesis?: {
    samples?: number; batchSize?: number; steps?: number; learningRate?: number; bnWeight?: number; firstBnMultiplier?: number;
    tvWeight?: number; l2Weight?: number; jitter?: number; flip?: boolean; coarseSteps?: number; mixup?: boolean; views?: boolean; competition?: number; competitionSteps?: number; clip?: [number, number];
  };
  dafl?: {
    steps?: number; batchSize?: number; learningRate?: number; noiseDim?: number; hidden?: number;
    oneHotWeight?: number; activationWeight?: number; balanceWeight?: number;
  };
}

export type DistillArmMethod = 'student' | 'kd' | 'tinybert' | 'tinybert+aug' | 'noise' | 'deepinversion' | 'dafl';

/** An arm with its own name and settings over the experiment's (e.g. DeepInversion with `bnWeight: 0`). */
export interface DistillArmConfig {
  name?: string;
  method: DistillArmMethod;
  /** Start from the general-distillation student (default: true for tinybert arms when `general` is set). */
  general?: boolean;
  epochs?: number;
  temperature?: number;
  tinybert?: DistillExperiment['tinybert'];
  augment?: DistillExperiment['augment'];
  synthesis?: DistillExperiment['synthesis'];
  dafl?: DistillExperiment['dafl'];
}

export interface DistillTrainingConfig {
  /** Epochs of each arm's one stage (student, kd, data-free distillation). */
  epochs: number;
  batchSize: number;
  optimizer?: OptimizerConfig;
  seed?: number;
  /** KD temperature of the kd and data-free arms. */
  temperature?: number;
  /** Labelled training examples the `student` arm learns from (default: all). */
  labelled?: number;
  /** Learning rate over a KD stage (kd, noise, the data-free arms' distillation): constant (default) or cosine decay to 0. */
  schedule?: 'constant' | 'cosine';
}

/**
 * Many runs of one experiment (`core/experiment/sweep.ts`): keys are JSON pointers into the
 * experiment. The points are the grid's combinations; `random` with `params` draws `count`
 * samples (crossed with the grid's points); `random` without `params` picks `count` grid points.
 */
export interface SweepConfig {
  grid?: Record<string, unknown[]>;
  random?: { count: number; seed?: number; params?: Record<string, SweepDistribution> };
}

export type SweepDistribution =
  | { uniform: [number, number] }
  | { logUniform: [number, number] }
  | { int: [number, number] }
  | { choice: unknown[] };

/** How a sweep is submitted to Slurm (`runner/slurm.ts`); flags override these. */
export interface ClusterConfig {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  mem?: string;
  maxConcurrent?: number;
  sbatchArgs?: string[];
  setup?: string[];
  node?: string;
}
