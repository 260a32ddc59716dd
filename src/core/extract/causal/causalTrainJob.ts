import * as path from 'node:path';
import type { ExtractTrainExperiment } from '../../experiment/types';
import { loadSemEval8, splitSemEval } from '../semeval8';
import type { CausalEvaluation } from './evaluateCausal';
import { trainCausalModel, type CausalTrainProgress } from './trainCausal';

/**
 * The `extract-train` experiment kind with `data.format: "semeval8"`: train the causal model
 * (`causalModel.ts`) on SemEval-2010 Task 8 files. `training.relationEpochs` are the relation
 * classifier's epochs, `training.taggerEpochs` the nominal tagger's, `training.seed` seeds both;
 * the other settings belong to the CoNLL04 extractor. Without `data.dev`, a seeded, stratified
 * 10% of the training file is held out for the choices (best classifier epoch, threshold) and
 * scored, as `scripts/extract/train-causal.ts` does (unless the file is too small for that).
 */
export interface CausalTrainResult {
  /** The trained model's `causal.json` (`--model-file`, or "Use for Extraction" with the causal schema). */
  modelFile: string;
  /** Scores on the dev sentences (nominals given). */
  dev?: CausalEvaluation;
}

export async function runCausalTrain(
  exp: ExtractTrainExperiment,
  outputDir: string,
  hooks: { signal?: AbortSignal; onProgress?: (e: CausalTrainProgress) => void } = {},
): Promise<CausalTrainResult> {
  const all = await loadSemEval8(exp.data.train);
  const split = exp.data.dev ? { train: all, dev: await loadSemEval8(exp.data.dev) } : splitSemEval(all);
  // A corpus too small to hold out a tenth of any label trains on everything, without dev scores.
  const { train, dev } = split.dev.length > 0 ? split : { train: all, dev: undefined };
  const t = exp.training ?? {};
  const { model, dev: scores } = await trainCausalModel({
    train, dev, classifierEpochs: t.relationEpochs, taggerEpochs: t.taggerEpochs, seed: t.seed,
    signal: hooks.signal, onProgress: hooks.onProgress,
  });
  try {
    await model.save(outputDir);
  } finally {
    model.dispose();
  }
  return {
    modelFile: path.join(outputDir, 'causal.json'),
    dev: scores && { macroF1: scores.macroF1, causal: scores.causal, rationale: scores.rationale, sentences: scores.sentences },
  };
}
