import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../../experiment/types';
import { throttledYield } from '../../util/eventLoop';
import { createRng, type Rng } from '../../util/random';
import type { StoredTensor } from '../checkpoint';
import { createOptimizer, type OptimizerSlot, optimizerSlots, optimizerWithSlots } from '../optimizer';
import {
  type CheckpointExtra,
  type NamedStored,
  readSessionCheckpoint,
  type SessionState,
  writeSessionCheckpoint,
} from './sessionCheckpoint';
import { EpochOrder, type LossOutput, type Position, type StageSpec, type StepContext, stageLength, stepContext, validateStages } from './stages';
import { storeTensor } from './tensorPack';

export interface GroupOptions {
  /** Trains the group with this optimizer; without one the group is frozen (checkpointed, never stepped). */
  optimizer?: OptimizerConfig;
  /** Clips the group's gradients to this global L2 norm before each update (as `clip_grad_norm_`). */
  clipNorm?: number;
}

/** The metrics of one step of a plan, for runner events and panels. */
export interface StepRecord {
  stage: string;
  /** Steps completed over all stages, this one included. */
  step: number;
  /** Steps completed in this stage, this one included. */
  stageStep: number;
  epoch: number;
  /** This step ended an epoch (`epochEnd` ran) / the stage (`end` ran). A good moment to checkpoint. */
  epochEnd: boolean;
  stageEnd: boolean;
  /** Every loss and metric of the step's `step()` calls, and values passed to `report()`. */
  metrics: Record<string, number>;
}

export interface RunOptions {
  /** Polled before every step (after yielding to the event loop): true stops the run there. */
  shouldStop?: () => boolean;
  /** After every step and its hooks, with the position already advanced: the place to checkpoint. */
  onStep?: (record: StepRecord) => void | Promise<void>;
}

export interface RunResult {
  /** `stopped`: `shouldStop` said so; `save()` now and `load()` + `run()` later continues exactly. */
  status: 'completed' | 'stopped';
  /** Steps completed over all stages. */
  step: number;
  /** Stage the run stopped in (undefined when completed). */
  stage?: string;
}

/** What `load` found. */
export interface LoadedCheckpoint {
  position: Position;
  extra: CheckpointExtra;
}

/** Thrown by `step` when the loss is NaN or infinite; nothing was updated by that step. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly stepName: string,
    readonly value: number,
    readonly globalStep: number,
  ) {
    super(`loss '${stepName}' is ${value} at step ${globalStep}: training diverged (no update was applied)`);
    this.name = 'NonFiniteLossError';
  }
}

/** Thrown by `save` (and `load`) when weights, copies or optimizer state hold NaN or infinity. */
export class NonFiniteStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteStateError';
  }
}

interface Group {
  name: string;
  kind: 'network' | 'variables';
  model?: tf.LayersModel;
  record?: Record<string, tf.Variable>;
  /** Checkpointed and copied, in a fixed order: a network's `model.weights`, a set's variables. */
  all: tf.Variable[];
  names: string[];
  /** What the optimizer updates, in a fixed order (its slots are bound to positions). */
  trainable: tf.Variable[];
  optimizerConfig?: OptimizerConfig;
  optimizer?: tf.Optimizer;
  clipNorm?: number;
}

interface Copy {
  name: string;
  of: string;
  model?: tf.LayersModel;
  record?: Record<string, tf.Variable>;
  /** Aligned with the source group's `all`. */
  all: tf.Variable[];
}

/**
 * The one helper the labs' custom training loops share: named networks and variable sets, each
 * with its own optimizer; one optimiser step of any of them on any loss (`step`), everything else
 * frozen; copies of networks for targets and EMA; a plan of named stages; checkpoint and resume of
 * all of it, bit-for-bit; cooperative stop within a step; one seeded RNG. See docs/labs-training.md.
 *
 * Tensors: `step` runs the loss in `tf.tidy`; each step and hook of `run` runs in an engine scope,
 * so tensors it creates and does not `tf.keep` are released when it returns (keep what must
 * outlive it, e.g. a dataset tensor built in `begin`, and dispose it yourself). Run one session
 * at a time per process: such a scope would also claim tensors other async code creates meanwhile.
 */
