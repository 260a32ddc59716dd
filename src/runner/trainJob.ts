import * as path from 'node:path';
import { withExperimentPosition } from '../core/experiment/load';
import type { TrainExperiment } from '../core/experiment/types';
import { UserError, isUserError } from '../core/errors';
import { loadData } from '../core/data/load';
import { checkDataAgainstModel } from '../core/data/check';
import { initBackend } from '../core/tensor/backend';
import { convProductEngine, denseProductEngine } from '../core/tensor/wasm/nativeGemm';
import { buildModel } from '../core/model/build';
import { saveModel } from '../core/model/io';
import { createPolicy } from '../core/freezing/create';
import { checkTrainingMemory, estimateTrainingMemory } from '../core/train/memoryEstimate';
import { train } from '../core/train/trainer';
import { readCheckpoint, writeCheckpoint } from '../core/train/checkpoint';
import type { RunEvent } from '../core/train/events';
import { toErrorInfo } from './errorInfo';
import type { RunRequest } from './protocol';
import type { JobSink, JobStart } from './job';
import type { TrainSummary } from './summary';
import { commitTestResults } from './resultCommitment';
import { predictTestClasses } from './testPredictions';
import { recordBackend, recordTrainingSteps } from './provenance';
import { classificationReport, type ClassificationReport } from '../core/train/classificationReport';
import * as store from './runStore';
import { waitWhilePaused } from './pauseGate';
import { runPretrainPhase } from './pretrainPhase';
import { mlmSettings } from '../core/train/mlm/settings';
import type { PretrainFigures } from './summary';

/**
 * Runs a `train` experiment end to end against the run store: load data, build the model,
 * train with the freezing policy, checkpoint each epoch, save the final model and summary.
 * Shared by the worker process (extension) and the CLI through `runJob`, so both behave the
 * same. `shouldStop` is polled at step boundaries; a stopped run is checkpointed at that step
 * and left resumable. A run whose loss diverges ends `diverged` (its last good checkpoint stays).
 */
