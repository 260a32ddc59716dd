import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withExperimentPosition } from '../core/experiment/load';
import type { DistillExperiment } from '../core/experiment/types';
import { UserError, isUserError } from '../core/errors';
import { accuracy, type ArmPlan, computeLogits, type DistillContext, type ExampleSet, planArm, planGeneral } from '../core/distill/arms';
import { loadDistillData } from '../core/distill/data';
import { batchNormMatchPerLayer, imageShapeOf } from '../core/distill/deepInversion';
import { anatomy } from '../core/distill/forward';
import { msPerExample } from '../core/distill/measure';
import { sliceRows } from '../core/distill/rows';
import { armSettings, armStageNames, DATA_FREE_METHODS } from '../core/distill/settings';
import { buildModel } from '../core/model/build';
import { modelLayers } from '../core/model/flops';
import { loadModel, saveModel } from '../core/model/io';
import { initBackend } from '../core/tensor/backend';
import type { StepRecord } from '../core/train/loop';
import type { DistillEvent, DistillLayerInfo, RunEvent } from '../core/train/events';
import { writeJsonAtomic } from '../core/util/atomicFile';
import { runCheckpointedPhase } from './checkpointedPhase';
import { resolveTeacher, type ResolvedTeacher } from './distillTeacher';
import { toErrorInfo } from './errorInfo';
import type { RunRequest } from './protocol';
import type { JobSink, JobStart } from './job';
import type { DistillArmFigures, DistillGeneralFigures, DistillSummary } from './summary';
import * as store from './runStore';

/** Files of a distill run besides the common ones: `teacher.json` (what the run distils), `checkpoint/<arm>/` (a session), `checkpoint/arms.json` (finished arms), `model/<arm>/`. */
const TEACHER_FILE = 'teacher.json';
const ARMS_FILE = 'arms.json';
const GENERAL = 'general';
/** Loss points per stage and arm in `events.jsonl` (steps are averaged in between). */
const POINTS_PER_STAGE = 200;

interface ArmsState {
  /** Finished arms, in order; `general` when general distillation has run. */
  done: Record<string, { accuracy: number; parameters: number; trainSeconds: number }>;
  /** General distillation's figures, once it has run. */
  general?: DistillGeneralFigures;
}

/**
 * Runs a `distill` experiment against the run store (issue 14; docs/distillation.md): resolve
 * the teacher, load the data (data-free arms never read the training split), then each arm in
 * turn in its own `TrainingSession`, checkpointed per step and stage, so a stopped or killed run
 * resumes in the arm and stage it stopped in. Every finished student is saved under `model/`;
 * parameters and inference speed of teacher and students are measured together at the end.
 */