export class TrainingSession {
  /** The session's random numbers (minibatch sampling, exploration, noise): checkpointed. */
  readonly rng: Rng;
  private readonly groups = new Map<string, Group>();
  private readonly copies = new Map<string, Copy>();
  private readonly owned = new Set<tf.Variable>();
  private readonly variableOwner = new Map<number, string>();
  private readonly order: EpochOrder;
  private readonly yieldNow: () => Promise<void>;
  private pos: Position = { stageIndex: 0, stageStep: 0, globalStep: 0 };
  private plan: string[] = [];
  private seconds = 0;
  private metrics?: Record<string, number>;
  private busy = false;
  private running = false;

  /**
   * @param seed seeds `rng`, `nextSeed()` and the per-epoch data order.
   * @param yieldEveryMs the run loop yields to the event loop before a step when this much time
   *   has passed since it last did (default 2 ms; every step when steps are slower than that).
   */
  constructor(opts: { seed: number; yieldEveryMs?: number }) {
    if (!Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
    this.rng = createRng(opts.seed);
    this.order = new EpochOrder(opts.seed);
    this.yieldNow = throttledYield(opts.yieldEveryMs ?? 2);
  }

  // ---- what is trained -------------------------------------------------------------------

  /**
   * Registers a built model. Its trainable weights at this moment are what `step(name)` updates;
   * all its weights (batch-norm statistics too) are checkpointed. The caller keeps ownership.
   */
  addNetwork(name: string, model: tf.LayersModel, opts: GroupOptions = {}): tf.LayersModel {
    this.checkNewName(name);
    if (model.weights.length === 0) throw new Error(`network '${name}' has no weights yet: build it (give it an input shape) first`);
    const all = model.weights.map((w) => w.read() as tf.Variable);
    const trainableIds = new Set(model.trainableWeights.map((w) => w.read().id));
    this.addGroup(
      { name, kind: 'network', model, all, names: model.weights.map((w) => w.originalName), trainable: all.filter((v) => trainableIds.has(v.id)) },
      opts,
    );
    return model;
  }

  /**
   * Registers a set of variables made from `init` (the session takes ownership of those
   * tensors): projection matrices, a log-temperature, a dual variable, a batch of inputs to
   * optimise (DeepInversion), or a whole network written with plain ops.
   */
  addVariables<K extends string>(name: string, init: Record<K, tf.Tensor>, opts: GroupOptions = {}): Record<K, tf.Variable> {
    this.checkNewName(name);
    const keys = Object.keys(init) as K[];
    if (keys.length === 0) throw new Error(`variable set '${name}' is empty`);
    for (const k of keys) if (init[k].dtype !== 'float32') throw new Error(`variable '${name}.${k}' must be float32, got ${init[k].dtype}`);
    checkGroupOptions(name, opts);
    const record = {} as Record<K, tf.Variable>;
    for (const k of keys) {
      record[k] = tf.variable(init[k], true, undefined, 'float32');
      init[k].dispose();
      this.owned.add(record[k]);
    }
    const all = keys.map((k) => record[k]);
    this.addGroup({ name, kind: 'variables', record, all, names: keys, trainable: all }, opts);
    return record;
  }

  /**
   * A frozen copy of group `of`, starting equal to it: a target network (`updateCopy(name, tau)`
   * after each update, Polyak averaging) or EMA weights (`updateCopy(name, 1 - decay)`, and
   * `withCopy` to evaluate with them). A network's copy needs a second model of the same
   * architecture (`model`), so that it can be called alongside the source; a variable set's
   * copy is made here. Checkpointed with everything else.
   */
  addCopy(name: string, of: string, opts: { model?: tf.LayersModel } = {}): void {
    this.checkNewName(name);
    const src = this.group(of);
    let all: tf.Variable[];
    let record: Record<string, tf.Variable> | undefined;
    if (src.kind === 'network') {
      const model = opts.model;
      if (!model) throw new Error(`copy '${name}' of network '${of}' needs a model of the same architecture (opts.model)`);
      if (model === src.model) throw new Error(`copy '${name}': pass a second model, not network '${of}' itself`);
      all = model.weights.map((w) => w.read() as tf.Variable);
      const shapes = (vs: tf.Variable[]) => vs.map((v) => v.shape.join('x')).join(', ');
      if (shapes(all) !== shapes(src.all)) {
        throw new Error(`copy '${name}' does not match network '${of}': weights [${shapes(all)}] vs [${shapes(src.all)}]`);
      }
      this.checkUnclaimed(all, name);
      model.trainable = false;
    } else {
      if (opts.model) throw new Error(`copy '${name}' of variable set '${of}' takes no model`);
      record = {};
      for (const [i, k] of src.names.entries()) {
        record[k] = tf.variable(src.all[i], false, undefined, 'float32');
        this.owned.add(record[k]);
      }
      all = src.names.map((k) => record![k]);
    }
    for (const v of all) this.claim(v, name);
    this.copies.set(name, { name, of, model: opts.model, record, all });
    this.updateCopy(name, 1);
  }

  /** The model of a network or of a network's copy. */
  network(name: string): tf.LayersModel {
    const model = (this.groups.get(name) ?? this.copies.get(name))?.model;
    if (!model) throw new Error(`no network or network copy named '${name}'`);
    return model;
  }

  /** The variables of a variable set or of a set's copy, by key. */
  variables<K extends string = string>(name: string): Record<K, tf.Variable> {
    const record = (this.groups.get(name) ?? this.copies.get(name))?.record;
    if (!record) throw new Error(`no variable set or variable-set copy named '${name}'`);
    return record as Record<K, tf.Variable>;
  }

  // ---- training ----------------------------------------------------------------------------

  /**
   * One optimiser step: the gradient of `loss` with respect to the trainable variables of the
   * named groups only (every other variable and network is a constant here), each group updated
   * by its own optimizer. Returns the loss (under `opts.name`, default `loss`) and the metrics
   * `loss` returned; inside `run` they also go into the step's record.
   * A NaN or infinite loss throws `NonFiniteLossError` before anything is updated.
   */
  step(trainable: string | string[], loss: () => LossOutput, opts: { name?: string } = {}): Record<string, number> {
    const groups = [trainable].flat().map((n) => this.trainableGroup(n));
    const variables = groups.flatMap((g) => g.trainable);
    if (variables.length === 0) throw new Error(`groups ${groups.map((g) => `'${g.name}'`).join(', ')} have no trainable variables`);
    const label = opts.name ?? 'loss';
    let extras: [string, tf.Tensor][] = [];
    try {
      const values = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const out = loss();
          if (out instanceof tf.Tensor) return scalarLoss(out, label);
          if (!(out?.loss instanceof tf.Tensor)) throw new Error(`step '${label}': the loss function returned an object without a 'loss' tensor`);
          extras = Object.entries(out)
            .filter(([k]) => k !== 'loss')
            .map(([k, t]) => [k, tf.keep(t)]);
          return scalarLoss(out.loss, label);
        }, variables);
        for (const [k, t] of extras) if (t.rank !== 0) throw new Error(`step '${label}': metric '${k}' is not a scalar (shape [${t.shape}])`);
        const read = tf.stack([value, ...extras.map(([, t]) => t)]).dataSync();
        if (!Number.isFinite(read[0])) throw new NonFiniteLossError(label, read[0], this.pos.globalStep);
        for (const g of groups) this.apply(g, grads);
        return Array.from(read);
      });
      const metrics: Record<string, number> = { [label]: values[0] };
      extras.forEach(([k], i) => {
        if (k in metrics) throw new Error(`step '${label}': metric '${k}' clashes with the step's name`);
        metrics[k] = values[i + 1];
      });
      if (this.metrics) {
        for (const k of Object.keys(metrics)) {
          if (k in this.metrics) throw new Error(`metric '${k}' is reported twice in one step: name the step() calls ({ name })`);
        }
        Object.assign(this.metrics, metrics);
      }
      return metrics;
    } catch (e) {
      if (e instanceof Error && /Cannot find a connection between any variable/.test(e.message)) {
        throw new Error(`step '${label}': the loss does not depend on ${[trainable].flat().map((n) => `'${n}'`).join(', ')}`);
      }
      throw e;
    } finally {
      tf.dispose(extras.map(([, t]) => t));
    }
  }

  /** Adds a value to the current step's record (e.g. an evaluation in `epochEnd`); only inside `run`. */
  report(name: string, value: number | tf.Tensor): void {
    if (!this.metrics) throw new Error('report() is for steps and hooks inside run()');
    if (name in this.metrics) throw new Error(`metric '${name}' is reported twice in one step`);
    this.metrics[name] = typeof value === 'number' ? value : value.dataSync()[0];
  }

  /** Moves a copy towards its source: `copy = tau * source + (1 - tau) * copy` (tau = 1: hard copy). */
  updateCopy(name: string, tau = 1): void {
    if (!(tau > 0 && tau <= 1)) throw new RangeError(`updateCopy('${name}'): tau must be in (0, 1], got ${tau}`);
    const copy = this.copyNamed(name);
    const src = this.group(copy.of).all;
    tf.tidy(() => {
      copy.all.forEach((c, i) => c.assign(tau === 1 ? src[i] : tf.add(tf.mul(src[i], tau), tf.mul(c, 1 - tau))));
    });
  }

  /**
   * Runs `fn` with the copy's weights in its source (e.g. evaluate or sample with EMA weights
   * through the one model the code calls), then puts the source's own weights back exactly.
   */
  async withCopy<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    const copy = this.copyNamed(name);
    const src = this.group(copy.of).all;
    const own = src.map((v) => tf.keep(tf.clone(v)));
    src.forEach((v, i) => v.assign(copy.all[i]));
    try {
      return await fn();
    } finally {
      src.forEach((v, i) => v.assign(own[i]));
      tf.dispose(own);
    }
  }

  /** The learning rate a group's optimizer uses now. */
  learningRate(group: string): number {
    return (this.trainableGroup(group).optimizer as unknown as { learningRate: number }).learningRate;
  }

  /** Changes a group's learning rate (a schedule, a stage); checkpointed. */
  setLearningRate(group: string, rate: number): void {
    if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`learning rate of '${group}' must be positive, got ${rate}`);
    setRate(this.trainableGroup(group).optimizer!, rate);
  }

  /**
   * Restarts a group: assigns new `values` (the session takes ownership), if given, and gives it a
   * fresh optimizer (moments and step count at zero, same learning rate). E.g. DeepInversion's
   * next batch of inputs.
   */
  reset(group: string, values?: Record<string, tf.Tensor>): void {
    const g = this.group(group);
    if (values) {
      if (!g.record) throw new Error(`reset('${group}', values): only variable sets take new values`);
      for (const [k, t] of Object.entries(values)) {
        const v = g.record[k];
        if (!v) throw new Error(`variable set '${group}' has no '${k}'`);
        if (v.shape.join() !== t.shape.join()) throw new Error(`reset('${group}'): '${k}' has shape [${v.shape}], got [${t.shape}]`);
        v.assign(t);
        t.dispose();
      }
    }
    if (g.optimizer) {
      const rate = (g.optimizer as unknown as { learningRate: number }).learningRate;
      disposeOptimizer(g.optimizer);
      g.optimizer = createOptimizer(g.optimizerConfig);
      setRate(g.optimizer, rate);
    }
  }

  /** A seed for a tf random op (`tf.randomNormal(..., seed)`, `tf.dropout`), drawn from `rng`. */
  nextSeed(): number {
    return this.rng.int(2 ** 31 - 1);
  }

  /** Seeded Gaussian noise (diffusion noise, reparameterised policies). */
  randomNormal(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.randomNormal(shape, mean, std, 'float32', this.nextSeed());
  }

  // ---- the plan ----------------------------------------------------------------------------

  /** Where the plan is (copy). */
  get position(): Position {
    return { ...this.pos };
  }

  /** Seconds spent in steps so far, over resumes (hooks and checkpoints excluded). */
  get trainSeconds(): number {
    return this.seconds;
  }

  /**
   * Runs the plan from the current position (the start, or where a loaded checkpoint left off)
   * to its end or until `shouldStop()`. Before each step the loop yields to the event loop (see
   * the constructor) and polls `shouldStop`, so a stop request is honoured before the next step;
   * the state is then consistent at a step boundary: `save()` it.
   * Order around a step: [`learningRates`, `begin` if the stage's first step] -> step ->
   * position advanced -> [`epochEnd`] -> [`end`, next stage] -> `onStep(record)`.
   */
  async run(stages: StageSpec[], opts: RunOptions = {}): Promise<RunResult> {
    if (this.running) throw new Error('run() is already running');
    validateStages(stages, new Set([...this.groups.values()].filter((g) => g.optimizer).map((g) => g.name)));
    const names = stages.map((s) => s.name);
    if (this.plan.length > 0 && this.plan.join('\u0000') !== names.join('\u0000')) {
      throw new Error(`this session (or its checkpoint) runs the plan [${this.plan.join(', ')}], not [${names.join(', ')}]`);
    }
    this.plan = names;
    this.running = true;
    try {
      while (this.pos.stageIndex < stages.length) {
        await this.yieldNow();
        if (opts.shouldStop?.()) return { status: 'stopped', step: this.pos.globalStep, stage: stages[this.pos.stageIndex].name };
        const stage = stages[this.pos.stageIndex];
        const ctx = stepContext(stage, { ...this.pos }, this.order);
        this.metrics = {};
        if (this.pos.stageStep === 0) {
          for (const [g, rate] of Object.entries(stage.learningRates ?? {})) this.setLearningRate(g, rate);
          if (stage.begin) await this.scoped(() => stage.begin!(ctx));
        }
        const started = performance.now();
        await this.scoped(() => (stage.step ? stage.step(ctx) : void this.step(stage.trainable!, () => stage.loss!(ctx))));
        this.seconds += (performance.now() - started) / 1000;
        this.pos.stageStep++;
        this.pos.globalStep++;
        const epochEnd = stage.stepsPerEpoch !== undefined && stage.steps === undefined && this.pos.stageStep % stage.stepsPerEpoch === 0;
        const stageEnd = this.pos.stageStep === stageLength(stage);
        if (epochEnd && stage.epochEnd) await this.scoped(() => stage.epochEnd!(ctx));
        if (stageEnd) {
          if (stage.end) await this.scoped(() => stage.end!(ctx));
          this.pos = { stageIndex: this.pos.stageIndex + 1, stageStep: 0, globalStep: this.pos.globalStep };
        }
        const record: StepRecord = {
          stage: stage.name,
          step: this.pos.globalStep,
          stageStep: ctx.stageStep + 1,
          epoch: ctx.epoch,
          epochEnd,
          stageEnd,
          metrics: this.metrics,
        };
        this.metrics = undefined;
        await opts.onStep?.(record);
      }
      return { status: 'completed', step: this.pos.globalStep };
    } finally {
      this.metrics = undefined;
      this.running = false;
    }
  }

  // ---- checkpoints -------------------------------------------------------------------------

  /**
   * Writes everything into folder `dir` (see sessionCheckpoint.ts): every group's weights and
   * optimizer state (slots, step count, learning rate), every copy, the RNG, the position, and
   * the caller's `extra`. Only between steps (in `onStep`, or after `run` returns). Refuses to
   * write NaN or infinite weights, so a diverged run never replaces a good checkpoint.
   */
  async save(dir: string, extra: CheckpointExtra = {}): Promise<void> {
    if (this.busy) throw new Error('save() runs between steps (in onStep, or after run() returns), not inside a step or hook');
    const groups: SessionState['groups'] = [];
    const iterTensors: tf.Tensor[] = [];
    try {
      for (const g of this.groups.values()) {
        const weights = await this.storeAll(g.name, g.all, g.names);
        let optimizer: SessionState['groups'][number]['optimizer'];
        if (g.optimizer) {
          const slots = await optimizerSlots(g.optimizer, g.trainable);
          iterTensors.push(...slots.filter((s) => s.variable === -1).map((s) => s.tensor));
          optimizer = {
            config: g.optimizerConfig!,
            learningRate: (g.optimizer as unknown as { learningRate: number }).learningRate,
            slots: await Promise.all(slots.map(async (s) => ({ ...(await storeTensor(s.tensor)), variable: s.variable, slot: s.slot }))),
          };
          checkFinite(optimizer.slots, `optimizer state of '${g.name}'`);
        }
        groups.push({ name: g.name, kind: g.kind, weights, ...(optimizer ? { optimizer } : {}) });
      }
    } finally {
      tf.dispose(iterTensors);
    }
    const copies: SessionState['copies'] = [];
    for (const c of this.copies.values()) {
      copies.push({ name: c.name, of: c.of, weights: await this.storeAll(c.name, c.all, this.group(c.of).names) });
    }
    await writeSessionCheckpoint(dir, {
      position: { ...this.pos },
      plan: this.plan,
      rng: this.rng.state(),
      trainSeconds: this.seconds,
      groups,
      copies,
      extra,
    });
  }

  /**
   * Restores a checkpoint written by `save` into this session, which must have been set up the
   * same way (same groups, copies and shapes; call after every add*). All or nothing: any
   * mismatch or damage throws before anything changes. Undefined when `dir` holds no checkpoint.
   */
  async load(dir: string): Promise<LoadedCheckpoint | undefined> {
    if (this.busy || this.running) throw new Error('load() before run(), not during it');
    const state = await readSessionCheckpoint(dir);
    if (!state) return undefined;
    const where = `checkpoint in ${dir}`;
    const list = (m: Iterable<string>) => [...m].sort().join(', ');
    if (list(state.groups.map((g) => g.name)) !== list(this.groups.keys()) || list(state.copies.map((c) => c.name)) !== list(this.copies.keys())) {
      throw new Error(
        `${where} holds groups [${list(state.groups.map((g) => g.name))}] and copies [${list(state.copies.map((c) => c.name))}]; ` +
          `this session has [${list(this.groups.keys())}] and [${list(this.copies.keys())}]`,
      );
    }
    for (const s of state.groups) {
      const g = this.group(s.name);
      if (s.kind !== g.kind) throw new Error(`${where}: '${s.name}' is a ${s.kind} there, a ${g.kind} here`);
      matchShapes(s.weights, g.all, `${where}: '${s.name}'`);
      checkFinite(s.weights, `${where}: weights of '${s.name}'`);
      if (!s.optimizer !== !g.optimizer) throw new Error(`${where}: '${s.name}' is ${s.optimizer ? 'trained' : 'frozen'} there, ${g.optimizer ? 'trained' : 'frozen'} here`);
      if (s.optimizer && s.optimizer.config.type !== g.optimizerConfig!.type) {
        throw new Error(`${where}: '${s.name}' was trained with ${s.optimizer.config.type}, this session uses ${g.optimizerConfig!.type}`);
      }
      if (s.optimizer && s.optimizer.slots.some((sl) => sl.variable >= g.trainable.length || sl.variable < -1)) {
        throw new Error(`${where}: optimizer state of '${s.name}' refers to variables it does not have`);
      }
    }
    for (const s of state.copies) {
      const c = this.copyNamed(s.name);
      if (s.of !== c.of) throw new Error(`${where}: copy '${s.name}' is of '${s.of}' there, of '${c.of}' here`);
      matchShapes(s.weights, c.all, `${where}: copy '${s.name}'`);
      checkFinite(s.weights, `${where}: copy '${s.name}'`);
    }
    const counts = [state.position.stageIndex, state.position.stageStep, state.position.globalStep];
    if (state.rng.length !== 4 || !counts.every((c) => Number.isInteger(c) && c >= 0) || state.position.stageIndex > state.plan.length) {
      throw new Error(`${where}: malformed rng state or position`);
    }

    tf.tidy(() => {
      for (const s of state.groups) assignAll(this.group(s.name).all, s.weights);
      for (const s of state.copies) assignAll(this.copyNamed(s.name).all, s.weights);
    });
    for (const s of state.groups) {
      const g = this.group(s.name);
      if (!s.optimizer || !g.optimizer) continue;
      const slots: OptimizerSlot[] = s.optimizer.slots.map((sl) => ({ variable: sl.variable, slot: sl.slot, tensor: toTensor(sl) }));
      try {
        const next = await optimizerWithSlots(g.optimizerConfig, slots, g.trainable, g.trainable);
        disposeOptimizer(g.optimizer);
        g.optimizer = next;
        setRate(next, s.optimizer.learningRate);
      } finally {
        tf.dispose(slots.map((sl) => sl.tensor));
      }
    }
    this.rng.restore(state.rng);
    this.pos = { ...state.position };
    this.plan = state.plan;
    this.seconds = state.trainSeconds;
    return { position: { ...state.position }, extra: state.extra };
  }

  /** Releases the optimizers and the variables the session made (not the models it was given). */
  dispose(): void {
    for (const g of this.groups.values()) if (g.optimizer) disposeOptimizer(g.optimizer);
    tf.dispose([...this.owned]);
    this.owned.clear();
    this.groups.clear();
    this.copies.clear();
  }

  // ---- internals ---------------------------------------------------------------------------

  private addGroup(g: Omit<Group, 'optimizer' | 'optimizerConfig' | 'clipNorm'>, opts: GroupOptions): void {
    checkGroupOptions(g.name, opts);
    this.checkUnclaimed(g.all, g.name);
    const optimizer = opts.optimizer ? createOptimizer(opts.optimizer) : undefined;
    for (const v of g.all) this.claim(v, g.name);
    this.groups.set(g.name, { ...g, optimizer, optimizerConfig: opts.optimizer, clipNorm: opts.clipNorm });
  }

  private checkUnclaimed(vars: tf.Variable[], owner: string): void {
    for (const v of vars) {
      const other = this.variableOwner.get(v.id);
      if (other !== undefined) throw new Error(`'${owner}' shares variable ${v.name} with '${other}': each variable belongs to one group or copy`);
    }
  }

  private claim(v: tf.Variable, owner: string): void {
    this.variableOwner.set(v.id, owner);
  }

  private checkNewName(name: string): void {
    if (!name) throw new Error('a group or copy needs a name');
    if (this.groups.has(name) || this.copies.has(name)) throw new Error(`'${name}' is already registered in this session`);
  }

  private group(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw new Error(`no group '${name}' (groups: ${[...this.groups.keys()].join(', ') || 'none'})`);
    return g;
  }

  private trainableGroup(name: string): Group {
    const g = this.group(name);
    if (!g.optimizer) throw new Error(`group '${name}' is frozen (registered without an optimizer)`);
    return g;
  }

  private copyNamed(name: string): Copy {
    const c = this.copies.get(name);
    if (!c) throw new Error(`no copy '${name}' (copies: ${[...this.copies.keys()].join(', ') || 'none'})`);
    return c;
  }

  /** Clips (if asked) and applies a group's gradients, in its fixed variable order (null: no gradient). */
  private apply(g: Group, grads: tf.NamedTensorMap): void {
    let list: (tf.Tensor | null)[] = g.trainable.map((v) => grads[v.name] ?? null);
    if (g.clipNorm !== undefined) {
      const present = list.filter((t): t is tf.Tensor => t !== null);
      if (present.length > 0) {
        const norm = tf.sqrt(tf.addN(present.map((t) => tf.sum(tf.square(t)))));
        const factor = tf.minimum(1, tf.div(g.clipNorm, tf.add(norm, 1e-6)));
        list = list.map((t) => (t === null ? null : tf.mul(t, factor)));
      }
    }
    const named = g.trainable.map((v, i) => ({ name: v.name, tensor: list[i] }));
    g.optimizer!.applyGradients(named as unknown as { name: string; tensor: tf.Tensor }[]);
  }

  private async scoped(fn: () => void | Promise<void>): Promise<void> {
    this.busy = true;
    tf.engine().startScope();
    try {
      await fn();
    } finally {
      tf.engine().endScope();
      this.busy = false;
    }
  }

  private async storeAll(owner: string, vars: tf.Variable[], names: string[]): Promise<NamedStored[]> {
    const out = await Promise.all(vars.map(async (v, i) => ({ ...(await storeTensor(v)), name: names[i] })));
    checkFinite(out, `refusing to checkpoint '${owner}'`);
    return out;
  }
}

