import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../data/types';
import { UserError } from '../errors';
import type { TrainExperiment } from '../experiment/types';
import type { FreezableUnit, FreezingPolicy, StepInfo, TrainingPlan } from '../freezing/policy';
import { backwardFlopsFrom, forwardFlopsFrom, layerCosts, modelLayers } from '../model/flops';
import { freezableUnits, layerInfos } from '../model/units';
import { throttledYield } from '../util/eventLoop';
import { createRng, type Rng, shuffledIndices } from '../util/random';
import {
  checkCheckpointFits,
  type EpochRecord,
  type FlopsTotals,
  type FreezeRecord,
  flopsSavedOf,
  type PartialEpoch,
  type StoredTensor,
  type TrainCheckpoint,
} from './checkpoint';
import type { FlopsSaved, RunEvent } from './events';
import { DENSE_STEP_ENV_VAR, denseStepGradients, denseStepPlan } from './denseStep';
import { forwardPlan, lossSumAndCorrect, meanLoss, runLayers } from './forward';
import { FusedAdamOptimizer } from './fusedAdam';
import { createOptimizer, type OptimizerSlot, optimizerSlots, optimizerWithSlots } from './optimizer';
import { setPopulationStatistics } from './populationStatistics';
import { probeOutputs } from './probe';
import {
  cacheBytes,
  cachePaysOff,
  DEFAULT_CACHE_BUDGET_BYTES,
  disposePrefixCache,
  INFERENCE_BATCH,
  type PrefixCache,
  prefixOutputs,
  sliceRows,
} from './prefixCache';

export interface TrainOptions {
  experiment: TrainExperiment;
  data: LoadedData;
  model: tf.LayersModel;
  policy: FreezingPolicy;
  runId: string;
  /** Backend name, reported in the `start` event. */
  backend: string;
  onEvent(e: RunEvent): void;
  /**
   * Polled before every step and evaluation batch (the loop lets the event loop turn at least
   * every 50 ms, so signals and IPC messages are seen); true stops the run (status `cancelled`)
   * at that step, with a checkpoint of it.
   */
  shouldStop(): boolean;
  /**
   * Called at the end of every epoch, after evaluation, and when a stop request is honoured
   * (inside an epoch: the checkpoint then holds where); awaited (time not counted as training).
   */
  onCheckpoint?(ckpt: TrainCheckpoint): Promise<void>;
  /** Continue from this checkpoint (same experiment, a freshly built model of the same shape). */
  resume?: TrainCheckpoint;
  /** Emit a `step` event every N steps (default: about 10 per epoch). */
  logEverySteps?: number;
  /** Upper bound for the frozen-prefix output cache (train + test); default 512 MiB. */
  cacheBudgetBytes?: number;
  /** Longest time between two turns of the event loop while training (default 50 ms; 0: every step). */
  yieldIntervalMs?: number;
}

export interface TrainResult {
  /** `diverged`: the loss became NaN or infinite; training stopped there (no checkpoint of that state). */
  status: 'completed' | 'cancelled' | 'diverged';
  /** Why a diverged run stopped, in one line naming the epoch (1-based) and step. */
  message?: string;
  /** Completed epochs. */
  epochs: number;
  globalStep: number;
  /** Test-split metrics after the last completed epoch (NaN when no epoch completed). */
  metrics: { accuracy: number; loss: number };
  /** Seconds spent training (optimizer steps, freezing, cache building); evaluation and checkpoints excluded. */
  trainSeconds: number;
  samplesPerSecond: number;
  freezeEvents: FreezeRecord[];
  flopsSaved: FlopsSaved;
  history: EpochRecord[];
  /**
   * Optimizer steps this call took with the fused dense step (`denseStep.ts`) and with tfjs's
   * gradient tape, and how many of them left Adam running behind the next step's start on the
   * native threads (`tensor/wasm/behind.ts`; `MODEL_LAB_ADAM_OVERLAP=0`: none). Results are the same either way.
   */
  stepPaths: { fused: number; tape: number; behind: number };
}

/** Training-loop state that changes when the frozen prefix grows. */
interface FrozenState {
  /** Frozen units. */
  prefix: number;
  /** First layer that trains: layers before it run outside the gradient tape, in inference mode. */
  boundary: number;
  /** Variables the optimizer updates (units `prefix..`), in gradient order. */
  variables: tf.Variable[];
  cache?: PrefixCache;
}

