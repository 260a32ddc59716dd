import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { LoadedData } from '../core/data/types';
import { UserError } from '../core/errors';
import type { LayerConfig, TrainExperiment } from '../core/experiment/types';
import { buildModel } from '../core/model/build';
import { loadModel, saveModel } from '../core/model/io';
import type { RunEvent } from '../core/train/events';
import { encoderLayers } from '../core/train/mlm/encoder';
import { planMlm } from '../core/train/mlm/pretrain';
import { mlmSettings } from '../core/train/mlm/settings';
import { writeJsonAtomic } from '../core/util/atomicFile';
import { runCheckpointedPhase } from './checkpointedPhase';
import type { PretrainFigures } from './summary';

/** Folder of a train run's pretraining: `checkpoint/` (its session, while it runs), `encoder/` (the result), `figures.json`. */
export const PRETRAIN_DIR = 'pretrain';
/** The pretrained encoder's `model.json`, relative to the run folder. */
export const ENCODER_MODEL = path.join(PRETRAIN_DIR, 'encoder', 'model.json');
const FIGURES_FILE = path.join(PRETRAIN_DIR, 'figures.json');
/** `pretrain-step` events per run (steps are averaged in between). */
const POINTS = 200;

export interface PretrainPhaseOptions {
  exp: TrainExperiment;
  data: LoadedData;
  runDir: string;
  /** The whole model (built with a [MASK] row in its embedding): its encoder layers receive the pretrained weights. */
  model: import('@tensorflow/tfjs').LayersModel;
  emit(e: RunEvent): void;
  log(message: string): void;
  shouldStop(): boolean;
}

/** The pretrained encoder of a train run, when its pretraining has finished. */
export function pretrainedEncoder(runDir: string): string | undefined {
  const file = path.join(runDir, ENCODER_MODEL);
  return existsSync(file) ? file : undefined;
}

/**
 * The `pretrain` phase of a train run: masked-LM pretraining of the model's encoder on the
 * training text (`core/train/mlm`), checkpointed in `pretrain/checkpoint/` by
 * `runCheckpointedPhase` (every epoch end, at least every 30 s, when stopped) and resumed from
 * there; when done, the encoder is saved (`pretrain/encoder/`) and its weights copied into
 * `model`'s encoder layers, which the run then fine-tunes on the labels. A run resumed after the
 * phase finished only copies the weights.
 */
export async function runPretrainPhase(o: PretrainPhaseOptions): Promise<{ status: 'completed'; figures: PretrainFigures } | { status: 'stopped' }> {
  const { exp, data, runDir } = o;
  const settings = mlmSettings(exp)!;
  const layers = encoderLayers(exp.model.layers ?? []) as LayerConfig[];
  if (!data.vocab || data.xDtype !== 'int32') throw new UserError('masked-LM pretraining needs text data (format jsonl)', '/pretrain');
  const vocabSize = data.vocab.length;
  const encoderFile = path.join(runDir, ENCODER_MODEL);
  if (!existsSync(encoderFile)) {
    const encoder = await buildModel({ layers }, { exampleShape: data.exampleShape, inputDtype: 'int32', seed: exp.training.seed ?? 0, vocabSize: vocabSize + 1 });
    try {
      // planMlm refuses an embedding without a [MASK] row: a UserError at its inputDim.
      const plan = planMlm(encoder, { x: data.train.x as Int32Array, count: data.train.count }, { x: data.test.x as Int32Array, count: data.test.count }, data.exampleShape[0], vocabSize, settings);
      try {
        const ckpt = path.join(runDir, PRETRAIN_DIR, 'checkpoint');
        const loaded = await plan.session.load(ckpt);
        if (loaded) o.log(`pretrain: resuming at step ${loaded.position.globalStep}`);
        const total = settings.steps ?? settings.epochs * Math.max(1, Math.ceil(data.train.count / settings.batchSize));
        const every = Math.max(1, Math.floor(total / POINTS));
        const result = await runCheckpointedPhase(plan.session, plan.stages, {
          dir: ckpt, shouldStop: o.shouldStop,
          pointAt: (r) => r.step % every === 0,
          onPoint: (r, metrics) => {
            o.emit({ type: 'pretrain-step', step: r.step, steps: total, metrics });
            o.emit({ type: 'progress', kind: 'train', fraction: 0, message: `pretrain (masked-LM) ${r.step}/${total} · loss ${metrics.loss?.toFixed(4)}` });
          },
        });
        if (result.status === 'stopped') {
          o.log(`pretrain: stopped at step ${result.step}; resume continues there`);
          return { status: 'stopped' };
        }
        const test = plan.evaluate();
        const figures: PretrainFigures = { steps: result.step, trainSeconds: plan.session.trainSeconds, testLoss: test.loss, testAccuracy: test.accuracy, encoder: ENCODER_MODEL };
        await saveModel(encoder, path.dirname(encoderFile));
        await writeJsonAtomic(path.join(runDir, FIGURES_FILE), figures);
        await fs.rm(ckpt, { recursive: true, force: true });
        o.emit({ type: 'pretrain-end', ...figures });
        o.log(`pretrain: ${figures.steps} steps, held-out masked-word accuracy ${(figures.testAccuracy * 100).toFixed(2)}% (loss ${figures.testLoss.toFixed(4)})`);
      } finally {
        plan.dispose();
      }
    } finally {
      encoder.dispose();
    }
  }
  const figures = JSON.parse(await fs.readFile(path.join(runDir, FIGURES_FILE), 'utf8')) as PretrainFigures;
  const pretrained = await loadModel(encoderFile);
  try {
    for (const layer of pretrained.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      o.model.getLayer(layer.name).setWeights(layer.getWeights());
    }
  } finally {
    pretrained.dispose();
  }
  return { status: 'completed', figures };
}