function scalarLoss(t: tf.Tensor, label: string): tf.Scalar {
  if (t.rank !== 0) throw new Error(`step '${label}': the loss must be a scalar, got shape [${t.shape}] (take a mean)`);
  return t as tf.Scalar;
}

function checkGroupOptions(name: string, opts: GroupOptions): void {
  if (opts.clipNorm === undefined) return;
  if (!(opts.clipNorm > 0)) throw new RangeError(`clipNorm of '${name}' must be positive, got ${opts.clipNorm}`);
  if (!opts.optimizer) throw new Error(`'${name}' has clipNorm but no optimizer`);
}

/** tfjs's SGD and momentum keep a negated-rate constant (`setLearningRate`); the others read the field. */
function setRate(optimizer: tf.Optimizer, rate: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (r: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(rate);
  else o.learningRate = rate;
}

/** tfjs 4.22's momentum optimizer leaves its SGD parent's learning-rate constant undisposed. */
function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

function matchShapes(stored: NamedStored[], vars: tf.Variable[], where: string): void {
  const a = stored.map((t) => `[${t.shape}]`).join(' ');
  const b = vars.map((v) => `[${v.shape}]`).join(' ');
  if (a !== b) throw new Error(`${where} has weights ${a}, this session ${b}`);
}

function checkFinite(list: (StoredTensor & { name?: string; slot?: string })[], where: string): void {
  for (const t of list) {
    if (t.dtype !== 'float32') continue;
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new NonFiniteStateError(`${where}: ${t.name ?? t.slot ?? 'a tensor'} holds ${t.data[i]}`);
    }
  }
}

function toTensor(t: StoredTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape, t.dtype);
}

function assignAll(vars: tf.Variable[], stored: StoredTensor[]): void {
  vars.forEach((v, i) => v.assign(toTensor(stored[i])));
}