/**
 * The training loop (not `model.fit`), built so that freezing saves real work:
 * - the frozen prefix (units `0..k-1` and the weightless layers up to the next weighted layer)
 *   runs inside `tf.tidy` in inference mode, outside the gradient tape; only the trainable
 *   suffix runs inside `tf.variableGrads` with only its variables, so frozen layers get no
 *   weight gradient and no input gradient flows into them;
 * - the optimizer is rebuilt with only the trainable variables' slots when the prefix grows
 *   (frozen variables' moments are dropped, nothing updates them again);
 * - frozen batch-norm layers run in inference mode, so their moving statistics stay fixed
 *   (tfjs updates them eagerly only in a training-mode call);
 * - with `freezing.cache` (default on) the prefix's outputs are computed once per prefix for
 *   the whole training set and each step gathers its batch from them (the test set's are
 *   built at the next evaluation); only when it pays off (`cachePaysOff`: at least 1.5 epochs
 *   of steps left) and fits the memory budget (`cacheBudgetBytes`, default 512 MiB).
 * Per-unit learning-rate scales (FreezeOut) scale the unit's *update*: the variable moves by
 * `scale * (new - old)`. Scaling the gradient would be a no-op for Adam (its step is
 * invariant to gradient scale); scaling the update is exactly a per-layer learning rate for
 * SGD, momentum, RMSProp and Adam alike.
 * Reproducible: seeded shuffling and dropout, all drawn from one RNG whose state is
 * checkpointed, so a resumed run continues the same sequence.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { experiment, data, model, policy, onEvent } = opts;
  const tcfg = experiment.training;
  const batchSize = tcfg.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UserError(`batchSize must be a positive integer, got ${batchSize}`, '/training/batchSize');
  }
  if (!Number.isInteger(tcfg.epochs) || tcfg.epochs < 1) {
    throw new UserError(`epochs must be a positive integer, got ${tcfg.epochs}`, '/training/epochs');
  }
  const nTrain = data.train.count;
  if (nTrain < 1) throw new UserError('the training split is empty', '/data/train');

  const layers = modelLayers(model);
  const fplan = forwardPlan(layers);
  checkOutputShape(model, data.numClasses, experiment);
  const costs = layerCosts(model);
  const units = freezableUnits(model, costs);
  const allVariables = units.flatMap((u) => u.variables);
  const stepsPerEpoch = Math.ceil(nTrain / batchSize);
  const plan: TrainingPlan = { epochs: tcfg.epochs, stepsPerEpoch, totalSteps: tcfg.epochs * stepsPerEpoch, batchSize };
  const logEvery = opts.logEverySteps ?? Math.max(1, Math.round(stepsPerEpoch / 10));
  const useCache = experiment.freezing?.cache !== false;
  const cacheBudget = opts.cacheBudgetBytes ?? DEFAULT_CACHE_BUDGET_BYTES;
  const fullForward = forwardFlopsFrom(costs, 0);
  const fullBackward = backwardFlopsFrom(costs, 0);

  policy.init(units, plan, probeOutputs(fplan, units, data));
  const rng = createRng(tcfg.seed ?? 0);
  let epoch = 0;
  let globalStep = 0;
  let trainSeconds = 0;
  let history: EpochRecord[] = [];
  let freezeEvents: FreezeRecord[] = [];
  let flops: FlopsTotals = { examples: 0, fullForward: 0, fullBackward: 0, savedForward: 0, savedBackward: 0 };
  let optimizer = createOptimizer(tcfg.optimizer);
  const state: FrozenState = { prefix: 0, boundary: 0, variables: allVariables };

  const resume = opts.resume;
  /** Where inside its first epoch a resumed run continues (consumed by that epoch). */
  let partial: PartialEpoch | undefined;
  if (resume) {
    checkCheckpointFits(resume, {
      weights: model.weights.map((w) => ({ shape: w.shape as number[], dtype: w.dtype })),
      variableShapes: allVariables.map((v) => v.shape),
      units: units.length,
      epochs: plan.epochs,
      stepsPerEpoch,
      policy: policy.name,
    });
    restoreModelWeights(model, resume.modelWeights);
    try {
      policy.loadState(resume.policyState);
    } catch (e) {
      throw new UserError(`damaged checkpoint: unreadable ${policy.name} policy state (${(e as Error).message}); start the run again`, undefined, resume.source);
    }
    rng.restore(resume.rngState);
    epoch = resume.epoch;
    globalStep = resume.globalStep;
    trainSeconds = resume.elapsedSeconds;
    history = [...resume.history];
    freezeEvents = [...resume.freezeEvents];
    flops = { ...resume.flops };
    partial = resume.partialEpoch;
    setPrefix(state, units, layers.length, resume.frozenPrefix);
    const slots: OptimizerSlot[] = resume.optimizer.map((o) => ({ variable: o.variable, slot: o.slot, tensor: toTensor(o) }));
    optimizer.dispose();
    optimizer = await optimizerWithSlots(tcfg.optimizer, slots, allVariables, state.variables);
    tf.dispose(slots.map((s) => s.tensor));
  }

  const xShape = [data.train.count, ...data.exampleShape];
  const xTrain = tf.tensor(data.train.x, xShape, data.xDtype);
  const yTrain = tf.tensor1d(data.train.y, 'int32');
  const xTest = tf.tensor(data.test.x, [data.test.count, ...data.exampleShape], data.xDtype);
  const yTest = tf.tensor1d(data.test.y, 'int32');

  const yieldToEventLoop = throttledYield(opts.yieldIntervalMs ?? 50);
  /** Lets signals and IPC messages in (cheaply), then polls the stop request. */
  const stopRequested = async (): Promise<boolean> => {
    await yieldToEventLoop();
    return opts.shouldStop();
  };

  /** Whether the frozen-prefix cache should exist now (it pays off and fits the budget). */
  const wantCache = (): boolean => {
    if (!useCache || state.boundary === 0) return false;
    const remainingExamples = (plan.totalSteps - globalStep) * batchSize;
    if (!cachePaysOff(remainingExamples, nTrain)) return false;
    const bytes = cacheBytes(fplan, state.boundary, data.train.count + data.test.count);
    if (bytes > cacheBudget) {
      onEvent({
        type: 'log',
        level: 'warn',
        message: `not caching frozen-prefix outputs: ${(bytes / 2 ** 20).toFixed(0)} MiB exceeds the ${(cacheBudget / 2 ** 20).toFixed(0)} MiB budget`,
      });
      return false;
    }
    return true;
  };
  /** (Re)builds the cache for the current prefix; left without one when a stop interrupts the build. */
  const refreshCache = async (wanted: boolean): Promise<void> => {
    const previous = state.cache;
    state.cache = undefined;
    try {
      if (!wanted) return;
      // A grown prefix continues from the smaller prefix's cached outputs (those layers are not run again).
      const from = previous?.boundary ?? 0;
      const train = await prefixOutputs(fplan, from, state.boundary, previous?.train ?? xTrain, stopRequested);
      if (!train) return;
      state.cache = { boundary: state.boundary, train };
      // Filling the cache runs those layers forward once over the training set: charge it.
      flops.savedForward -= (forwardFlopsFrom(costs, from) - forwardFlopsFrom(costs, state.boundary)) * data.train.count;
    } finally {
      disposePrefixCache(previous);
    }
  };
  if (resume) await refreshCache(wantCache());

  onEvent({
    type: 'start',
    time: new Date().toISOString(),
    runId: opts.runId,
    experiment: experiment.name,
    policy: policy.name,
    backend: opts.backend,
    epochs: plan.epochs,
    stepsPerEpoch,
    batchSize,
    trainExamples: data.train.count,
    testExamples: data.test.count,
    layers: layerInfos(costs, units),
    ...(data.classNames ? { classNames: data.classNames } : {}),
    ...(resume ? { resumedFrom: { epoch: resume.epoch, step: resume.globalStep } } : {}),
  });

  /** Steps taken by each path (`denseStep.ts`), and the last step's path, logged when it changes. */
  const stepPaths = { fused: 0, tape: 0, behind: 0 };
  let lastStep: { fused?: boolean; boundary?: number; message?: string } = {};
  let status: TrainResult['status'] = 'completed';
  let message: string | undefined;
  /** True while the last checkpoint handed out is the current state (nothing trained since). */
  let checkpointed = resume !== undefined;
  /** Hands out a checkpoint of now: `epochsDone` complete epochs, plus `partialEpoch` when inside one. */
  const checkpoint = async (epochsDone: number, partialEpoch?: PartialEpoch): Promise<void> => {
    if (!opts.onCheckpoint || checkpointed) return;
    const ckpt = await makeCheckpoint({
      model, optimizer, allVariables, policy, epoch: epochsDone, globalStep, partialEpoch, prefix: state.prefix, rngState: rng.state(),
      elapsedSeconds: trainSeconds, history, freezeEvents, flops,
    });
    await opts.onCheckpoint(ckpt);
    checkpointed = true;
  };
  const diverged = (what: string, value: number): void => {
    status = 'diverged';
    message = `training diverged at epoch ${epoch + 1}, step ${globalStep}: the ${what} is ${value}; lower the learning rate or check the data for extreme values`;
  };
  try {
    epochLoop: for (; epoch < plan.epochs; epoch++) {
      if (!partial && (await stopRequested())) {
        // Between epochs: the epoch's checkpoint is the place to resume from (the first one of a run is written now).
        await checkpoint(epoch);
        status = 'cancelled';
        break;
      }
      const epochRngState = partial?.rngState ?? rng.state();
      const order = tcfg.shuffle === false ? identity(nTrain) : shuffledIndices(nTrain, partial ? rngAt(partial.rngState) : rng);
      // float32, rounded after each step as the scalar tensor it was (tf.add(sum, tf.mul(loss, size))):
      // two kernels a step fewer, the same value (a float32 product or sum computed in float64 and
      // rounded once is the float32 result).
      let lossSum = Math.fround(partial?.lossSum ?? 0);
      const secondsBefore = partial?.seconds ?? 0;
      const firstStep = partial?.step ?? 0;
      partial = undefined;
      const epochStart = performance.now();
      const epochSeconds = () => (performance.now() - epochStart) / 1000;
      /** Stops inside this epoch: `step` of its steps are taken; checkpoints exactly there. */
      const stopAt = async (step: number): Promise<void> => {
        const seconds = epochSeconds();
        trainSeconds += seconds;
        await checkpoint(epoch, { step, rngState: epochRngState, lossSum, seconds: secondsBefore + seconds });
        status = 'cancelled';
      };
      for (let s = firstStep; s < stepsPerEpoch; s++) {
        if (await stopRequested()) {
          await stopAt(s);
          break epochLoop;
        }
        const wanted = Math.min(units.length, Math.max(state.prefix, policy.frozenPrefix()));
        if (wanted > state.prefix) {
          const before = state.prefix;
          const slots = await optimizerSlots(optimizer, allVariables);
          setPrefix(state, units, layers.length, wanted);
          const next = await optimizerWithSlots(tcfg.optimizer, slots, allVariables, state.variables);
          tf.dispose(slots.filter((sl) => sl.variable === -1).map((sl) => sl.tensor));
          optimizer.dispose();
          optimizer = next;
          checkpointed = false;
          const cache = wantCache();
          const stepSaving = stepSavingFor(costs, state.boundary, cache, fullForward, fullBackward);
          const reason = policy.lastReason?.();
          for (let u = before; u < wanted; u++) {
            freezeEvents.push({ layer: units[u].name, epoch, step: globalStep });
            onEvent({ type: 'freeze', layer: units[u].name, unit: u, epoch, step: globalStep, ...(reason ? { reason } : {}), stepSaving });
          }
          // Building the cache can take a while (one forward pass of the prefix): a stop lands inside it.
          await refreshCache(cache);
          if (opts.shouldStop()) {
            await stopAt(s);
            break epochLoop;
          }
        }

        const start = s * batchSize;
        const size = Math.min(batchSize, nTrain - start);
        const stepInfo: StepInfo = { epoch, stepInEpoch: s, globalStep };
        const wantNorms = policy.wantsGradientNorms?.(stepInfo) === true;
        const scales = units.map((_, u) => (u >= state.prefix && policy.lrScale ? policy.lrScale(u, stepInfo) : 1));
        const dropoutSeed = rng.int(2 ** 30);
        const idx = tf.tensor1d(order.subarray(start, start + size), 'int32');
        /** Whether the fused dense step computed this step's gradients (undefined: nothing trains). */
        let fusedStep: boolean | undefined;
        const { loss, norms } = tf.tidy(() => {
          const yb = tf.gather(yTrain, idx) as tf.Tensor1D;
          let h: tf.Tensor;
          if (state.cache) {
            h = tf.gather(state.cache.train, idx);
          } else {
            h = runLayers(fplan, tf.gather(xTrain, idx), 0, state.boundary, false, 0);
          }
          const lossFn = () => meanLoss(runLayers(fplan, h, state.boundary, layers.length, true, dropoutSeed), yb, data.numClasses);
          if (state.variables.length === 0) return { loss: lossFn(), norms: undefined };
          const fused = denseStepGradients(fplan, h, yb, state.boundary, state.variables, data.numClasses);
          fusedStep = fused !== undefined;
          const { value, grads } = fused ?? tf.variableGrads(lossFn, state.variables);
          const norms = wantNorms ? gradientNorms(units, state.prefix, grads) : undefined;
          const scaled = units
            .map((u, i) => ({ u, s: scales[i] }))
            .filter(({ u, s }) => u.index >= state.prefix && s !== 1);
          const previous = scaled.map(({ u }) => u.variables.map((v) => tf.clone(v)));
          if (optimizer instanceof FusedAdamOptimizer) optimizer.onNativeThreads = fusedStep;
          optimizer.applyGradients(grads);
          scaled.forEach(({ u, s }, i) =>
            u.variables.forEach((v, j) => v.assign(tf.add(previous[i][j], tf.mul(tf.sub(v, previous[i][j]), s)))),
          );
          return { loss: value, norms };
        });
        idx.dispose();
        if (fusedStep !== undefined) stepPaths[fusedStep ? 'fused' : 'tape']++;
        if (fusedStep !== undefined && optimizer instanceof FusedAdamOptimizer && optimizer.lastStepBehind) stepPaths.behind++;
        if (fusedStep !== undefined && (fusedStep !== lastStep.fused || state.boundary !== lastStep.boundary)) {
          const plan = denseStepPlan(fplan, state.boundary, state.variables);
          const message = fusedStep
            ? `training step: one fused kernel for the dense layers ${plan.layers?.join(', ')} (${DENSE_STEP_ENV_VAR}=0: tfjs's gradient tape)`
            : `training step: tfjs's gradient tape${plan.reason ? ` (not the fused dense step: ${plan.reason})` : ''}`;
          if (message !== lastStep.message) onEvent({ type: 'log', level: 'info', message });
          lastStep = { fused: fusedStep, boundary: state.boundary, message };
        }
        checkpointed = false;
        const lossValue = loss.dataSync()[0];
        lossSum = Math.fround(lossSum + Math.fround(lossValue * size));
        let gradL1: number[] | undefined;
        if (norms) {
          gradL1 = Array.from(await norms.data());
          norms.dispose();
        }
        const cachedForward = state.cache ? fullForward - forwardFlopsFrom(costs, state.boundary) : 0;
        flops.examples += size;
        flops.fullForward += fullForward * size;
        flops.fullBackward += fullBackward * size;
        flops.savedForward += cachedForward * size;
        flops.savedBackward += (fullBackward - backwardFlopsFrom(costs, state.boundary)) * size;
        await policy.afterStep(stepInfo, gradL1);
        globalStep++;
        if (globalStep % logEvery === 0) {
          onEvent({ type: 'step', epoch, step: globalStep, loss: lossValue, seconds: trainSeconds + epochSeconds() });
          if (!Number.isFinite(lossValue)) {
            loss.dispose();
            trainSeconds += epochSeconds();
            diverged('training loss', lossValue);
            break epochLoop;
          }
        }
        loss.dispose();
      }
      if (tcfg.batchNormStatistics === 'population' && epoch === plan.epochs - 1) {
        // After the last step: batch-norm statistics of the final weights (populationStatistics.ts).
        // Frozen layers (before the boundary) keep theirs.
        if (!(await setPopulationStatistics(fplan, state.cache?.train ?? xTrain, state.cache ? state.boundary : 0, state.boundary, stopRequested))) {
          await stopAt(stepsPerEpoch);
          break;
        }
        checkpointed = false;
      }
      const newSeconds = epochSeconds();
      const epochTrainSeconds = secondsBefore + newSeconds;
      trainSeconds += newSeconds;

      const evalStart = performance.now();
      const trainLoss = lossSum / nTrain;
      if (!Number.isFinite(trainLoss)) {
        diverged('training loss', trainLoss);
        break;
      }
      const evaluated = await evaluate(fplan, state, xTest, yTest, data.numClasses, stopRequested);
      if (!evaluated) {
        // Stopped during the evaluation: the epoch's steps are done, its evaluation is left for the resume.
        await checkpoint(epoch, { step: stepsPerEpoch, rngState: epochRngState, lossSum, seconds: epochTrainSeconds });
        status = 'cancelled';
        break;
      }
      const { loss: testLoss, accuracy: testAccuracy } = evaluated;
      if (data.test.count > 0 && !Number.isFinite(testLoss)) {
        diverged('test loss', testLoss);
        break;
      }
      await policy.afterEpoch?.({ epoch, loss: trainLoss, testLoss, testAccuracy });
      const evalSeconds = (performance.now() - evalStart) / 1000;
      const record: EpochRecord = {
        epoch,
        step: globalStep,
        loss: trainLoss,
        testLoss,
        testAccuracy,
        seconds: epochTrainSeconds,
        elapsedSeconds: trainSeconds,
        samplesPerSecond: nTrain / Math.max(epochTrainSeconds, 1e-9),
        frozen: units.slice(0, state.prefix).map((u) => u.name),
        flopsSaved: flopsSavedOf(flops),
        evalSeconds,
      };
      history.push(record);
      onEvent({ type: 'epoch', ...record });
      checkpointed = false;
      await checkpoint(epoch + 1);
    }
  } finally {
    disposePrefixCache(state.cache);
    tf.dispose([xTrain, yTrain, xTest, yTest]);
    optimizer.dispose();
  }

  const completed = history.length > 0 ? history[history.length - 1].epoch + 1 : 0;
  onEvent({ type: 'end', status, epoch: completed, step: globalStep, trainSeconds, ...(message ? { message } : {}) });
  const last = history[history.length - 1];
  return {
    status,
    ...(message ? { message } : {}),
    epochs: completed,
    globalStep,
    metrics: { accuracy: last?.testAccuracy ?? NaN, loss: last?.testLoss ?? NaN },
    trainSeconds,
    samplesPerSecond: trainSeconds > 0 ? flops.examples / trainSeconds : 0,
    freezeEvents,
    flopsSaved: flopsSavedOf(flops),
    history,
    stepPaths,
  };
}

