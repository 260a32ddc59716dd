import { UserError } from '../../errors';
import { trainExtractor, type TrainProgress } from '../builtin/train';
import type { ExtractionSchema } from '../schema';
import { SEMEVAL_LABELS, semEvalToConll04, type SemEvalSentence } from '../semeval8';
import { CausalModel, type CausalMeta } from './causalModel';
import { endToEndCauseEffect, evaluateCausal, type CausalEvaluationDetails } from './evaluateCausal';
import { DEFAULT_RATIONALE } from './rationale';
import { trainPairClassifier } from './trainPairClassifier';
import { trainRationaleSelector } from './trainRationaleSelector';

/**
 * Trains the causal model (`causalModel.ts`) on SemEval-2010 Task 8 sentences: the relation
 * classifier (best dev epoch by the official score, when there is dev data), then the nominal
 * tagger, then the learned rationale selector against the classifier (`trainRationaleSelector.ts`,
 * on the training pairs), then the Cause-Effect threshold for nominals found in text (best
 * end-to-end dev F1).
 */
export interface TrainCausalOptions {
  train: SemEvalSentence[];
  dev?: SemEvalSentence[];
  classifierEpochs?: number;
  taggerEpochs?: number;
  /** Epochs of the rationale selector (default 3). */
  rationaleEpochs?: number;
  /** Reward lost per selected rationale word (default 0.1). */
  rationaleSparsity?: number;
  /** A fixed threshold (e.g. when training on all data); else chosen on dev, else 0.5. */
  threshold?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (e: CausalTrainProgress) => void;
}

export type CausalTrainProgress =
  | { phase: 'classifier'; epoch: number; epochs: number; loss: number; devMacroF1?: number; devCauseEffectF1?: number }
  | { phase: 'nominals'; progress: TrainProgress }
  | { phase: 'rationale'; epoch: number; epochs: number; reward: number; selected: number }
  | { phase: 'threshold'; threshold: number; devEndToEndF1: number };

/** Epochs when the options do not say (the `extract-train` kind's `training.relationEpochs` / `taggerEpochs` default to these too). */
export const CAUSAL_TRAIN_DEFAULTS = { classifierEpochs: 4, taggerEpochs: 3, rationaleEpochs: 3 } as const;

export const NOMINAL_SCHEMA: ExtractionSchema = { name: 'semeval-nominals', entities: [{ type: 'Nominal' }], relations: [], events: [] };

export interface TrainCausalResult {
  model: CausalModel;
  dev?: CausalEvaluationDetails;
}

export async function trainCausalModel(opts: TrainCausalOptions): Promise<TrainCausalResult> {
  const { train, dev, seed = 1 } = opts;
  const classifierEpochs = opts.classifierEpochs ?? CAUSAL_TRAIN_DEFAULTS.classifierEpochs;
  const taggerEpochs = opts.taggerEpochs ?? CAUSAL_TRAIN_DEFAULTS.taggerEpochs;
  const rationaleEpochs = opts.rationaleEpochs ?? CAUSAL_TRAIN_DEFAULTS.rationaleEpochs;
  if (train.length === 0) throw new UserError('training data is empty', '/data');
  const labelled = (s: SemEvalSentence) => ({ tokens: s.tokens, e1: s.e1, e2: s.e2, label: s.label });
  const cls = await trainPairClassifier({
    train: train.map(labelled), dev: dev?.map(labelled), labels: SEMEVAL_LABELS, epochs: classifierEpochs, seed,
    shouldStop: () => opts.signal?.aborted ?? false,
    onEpoch: (e) => opts.onProgress?.({ phase: 'classifier', ...e }),
  });
  const nominalData = (s: SemEvalSentence) => ({ ...semEvalToConll04(s), relations: [] });
  const { model: tagger } = await trainExtractor({
    train: train.map(nominalData), dev: dev?.map(nominalData), schema: NOMINAL_SCHEMA,
    taggerEpochs, relationEpochs: 0, relationThreshold: 0.5, crf: true, rnn: 0, dim: 32, hidden: 96,
    minFeatureCount: 3, weightAverage: 0.99, seed,
    signal: opts.signal, onProgress: (p) => opts.onProgress?.({ phase: 'nominals', progress: p }),
  });
  // Only the tagger is kept: its relation part has no types.
  const taggerParams = Object.fromEntries(Object.entries(tagger.params).filter(([n]) => n.startsWith('tagger')));
  for (const [n, t] of Object.entries(tagger.params)) if (!n.startsWith('tagger')) t.dispose();
  const meta: CausalMeta = {
    format: 'model-lab-causal',
    version: 1,
    classifier: cls.classifier.meta,
    rationale: DEFAULT_RATIONALE,
    threshold: opts.threshold ?? 0.5,
    maxGap: 20,
    nominals: { ...tagger.meta, relation: { ...tagger.meta.relation, features: [] }, training: undefined },
  };
  const selector = await trainRationaleSelector({
    classifier: cls.classifier, pairs: train.map(labelled), epochs: rationaleEpochs, sparsity: opts.rationaleSparsity, seed,
    shouldStop: () => opts.signal?.aborted ?? false,
    onEpoch: (e) => opts.onProgress?.({ phase: 'rationale', ...e }),
  });
  meta.selector = selector.meta;
  const model = new CausalModel(meta, cls.classifier.weights, taggerParams, selector.weights);
  if (dev && dev.length > 0 && opts.threshold === undefined) {
    let best = { threshold: 0.5, f1: -1 };
    const classified = model.classifyPairs(dev.map((s) => s.tokens));
    for (let t = 0.3; t <= 0.91; t += 0.1) {
      const threshold = Math.round(t * 100) / 100;
      const { f1 } = endToEndCauseEffect(model, dev, classified, threshold);
      if (f1 > best.f1) best = { threshold, f1 };
    }
    meta.threshold = best.threshold;
    opts.onProgress?.({ phase: 'threshold', threshold: best.threshold, devEndToEndF1: best.f1 });
  }
  const scores = dev && dev.length > 0 ? evaluateCausal(model, dev, { endToEnd: true }) : undefined;
  meta.training = {
    trainSentences: train.length, devSentences: dev?.length ?? 0, classifierEpochs, classifierEpochKept: cls.epoch, taggerEpochs, rationaleEpochs, seed,
    dev: scores && { macroF1: scores.macroF1, causeEffectF1: scores.causal.f1, endToEndF1: scores.endToEnd?.f1 },
  };
  return { model, dev: scores };
}
