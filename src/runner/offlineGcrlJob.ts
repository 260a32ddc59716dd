import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import type { OfflineGcrlExperiment } from '../core/experiment/types';
import { makeEnv } from '../core/rl/env/envs';
import { type GcDataset, parseDatasetFile, toDatasetFile } from '../core/rl/gcrl/dataset';
import { type AlgoEvaluation, evaluateAlgo, evaluationRng, valueGrid } from '../core/rl/gcrl/evaluate';
import { generateDataset } from '../core/rl/gcrl/generate';
import { OfflineTrainer } from '../core/rl/gcrl/trainer';
import { offlineSettingsFrom } from '../core/rl/fromExperiment';
import { initBackend } from '../core/tensor/backend';
import { writeJsonAtomic } from '../core/util/atomicFile';
import { createRng } from '../core/util/random';
import { GCRL_FILES } from './gcrlRunFiles';
import type { RunRequest } from './protocol';
import type { JobSink, JobStart } from './job';
import { runSessionJob } from './sessionJob';
import type { OfflineGcrlSummary } from './summary';

/**
 * An `offline-gcrl` run: generate or read the dataset, train the value and the chosen
 * algorithm's policies (core/rl/gcrl), evaluate success per task every `everyEpochs` (events
 * `gcrl-eval`) and at the end, then write the value grid and the rollouts for the panel.
 */
export async function runOfflineGcrlJob(start: JobStart<OfflineGcrlExperiment>, req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<OfflineGcrlSummary> {
  const backend = await initBackend((req.backend as 'auto') ?? 'auto');
  sink.log('info', `backend: ${backend.name}`);
  const exp = start.config.experiment;
  const { runDir } = start;
  return runSessionJob<OfflineGcrlSummary>(start, sink, shouldStop, async (emit) => {
    const { settings, generate } = offlineSettingsFrom(exp);
    const algo = exp.algo;
    const dataset = await loadDataset(exp, runDir, generate, settings.seed);
    sink.log('info', `dataset: ${dataset.starts.length} trajectories, ${dataset.trajectoryEnd.length} states`);
    const trainer = new OfflineTrainer(settings, dataset);
    let history: (AlgoEvaluation & { epoch: number })[] = [];
    const evaluate = (epoch: number): void => {
      const ev = { epoch, ...evaluateAlgo(trainer, algo, settings.evaluation, evaluationRng(settings.seed, epoch)) };
      history.push(ev);
      emit({ type: 'gcrl-eval', epoch, algo, successRate: ev.successRate, tasks: ev.tasks });
    };
    const stages = trainer.stages(async (epoch, metrics) => {
      emit({ type: 'rl-epoch', kind: 'offline-gcrl', epoch, epochs: settings.epochs, metrics });
      if (epoch === settings.epochs && trainer.selecting) {
        // Checkpoint selection: the final evaluation (and the rollouts) with the policies best on the validation tasks.
        const chosen = trainer.selectedEpoch(algo);
        sink.log('info', `checkpoint selection: ${algo}'s policies from epoch ${chosen?.epoch} (validation success ${((chosen?.successRate ?? 0) * 100).toFixed(0)}%)`);
        await trainer.withSelected(algo, () => evaluate(epoch));
      } else if (epoch === settings.epochs || epoch % settings.evaluation.everyEpochs === 0) evaluate(epoch);
    });
    const last = () => history[history.length - 1];
    return {
      session: trainer.session,
      stages,
      totalSteps: settings.epochs * settings.stepsPerEpoch,
      epochs: { total: settings.epochs, stepsPerEpoch: settings.stepsPerEpoch },
      checkpointEvery: (exp.checkpointEvery ?? 1) * settings.stepsPerEpoch,
      backend: backend.name,
      begin: () => undefined,
      extra: () => trainer.checkpointExtra({ history }),
      restore: (extra) => {
        history = (trainer.restore(extra) as { history?: typeof history } | undefined)?.history ?? [];
      },
      progressMessage: (r) => `epoch ${r.epoch + 1}/${settings.epochs}${last() ? ` · ${algo} success ${(last().successRate * 100).toFixed(0)}%` : ''}`,
      finish: async (status) => {
        const ev = last();
        const epochsDone = Math.floor(trainer.session.position.globalStep / settings.stepsPerEpoch);
        if (status === 'completed' || ev) {
          const maze = trainer.env.maze!;
          await writeJsonAtomic(path.join(runDir, GCRL_FILES.value), { epoch: epochsDone, ...valueGrid(trainer, maze.free) });
          if (ev) await writeJsonAtomic(path.join(runDir, GCRL_FILES.rollouts), { epoch: ev.epoch, algo, tasks: ev.tasks, rollouts: ev.rollouts });
        }
        return {
          fields: {
            kind: 'offline-gcrl', algo, backend: backend.name,
            successRate: ev?.successRate ?? 0,
            tasks: (ev?.tasks ?? []).map((t) => ({ start: t.start, goal: t.goal, successRate: t.successRate })),
            epochsDone, trainSeconds: trainer.session.trainSeconds,
            ...(trainer.selecting && status === 'completed' ? { selectedEpoch: trainer.selectedEpoch(algo)?.epoch } : {}),
          },
          score: ev ? { name: `${algo} success`, value: ev.successRate } : undefined,
        };
      },
      dispose: () => trainer.dispose(),
    };
  });
}

/**
 * The run's dataset: read from `dataset.file`, or generated from the seed (and saved in the
 * run folder, where a resume finds the same data without regenerating it).
 */
async function loadDataset(exp: OfflineGcrlExperiment, runDir: string, generate: Parameters<typeof generateDataset>[2] | undefined, seed: number): Promise<GcDataset> {
  const { settings } = offlineSettingsFrom(exp);
  const env = makeEnv(settings.env);
  const saved = path.join(runDir, GCRL_FILES.dataset);
  const file = 'file' in exp.dataset ? exp.dataset.file : generate && (await exists(saved)) ? saved : undefined;
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (e) {
      throw new UserError(`cannot read the dataset file ${file}: ${e instanceof Error ? e.message : String(e)}`, '/dataset/file');
    }
    try {
      return parseDatasetFile(json, settings.env, env.action);
    } catch (e) {
      throw new UserError(`${file}: ${e instanceof Error ? e.message : String(e)}`, '/dataset/file');
    }
  }
  const data = generateDataset(env, settings.env, generate!, createRng((seed * 31 + 7) >>> 0));
  await writeJsonAtomic(saved, toDatasetFile(data));
  return data;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