export async function runTrainJob(start: JobStart<TrainExperiment>, req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<TrainSummary> {
  const resuming = start.resume;
  const { runDir, config: resolved } = start;
  // A run with `pretrain` resumes from its pretraining's checkpoint, or (after it) its encoder.
  if (resuming && !store.hasCheckpoint(runDir) && !start.config.experiment.pretrain) {
    throw new UserError(`run ${start.record.runId} has no checkpoint (it was killed before writing one); start it again instead`);
  }
  const exp = resolved.experiment;
  const policyName = exp.freezing?.policy ?? 'none';
  const runId = path.basename(runDir);

  // The record first: whatever fails from here on (the backend, the data, shapes, training) is
  // a failed run with its error in the run store, not a run that vanishes.
  if (resuming) {
    await store.updateRunRecord(runDir, { status: 'running', endedAt: undefined, message: undefined, error: undefined, paused: undefined });
  } else {
    await store.createRun(runDir, {
      runId, runDir, kind: 'train', experimentFile: resolved.experimentFile, experiment: exp.name, policy: policyName,
      status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: exp.training.epochs,
    }, resolved);
  }
  sink.runDir?.(runDir);
  sink.log('info', `${resuming ? 'resuming' : 'run'} ${runId} -> ${runDir}`);

  let epochsDone = resuming ? start.record.epochsDone : 0;
  let step = 0;
  let model: Awaited<ReturnType<typeof buildModel>> | undefined;
  let policy: ReturnType<typeof createPolicy> | undefined;
  try {
    const backend = await initBackend((req.backend as 'auto') ?? 'auto');
    const denseProducts = backend.name === 'wasm' ? denseProductEngine() : undefined;
    const convProducts = backend.name === 'wasm' ? convProductEngine() : undefined;
    sink.log('info', `backend: ${backend.name}${backend.name === 'wasm' ? ` (simd ${backend.simd}, fma ${backend.fma}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}; dense layers: ${denseProducts}; conv products: ${convProducts})` : ''}`);
    await store.updateRunRecord(runDir, { backend: backend.name });
    await recordBackend(runDir, backend.name, backend.threads, denseProducts, convProducts);

    const seed = exp.training.seed ?? 0;
    const pretrain = mlmSettings(exp);
    const data = await loadData(exp.data, { seed });
    for (const w of checkDataAgainstModel(data, exp)) sink.log('warn', `${w.pointer}: ${w.message}`);
    // Refuse what cannot fit before allocating it (the backend would fail deep inside).
    const need = { trainCount: data.train.count, testCount: data.test.count, exampleShape: data.exampleShape, vocabSize: data.vocab?.length };
    checkTrainingMemory(estimateTrainingMemory(exp, need), backend.name);
    // Masked-LM pretraining needs one embedding row more than the vocabulary: [MASK].
    const vocabSize = data.vocab === undefined ? undefined : data.vocab.length + (pretrain ? 1 : 0);
    model = await buildModel(exp.model, { exampleShape: data.exampleShape, inputDtype: data.xDtype, seed, vocabSize });
    policy = createPolicy(exp.freezing);
    const checkpoint = resuming && store.hasCheckpoint(runDir) ? await readCheckpoint(path.join(runDir, store.CHECKPOINT_DIR), runDir) : undefined;
    let pretrainFigures: PretrainFigures | undefined;
    if (pretrain) {
      const phase = await runPretrainPhase({
        exp, data, runDir, model, shouldStop,
        emit: (e) => {
          store.appendEvent(runDir, e);
          sink.event(e);
        },
        log: (m) => sink.log('info', m),
      });
      if (phase.status === 'stopped') {
        const summary: TrainSummary = {
          status: 'cancelled', message: 'stopped during pretraining', kind: 'train', runId, experiment: exp.name, experimentFile: resolved.experimentFile,
          policy: policyName, backend: backend.name, epochs: exp.training.epochs, epochsDone: 0,
          metrics: { accuracy: Number.NaN, loss: Number.NaN }, trainSeconds: 0, samplesPerSecond: 0, freezeEvents: [], flopsSaved: { forward: 0, backward: 0 }, runDir,
        };
        await store.writeSummary(runDir, summary);
        await store.updateRunRecord(runDir, { status: 'cancelled', endedAt: new Date().toISOString(), epochsDone: 0, message: summary.message });
        return summary;
      }
      pretrainFigures = phase.figures;
    }

    const result = await train({
      experiment: exp, data, model, policy, runId, backend: backend.name,
      resume: checkpoint,
      shouldStop,
      onEvent: (e) => {
        store.appendEvent(runDir, e);
        if (e.type === 'epoch') epochsDone = e.epoch + 1;
        if (e.type === 'step' || e.type === 'epoch') step = e.step;
        sink.event(e);
      },
      onCheckpoint: async (ckpt) => {
        await writeCheckpoint(path.join(runDir, store.CHECKPOINT_DIR), ckpt);
        await store.updateRunRecord(runDir, { epochsDone: ckpt.epoch });
        const event: RunEvent = { type: 'checkpoint', epoch: ckpt.epoch, step: ckpt.globalStep, path: store.CHECKPOINT_DIR };
        store.appendEvent(runDir, event);
        sink.event(event);
        await waitWhilePaused(runDir, shouldStop, sink);
      },
    });
    await recordTrainingSteps(runDir, result.stepPaths);
    let report: ClassificationReport | undefined;
    if (result.status === 'completed') {
      await saveModel(model, path.join(runDir, store.MODEL_DIR));
      const predictions = await predictTest(model, data, sink);
      if (predictions) {
        report = classificationReport(data.test.y, predictions, data.numClasses, data.classNames);
        const event: RunEvent = { type: 'evaluation', split: 'test', ...report };
        store.appendEvent(runDir, event);
        sink.event(event);
        await commitTestResults({ runDir, predictions, data, dataConfig: exp.data, seed, log: (level, message) => sink.log(level, message) });
      }
    }
    const summary: TrainSummary = {
      status: result.status, ...(result.message ? { message: result.message } : {}), kind: 'train', runId, experiment: exp.name, experimentFile: resolved.experimentFile,
      policy: policyName, backend: backend.name, epochs: exp.training.epochs, epochsDone: result.epochs,
      metrics: { ...result.metrics, ...(report ? { perClass: report.perClass, confusionMatrix: report.confusionMatrix } : {}) },
      trainSeconds: result.trainSeconds, samplesPerSecond: result.samplesPerSecond,
      freezeEvents: result.freezeEvents, flopsSaved: result.flopsSaved, runDir,
      ...(data.classNames ? { classNames: data.classNames } : {}),
      ...(pretrainFigures ? { pretrain: pretrainFigures } : {}),
    };
    await store.writeSummary(runDir, summary);
    await store.updateRunRecord(runDir, {
      status: result.status, endedAt: new Date().toISOString(), epochsDone: result.epochs,
      accuracy: result.metrics.accuracy, trainSeconds: result.trainSeconds, message: result.message,
    });
    return summary;
  } catch (e) {
    // Errors in the user's input point into the experiment file, so the CLI prints
    // file:line:col and the editor shows the run's error at that line.
    const error = isUserError(e) ? await withExperimentPosition(e, resolved.experimentFile) : e;
    await store.recordFailure(runDir, toErrorInfo(error), { epochsDone, step }).catch(() => undefined);
    throw error;
  } finally {
    model?.dispose();
    policy?.dispose?.();
    // A pause asked for is over with the run: a later resume starts unpaused.
    store.setPauseRequest(runDir, false);
  }
}

/**
 * The final model's predicted classes on the test split (undefined without one). A failure here
 * costs the per-class report and the result commitment, never the trained run.
 */
async function predictTest(model: Parameters<typeof predictTestClasses>[0], data: Parameters<typeof predictTestClasses>[1], sink: JobSink): Promise<Int32Array | undefined> {
  if (data.test.count === 0) return undefined;
  try {
    return await predictTestClasses(model, data);
  } catch (e) {
    sink.log('warn', `no per-class report: predicting the test split failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
