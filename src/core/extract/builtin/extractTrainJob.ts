import * as path from 'node:path';
import { UserError } from '../../errors';
import { loadConll04 } from '../conll04';
import type { ExtractionScores } from '../eval';
import { loadExtractionSchema } from '../schema';
import { trainExtractor, type TrainProgress } from './train';

/**
 * The `extract-train` experiment kind: retrain the built-in extractor on the user's own
 * CoNLL04-format data. Field names as they appear in the experiment file; paths are relative
 * to the experiment file.
 *
 * ```jsonc
 * {
 *   "kind": "extract-train", "name": "my-extractor",
 *   "data": { "format": "conll04", "train": "data/train.json", "dev": "data/dev.json" },
 *   "schema": "my.schema.json",          // optional; default: types found in the data
 *   "output": "models/my-extractor",     // optional; default: the run directory
 *   "training": { "taggerEpochs": 8, "relationEpochs": 8, "batchSize": 16, "learningRate": 0.003, "seed": 1, "taggerEnsemble": 2,
 *                 "crf": true, "rnn": 64, "weightAverage": 0.99 }
 * }
 * ```
 */
export interface ExtractTrainConfig {
  kind: 'extract-train';
  name: string;
  description?: string;
  data: { format: 'conll04'; train: string; dev?: string };
  schema?: string;
  output?: string;
  training?: {
    taggerEpochs?: number;
    relationEpochs?: number;
    batchSize?: number;
    learningRate?: number;
    seed?: number;
    /** Taggers trained with different seeds, probabilities averaged (default 1). */
    taggerEnsemble?: number;
    /** CRF tagger (default false). */
    crf?: boolean;
    /** Width per direction of a bidirectional GRU in the tagger (default 0: none). */
    rnn?: number;
    /** Decay in (0, 1) of the moving average of the tagger weights that is kept (default: none). */
    weightAverage?: number;
  };
}

export interface ExtractTrainResult {
  /** The trained model's JSON file (load with `--model-file` / `BuiltinProvider.create({modelFile})`). */
  modelFile: string;
  dev?: ExtractionScores;
}

export async function runExtractTrain(
  config: ExtractTrainConfig,
  experimentDir: string,
  defaultOutputDir: string,
  hooks: { signal?: AbortSignal; onProgress?: (e: TrainProgress) => void } = {},
): Promise<ExtractTrainResult> {
  if (config.data?.format !== 'conll04') throw new UserError('only "conll04" data is supported', '/data/format');
  const at = (f: string) => path.resolve(experimentDir, f);
  const train = await loadConll04(at(config.data.train));
  const dev = config.data.dev ? await loadConll04(at(config.data.dev)) : undefined;
  const schema = config.schema ? await loadExtractionSchema(at(config.schema)) : undefined;
  const t = config.training ?? {};
  for (const [k, v] of Object.entries(t)) {
    if (k === 'crf') {
      if (typeof v !== 'boolean') throw new UserError('must be true or false', '/training/crf');
      continue;
    }
    if (k === 'weightAverage') {
      if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new UserError('must be a number between 0 and 1 (exclusive)', '/training/weightAverage');
      continue;
    }
    if (typeof v !== 'number' || !(v > 0) || (k !== 'learningRate' && !Number.isInteger(v))) {
      throw new UserError(`must be a positive ${k === 'learningRate' ? 'number' : 'integer'}`, `/training/${k}`);
    }
  }
  const { model, dev: scores } = await trainExtractor({
    train, dev, schema, taggerEpochs: t.taggerEpochs, relationEpochs: t.relationEpochs, batchSize: t.batchSize,
    learningRate: t.learningRate, seed: t.seed, taggerEnsemble: t.taggerEnsemble,
    crf: t.crf, rnn: t.rnn, weightAverage: t.weightAverage, signal: hooks.signal, onProgress: hooks.onProgress,
  });
  const outDir = config.output ? at(config.output) : defaultOutputDir;
  try {
    await model.save(outDir);
  } finally {
    model.dispose();
  }
  return { modelFile: path.join(outDir, 'extractor.json'), dev: scores };
}
