import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ExtractTrainExperiment } from '../../experiment/types';
import { loadConll04 } from '../conll04';
import type { ExtractionScores } from '../eval';
import { defaultExtractorModelFile } from '../modelPath';
import { loadExtractionSchema } from '../schema';
import type { ExtractorMeta } from './extractorModel';
import { trainExtractor, type TrainProgress } from './train';
import type { WordLists } from './wordLists';

/**
 * The `extract-train` experiment kind: retrain the built-in extractor on the user's own
 * CoNLL04-format data. `exp` is a loaded experiment (schema-checked, defaults filled in, paths
 * absolute); the run store around it is the runner's (`runner/extractTrainJob.ts`).
 */
export interface ExtractTrainResult {
  /** The trained model's JSON file (load with `--model-file` / `BuiltinProvider.create({modelFile})`). */
  modelFile: string;
  dev?: ExtractionScores;
}

export async function runExtractTrain(
  exp: ExtractTrainExperiment,
  outputDir: string,
  hooks: { signal?: AbortSignal; onProgress?: (e: TrainProgress) => void } = {},
): Promise<ExtractTrainResult> {
  const train = await loadConll04(exp.data.train);
  const dev = exp.data.dev ? await loadConll04(exp.data.dev) : undefined;
  const schema = exp.schema ? await loadExtractionSchema(exp.schema) : undefined;
  const t = exp.training ?? {};
  const { model, dev: scores } = await trainExtractor({
    train, dev, schema, taggerEpochs: t.taggerEpochs, relationEpochs: t.relationEpochs, batchSize: t.batchSize,
    learningRate: t.learningRate, seed: t.seed, taggerEnsemble: t.taggerEnsemble,
    crf: t.crf, rnn: t.rnn, charCnn: t.charCnn, minFeatureCount: t.minFeatureCount, weightAverage: t.weightAverage,
    // As the shipped model was trained (`docs/extraction.md`, `scripts/extract/train-builtin.ts`).
    relationMinFeatureCount: 3, nameDropout: 0.3, wordLists: await shippedWordLists(),
    signal: hooks.signal, onProgress: hooks.onProgress,
  });
  try {
    await model.save(outputDir);
  } finally {
    model.dispose();
  }
  return { modelFile: path.join(outputDir, 'extractor.json'), dev: scores };
}

/**
 * The general word lists of the shipped model (dictionary words, city names). They were read
 * from Debian packages at build time, which users' machines may not have, so a retrained model
 * takes them from the shipped one and gets the same token features.
 */
async function shippedWordLists(): Promise<WordLists | undefined> {
  try {
    const meta = JSON.parse(await fs.readFile(defaultExtractorModelFile(), 'utf8')) as ExtractorMeta;
    return meta.tagger?.wordLists;
  } catch {
    return undefined;
  }
}
