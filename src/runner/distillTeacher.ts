import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import { peekExperiment } from '../core/experiment/peek';
import type { DataConfig, TrainExperiment } from '../core/experiment/types';
import { readRunConfig } from './runConfig';
import { pretrainedEncoder } from './pretrainPhase';
import * as store from './runStore';

/** What a distill run learns from: the teacher's saved model, and the data it was trained on when known. */
export interface ResolvedTeacher {
  /** The teacher's `model.json`. */
  modelFile: string;
  /** Where it came from, for people. */
  description: string;
  /** The teacher's training data (absolute paths) and the seed its split used, when the teacher is a train run. */
  data?: DataConfig;
  dataSeed?: number;
  /** The teacher's encoder pretrained by masked-LM in its own run (`pretrain`), else the saved model it was fine-tuned from (`model.from`): the default teacher of general distillation. */
  pretrained?: string;
}

/**
 * The teacher a distill experiment names (`teacher`, an absolute path after loading): a train
 * experiment file (the model of its latest completed run under `runsRoots`, then the default
 * runs folder next to it), a run folder, or a saved `model.json`. Problems are user errors at
 * `/teacher`.
 */
export async function resolveTeacher(teacher: string, runsRoots: string[]): Promise<ResolvedTeacher> {
  if (!existsSync(teacher)) throw new UserError(`the teacher '${teacher}' does not exist`, '/teacher');
  if (statSync(teacher).isDirectory()) return fromRunDir(teacher);
  if (teacher.endsWith('.experiment.json')) {
    // Only its kind and its runs matter: the teacher's own fields (e.g. a training file a
    // data-free distillation never reads) are its runs' business, not checked here.
    const file = path.resolve(teacher);
    const kind = peekExperiment(readFileSync(file, 'utf8')).kind;
    if (kind !== 'train') throw new UserError(`the teacher must be a train experiment, not '${kind}'`, '/teacher');
    const roots = [...runsRoots, store.defaultRunsRoot(file)];
    for (const root of [...new Set(roots)]) {
      const runs = await store.listRuns(root);
      const done = runs.find((r) => r.status === 'completed' && store.isTrainRun(r) && path.resolve(r.experimentFile) === file && existsSync(path.join(r.runDir, store.MODEL_DIR, 'model.json')));
      if (done) return fromRunDir(done.runDir);
    }
    throw new UserError(`the teacher experiment '${path.basename(teacher)}' has no completed run yet: run it first (model-lab run ${teacher})`, '/teacher');
  }
  if (teacher.endsWith('.json')) return { modelFile: teacher, description: `saved model ${teacher}` };
  throw new UserError('the teacher must be a train experiment (*.experiment.json), a run folder or a saved model.json', '/teacher');
}

async function fromRunDir(runDir: string): Promise<ResolvedTeacher> {
  const record = await store.readRunRecord(runDir);
  const config = await readRunConfig(runDir);
  const modelFile = path.join(runDir, store.MODEL_DIR, 'model.json');
  if (!record || !config) throw new UserError(`the teacher '${runDir}' is not a Model Lab run folder`, '/teacher');
  if (!store.isTrainRun(record)) throw new UserError(`the teacher run ${record.runId} is a '${record.kind}' run, not a train run`, '/teacher');
  if (record.status !== 'completed' || !existsSync(modelFile)) throw new UserError(`the teacher run ${record.runId} has not completed (status ${record.status})`, '/teacher');
  const exp = config.experiment as TrainExperiment;
  return {
    modelFile,
    description: `run ${record.runId} of ${path.basename(config.experimentFile)}`,
    data: exp.data,
    dataSeed: exp.training.seed ?? 0,
    // Its own masked-LM pretraining's encoder (`pretrain`), else the saved model it was fine-tuned from.
    ...(pretrainedEncoder(runDir) ? { pretrained: pretrainedEncoder(runDir) } : exp.model.from ? { pretrained: exp.model.from } : {}),
  };
}