/** A generator continuing from `state` (to redraw an epoch's batch order without disturbing the run's). */
function rngAt(state: number[]): Rng {
  const r = createRng(0);
  r.restore(state);
  return r;
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function checkOutputShape(model: tf.LayersModel, numClasses: number, experiment: TrainExperiment): void {
  const shape = model.outputs[0].shape;
  const n = experiment.model.layers?.length ?? 0;
  const pointer = n > 0 ? `/model/layers/${n - 1}` : '/model/from';
  if (shape.length !== 2) {
    throw new UserError(`the last layer must output one score per class ([batch, ${numClasses}]), got ${JSON.stringify(shape)}`, pointer);
  }
  if (shape[1] !== numClasses) {
    throw new UserError(`the last layer outputs ${shape[1]} values but the data has ${numClasses} classes`, n > 0 ? `${pointer}/units` : pointer);
  }
}

/** Move the frozen boundary to `prefix` units (and the weightless layers after them). */
function setPrefix(state: FrozenState, units: FreezableUnit[], numLayers: number, prefix: number): void {
  state.prefix = prefix;
  state.boundary = prefix === 0 ? 0 : prefix >= units.length ? numLayers : units[prefix].layerIndex;
  state.variables = units.slice(prefix).flatMap((u) => u.variables);
}

/** Per-step saving with the prefix frozen up to `boundary` (forward only when its outputs are cached). */
function stepSavingFor(costs: ReturnType<typeof layerCosts>, boundary: number, cached: boolean, fullForward: number, fullBackward: number): FlopsSaved {
  return {
    forward: cached && fullForward > 0 ? (fullForward - forwardFlopsFrom(costs, boundary)) / fullForward : 0,
    backward: fullBackward > 0 ? (fullBackward - backwardFlopsFrom(costs, boundary)) / fullBackward : 0,
  };
}

/** Per-unit gradient L1 norms as one small tensor (frozen units 0), read once by the caller. */
function gradientNorms(units: FreezableUnit[], prefix: number, grads: tf.NamedTensorMap): tf.Tensor1D {
  return tf.stack(
    units.map((u) =>
      u.index < prefix ? tf.scalar(0) : tf.addN(u.variables.map((v) => tf.sum(tf.abs(grads[v.name])))),
    ),
  ) as tf.Tensor1D;
}

/**
 * Test loss and accuracy, in batches, from the prefix cache when there is one. `stopRequested`
 * is asked between batches; undefined when it said stop.
 */
async function evaluate(
  fplan: ReturnType<typeof forwardPlan>,
  state: FrozenState,
  xTest: tf.Tensor,
  yTest: tf.Tensor1D,
  numClasses: number,
  stopRequested: () => Promise<boolean>,
): Promise<{ loss: number; accuracy: number } | undefined> {
  const n = yTest.shape[0];
  if (n === 0) return { loss: NaN, accuracy: NaN };
  if (state.cache && !state.cache.test) {
    state.cache.test = await prefixOutputs(fplan, 0, state.boundary, xTest, stopRequested);
    if (!state.cache.test) return undefined;
  }
  const source = state.cache?.test ?? xTest;
  const from = state.cache ? state.boundary : 0;
  let totals = tf.zeros([2]);
  for (let start = 0; start < n; start += INFERENCE_BATCH) {
    if (await stopRequested()) {
      totals.dispose();
      return undefined;
    }
    const size = Math.min(INFERENCE_BATCH, n - start);
    const next = tf.tidy(() => {
      const logits = runLayers(fplan, sliceRows(source, start, size), from, fplan.layers.length, false, 0);
      const [lossSum, correct] = lossSumAndCorrect(logits, sliceRows(yTest, start, size) as tf.Tensor1D, numClasses);
      return tf.add(totals, tf.stack([lossSum, correct]));
    });
    totals.dispose();
    totals = next;
  }
  const [lossSum, correct] = await totals.data();
  totals.dispose();
  return { loss: lossSum / n, accuracy: correct / n };
}

/** Weights of a checkpoint that `checkCheckpointFits` accepted. */
function restoreModelWeights(model: tf.LayersModel, weights: StoredTensor[]): void {
  const tensors = weights.map(toTensor);
  model.setWeights(tensors);
  tf.dispose(tensors);
}

function toTensor(t: StoredTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape, t.dtype);
}