export async function runDistillJob(start: JobStart<DistillExperiment>, req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<DistillSummary> {
  const { runDir, config } = start;
  const exp = config.experiment;
  const runId = path.basename(runDir);
  // The record first: whatever fails from here on (the teacher, the data, the student) is a
  // failed run with its error in the run store.
  if (start.resume) {
    await store.updateRunRecord(runDir, { status: 'running', endedAt: undefined, message: undefined, error: undefined });
  } else {
    await store.createRun(runDir, {
      runId, runDir, kind: 'distill', experimentFile: config.experimentFile, experiment: exp.name, policy: store.runLabel(exp),
      status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: exp.arms.length,
    }, config);
  }
  sink.runDir?.(runDir);
  const failed = async (e: unknown): Promise<never> => {
    const error = isUserError(e) ? await withExperimentPosition(e, config.experimentFile) : e;
    const done = (await readJsonFile<ArmsState>(path.join(runDir, store.CHECKPOINT_DIR, ARMS_FILE)))?.done ?? {};
    await store.recordFailure(runDir, toErrorInfo(error), { epochsDone: Object.keys(done).filter((k) => k !== GENERAL).length }).catch(() => undefined);
    throw error;
  };
  const backend = await initBackend((req.backend as 'auto') ?? 'auto').catch(failed);
  sink.log('info', `backend: ${backend.name}`);
  await store.updateRunRecord(runDir, { backend: backend.name });

  let settings: ReturnType<typeof armSettings>;
  try {
    settings = armSettings(exp);
  } catch (e) {
    return failed(e);
  }
  const needsTrain = settings.some((s) => !DATA_FREE_METHODS.has(s.method));
  const prepared = await (async () => {
    const teacher: ResolvedTeacher = start.resume
      ? ((await readJsonFile<ResolvedTeacher>(path.join(runDir, TEACHER_FILE))) ?? (await resolveTeacher(exp.teacher, [path.dirname(runDir)])))
      : await resolveTeacher(exp.teacher, req.outRoot ? [path.resolve(req.outRoot)] : []);
    const dataCfg = exp.data ?? teacher.data;
    if (!dataCfg) throw new UserError('the teacher is a saved model: say which data to distil on ("data")', '/teacher');
    const seed = exp.data ? (exp.training.seed ?? 0) : (teacher.dataSeed ?? 0);
    const data = await loadDistillData(dataCfg, { seed, trainingSplit: needsTrain, pointer: exp.data ? '/data' : '/teacher' });
    const model = await loadModel(teacher.modelFile);
    try {
      anatomy(model);
    } catch (e) {
      throw new UserError(`the teacher cannot be distilled: ${(e as Error).message}`, '/teacher');
    }
    if (settings.some((s) => s.method === 'deepinversion' && s.synthesis.bnWeight > 0) && anatomy(model).batchNormLayers.length === 0) {
      throw new UserError('deepinversion matches the teacher\'s batch-norm statistics, and this teacher has no batchNormalization layer (use dafl or noise, or set synthesis.bnWeight to 0)', '/arms');
    }
    const generalFile = exp.general ? (exp.general.teacher ?? teacher.pretrained) : undefined;
    if (exp.general && !generalFile) {
      throw new UserError('general distillation needs a pretrained encoder: give the teacher experiment a "pretrain" section, set general.teacher, or use a teacher fine-tuned from one (model.from)', '/general');
    }
    const general = generalFile && settings.some((s) => s.general) ? await loadModel(generalFile) : undefined;
    return { teacher, data, model, general };
  })().catch(failed);
  const { data, model: teacher } = prepared;
  const buildStudent = () =>
    buildModel({ layers: exp.student.layers }, { exampleShape: data.exampleShape, inputDtype: data.xDtype, seed: exp.training.seed ?? 0, vocabSize: data.vocab?.length }).catch(async (e) => {
      throw isUserError(e) ? await withExperimentPosition(new UserError(e.message, e.pointer?.replace(/^\/model/, '/student')), config.experimentFile) : e;
    });
  const probe = await buildStudent().catch(failed);
  const studentInfo = { parameters: probe.countParams(), layers: layerInfos(probe) };
  probe.dispose();

  if (!start.resume) await writeJsonAtomic(path.join(runDir, TEACHER_FILE), prepared.teacher);
  sink.log('info', `${start.resume ? 'resuming' : 'run'} ${runId} -> ${runDir}; teacher: ${prepared.teacher.description}`);
  const emit = (e: RunEvent) => {
    store.appendEvent(runDir, e);
    sink.event(e);
  };

  const logitCache = new WeakMap<object, Float32Array>();
  const ctx: DistillContext = {
    teacher,
    exampleShape: data.exampleShape,
    numClasses: data.numClasses,
    train: data.train,
    test: data.test,
    vocab: data.vocab,
    buildStudent,
    generalTeacher: prepared.general,
    teacherLogits: (set: ExampleSet) => {
      let l = logitCache.get(set.x);
      if (!l) logitCache.set(set.x, (l = computeLogits(teacher, set, data.exampleShape)));
      return l;
    },
  };

  const stateFile = path.join(runDir, store.CHECKPOINT_DIR, ARMS_FILE);
  const state: ArmsState = (await readJsonFile<ArmsState>(stateFile)) ?? { done: {} };
  const teacherAccuracy = accuracy(teacher, data.test, data.exampleShape);
  emit({ type: 'distill-teacher', accuracy: teacherAccuracy, parameters: teacher.countParams() });

  const finish = async (status: 'completed' | 'cancelled', figures: DistillSummary['teacher'], arms: DistillArmFigures[]): Promise<DistillSummary> => {
    const summary: DistillSummary = { status, kind: 'distill', runId, experiment: exp.name, experimentFile: config.experimentFile, runDir, teacher: figures, arms, ...(state.general ? { general: state.general } : {}) };
    await store.writeSummary(runDir, summary);
    const best = arms.reduce<DistillArmFigures | undefined>((b, a) => (!b || a.accuracy > b.accuracy ? a : b), undefined);
    await store.updateRunRecord(runDir, {
      status, endedAt: new Date().toISOString(), epochsDone: Object.keys(state.done).filter((k) => k !== GENERAL).length,
      trainSeconds: arms.reduce((t, a) => t + a.trainSeconds, 0),
      ...(best ? { score: { name: `best arm (${best.name}) accuracy`, value: best.accuracy } } : {}),
    });
    emit({ type: 'distill-end', status, teacher: figures, arms });
    return summary;
  };
  const partialArms = (): DistillArmFigures[] =>
    settings.filter((s) => state.done[s.name]).map((s) => ({ name: s.name, ...state.done[s.name], msPerExample: Number.NaN }));

  try {
    emit({
      type: 'distill-start', time: new Date().toISOString(), runId, experiment: exp.name, backend: backend.name,
      teacher: { parameters: teacher.countParams(), layers: layerInfos(teacher), batchNormLayers: anatomy(teacher).batchNormLayers },
      student: studentInfo,
      arms: settings.map((s) => ({ name: s.name, method: s.method, stages: armStageNames(s) })),
      ...(exp.general && settings.some((s) => s.general) ? { general: true } : {}),
      exampleShape: data.exampleShape, ...(imageShapeOf(data.exampleShape) ? { imageShape: imageShapeOf(data.exampleShape) } : {}),
      ...(data.classNames ? { classNames: data.classNames } : {}), ...(start.resume ? { resumed: true } : {}),
    });

    // General distillation, once, for every arm that starts from it.
    const generalArm = settings.find((s) => s.general);
    if (generalArm && exp.general) {
      const dir = path.join(runDir, store.MODEL_DIR, GENERAL);
      if (!state.done[GENERAL]) {
        const plan = await planGeneral(ctx, generalArm, exp.general.epochs);
        const outcome = await runPlan(plan, GENERAL, 'general');
        if (outcome === 'stopped') return await finish('cancelled', { accuracy: teacherAccuracy, parameters: teacher.countParams(), msPerExample: Number.NaN }, partialArms());
        await saveModel(plan.student, dir);
        state.done[GENERAL] = { accuracy: Number.NaN, parameters: plan.student.countParams(), trainSeconds: plan.session.trainSeconds };
        const losses = await generalLosses();
        state.general = {
          epochs: exp.general.epochs, steps: plan.session.position.globalStep, trainSeconds: plan.session.trainSeconds,
          firstLoss: losses[0] ?? Number.NaN, lastLoss: losses[losses.length - 1] ?? Number.NaN, arms: settings.filter((s) => s.general).map((s) => s.name),
        };
        await writeJsonAtomic(stateFile, state);
        plan.student.dispose();
        plan.dispose();
      }
      const generalStudent = await loadModel(path.join(dir, 'model.json'));
      ctx.generalWeights = generalStudent.getWeights().map((w) => tf.keep(w.clone()));
      generalStudent.dispose();
    }

    for (const [i, s] of settings.entries()) {
      if (state.done[s.name]) continue;
      const plan = await planArm(ctx, s);
      sink.log('info', `arm ${i + 1}/${settings.length}: ${s.name} (${plan.stages.map((st) => st.name).join(' -> ')})`);
      const outcome = await runPlan(plan, s.name, s.method, i);
      if (outcome === 'stopped') return await finish('cancelled', { accuracy: teacherAccuracy, parameters: teacher.countParams(), msPerExample: Number.NaN }, partialArms());
      const acc = accuracy(plan.student, data.test, data.exampleShape);
      await saveModel(plan.student, path.join(runDir, store.MODEL_DIR, armFolder(s.name)));
      const outputs = plan.outputs();
      if (outputs.batchNormMatch) outputs.batchNormBefore = noiseBatchNormMatch(teacher, data.exampleShape, outputs.examples ?? 256, s.seed);
      state.done[s.name] = { accuracy: acc, parameters: plan.student.countParams(), trainSeconds: plan.session.trainSeconds };
      await writeJsonAtomic(stateFile, state);
      await store.updateRunRecord(runDir, { epochsDone: Object.keys(state.done).filter((k) => k !== GENERAL).length });
      emit({ type: 'distill-arm', arm: s.name, method: s.method, ...state.done[s.name], ...outputs });
      sink.log('info', `${s.name}: test accuracy ${(acc * 100).toFixed(2)}%`);
      plan.student.dispose();
      plan.dispose();
      await fs.rm(path.join(runDir, store.CHECKPOINT_DIR, armFolder(s.name)), { recursive: true, force: true });
    }

    // Speed of the teacher and every student, measured together.
    const students = await Promise.all(settings.map((s) => loadModel(path.join(runDir, store.MODEL_DIR, armFolder(s.name), 'model.json'))));
    const batch = sliceRows(data.test.x, data.exampleShape, 0, Math.min(256, data.test.count));
    const ms = msPerExample([teacher, ...students], batch);
    batch.dispose();
    students.forEach((m) => m.dispose());
    const arms = settings.map((s, k) => ({ name: s.name, ...state.done[s.name], msPerExample: ms[k + 1] }));
    return await finish('completed', { accuracy: teacherAccuracy, parameters: teacher.countParams(), msPerExample: ms[0] }, arms);
  } catch (e) {
    return await failed(e);
  } finally {
    teacher.dispose();
    prepared.general?.dispose();
    tf.dispose(ctx.generalWeights ?? []);
  }

  /** The loss points of general distillation in `events.jsonl`, in order (a resumed run's included). */
  async function generalLosses(): Promise<number[]> {
    const text = await fs.readFile(path.join(runDir, store.EVENTS_FILE), 'utf8').catch(() => '');
    const out: { step: number; loss: number }[] = [];
    for (const line of text.split('\n')) {
      if (!line.includes('"arm":"general"')) continue;
      try {
        const e = JSON.parse(line) as RunEvent;
        if (e.type === 'distill-step' && e.arm === GENERAL && Number.isFinite(e.metrics.loss)) out.push({ step: e.step, loss: e.metrics.loss });
      } catch {
        // a torn last line of a killed run
      }
    }
    // A resumed run repeats the points after its checkpoint: the last point of each step counts.
    const byStep = new Map(out.map((p) => [p.step, p.loss]));
    return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
  }

  /** Runs one arm's plan from its checkpoint (if any) to the end or a stop; checkpoints as it goes. */
  async function runPlan(plan: ArmPlan, name: string, method: string, index = -1): Promise<'completed' | 'stopped'> {
    const dir = path.join(runDir, store.CHECKPOINT_DIR, armFolder(name));
    const loaded = await plan.session.load(dir);
    if (loaded) {
      plan.restore(loaded.extra);
      sink.log('info', `${name}: resuming at step ${loaded.position.globalStep} (stage ${plan.stages[loaded.position.stageIndex]?.name ?? 'done'})`);
    }
    const lengths = plan.stages.map((st) => st.steps ?? (st.epochs ?? 0) * (st.stepsPerEpoch ?? 0));
    const total = lengths.reduce((a, b) => a + b, 0);
    const every = lengths.map((n) => Math.max(1, Math.floor(n / POINTS_PER_STAGE)));
    const stageOf = (r: StepRecord) => plan.stages.findIndex((st) => st.name === r.stage);
    const result = await runCheckpointedPhase(plan.session, plan.stages, {
      dir, shouldStop, extra: () => plan.extra(),
      pointAt: (r) => r.stageStep % every[stageOf(r)] === 0,
      onPoint: (r, metrics) => {
        // Accuracies (the student's at an epoch end, the teacher's on a finished synthetic batch) are the latest measured, not a mean.
        for (const k of ['accuracy', 'teacherAccuracy']) if (r.metrics[k] !== undefined) metrics[k] = r.metrics[k];
        const e: DistillEvent = { type: 'distill-step', arm: name, stage: r.stage, step: r.step, stageStep: r.stageStep, metrics };
        emit(e);
        const before = index < 0 ? 0 : index;
        const fraction = (before + r.step / Math.max(1, total)) / settings.length;
        emit({ type: 'progress', kind: 'distill', fraction: Math.min(1, fraction), message: `${name} (${method}) · ${r.stage} ${r.stageStep}/${lengths[stageOf(r)]}${lossText(metrics)}` });
      },
    });
    if (result.status === 'stopped') {
      sink.log('info', `${name}: stopped at step ${result.step} (stage ${result.stage}); resume continues there`);
      return 'stopped';
    }
    return 'completed';
  }
}

/**
 * The loss part of a progress line: ` · loss X`, or, for steps that report no `loss` (Adaptive
 * DeepInversion's student steps between synthetic batches: `studentKd`), their own first metric.
 */
export function lossText(metrics: Record<string, number>): string {
  const key = 'loss' in metrics ? 'loss' : Object.keys(metrics).find((k) => k !== 'accuracy' && k !== 'teacherAccuracy');
  return key === undefined ? '' : ` · ${key} ${metrics[key].toFixed(4)}`;
}

/** An arm's folder name (arm names may hold `+`, spaces). */
export function armFolder(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * The teacher's batch-norm gaps for Gaussian noise (what DeepInversion starts from), as many
 * examples as the synthetic set (at most 2,048): the panel's and hints' "before" of a data-free
 * arm's batch-norm match.
 */
function noiseBatchNormMatch(teacher: tf.LayersModel, exampleShape: number[], count: number, seed: number): { layer: string; mean: number; variance: number }[] {
  return tf.tidy(() => batchNormMatchPerLayer(teacher, tf.randomNormal([Math.min(2048, Math.max(2, count)), ...exampleShape], 0, 1, 'float32', seed * 13 + 1)));
}

function layerInfos(model: tf.LayersModel): DistillLayerInfo[] {
  return modelLayers(model).map((l) => ({ name: l.name, type: l.getClassName(), params: l.countParams() }));
}

async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