async function stored(t: tf.Tensor): Promise<StoredTensor> {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const values = await t.data();
  const data = dtype === 'int32' ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array);
  return { shape: [...t.shape], dtype, data };
}

async function makeCheckpoint(a: {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  allVariables: tf.Variable[];
  policy: FreezingPolicy;
  epoch: number;
  globalStep: number;
  partialEpoch?: PartialEpoch;
  prefix: number;
  rngState: number[];
  elapsedSeconds: number;
  history: EpochRecord[];
  freezeEvents: FreezeRecord[];
  flops: FlopsTotals;
}): Promise<TrainCheckpoint> {
  const modelWeights = await Promise.all(a.model.getWeights().map(stored));
  const slots = await optimizerSlots(a.optimizer, a.allVariables);
  const optimizer = await Promise.all(slots.map(async (s) => ({ ...(await stored(s.tensor)), variable: s.variable, slot: s.slot })));
  tf.dispose(slots.filter((s) => s.variable === -1).map((s) => s.tensor));
  return {
    epoch: a.epoch,
    globalStep: a.globalStep,
    ...(a.partialEpoch ? { partialEpoch: a.partialEpoch } : {}),
    modelWeights,
    optimizer,
    policy: a.policy.name,
    policyState: a.policy.saveState(),
    frozenPrefix: a.prefix,
    rngState: a.rngState,
    elapsedSeconds: a.elapsedSeconds,
    history: [...a.history],
    freezeEvents: [...a.freezeEvents],
    flops: { ...a.flops },
  };
}
