import { SEMEVAL_LABELS, type SemEvalSentence } from '../semeval8';
import { CausalModel } from './causalModel';
import { eraserScores, erasureRationale, type EraserScores } from './rationale';
import { semEvalScore, type SemEvalScore } from './semevalScore';

/**
 * Scores of the causal model on SemEval-2010 Task 8 sentences (`extract eval --format semeval8`):
 * the official score with the nominals given, direction-aware Cause-Effect precision, recall
 * and F1 with the nominals given (the official scorer's Cause-Effect row), and the ERASER
 * scores of the model's rationales (its rationale module: the learned selector, else erasure) of
 * every decision next to random rationales of the same length.
 * `endToEnd` (optional, slower): Cause-Effect with the nominals found by the model from the
 * sentence text, a relation counting when cause and effect spans both match.
 */
export interface CausalEvaluation {
  macroF1: number;
  causal: { precision: number; recall: number; f1: number };
  rationale: { comprehensiveness: number; sufficiency: number; randomComprehensiveness: number; randomSufficiency: number };
  sentences: number;
}

export interface CausalEvaluationDetails extends CausalEvaluation {
  official: SemEvalScore;
  eraser: EraserScores;
  /** ERASER scores of the Cause-Effect decisions only. */
  eraserCauseEffect: EraserScores;
  /** Models with a learned selector: the same scores of erasure rationales, for comparison. */
  eraserOfErasure?: EraserScores;
  endToEnd?: { precision: number; recall: number; f1: number; correct: number; predicted: number; gold: number };
}

export function evaluateCausal(model: CausalModel, sentences: SemEvalSentence[], options: { endToEnd?: boolean; compareErasure?: boolean; seed?: number } = {}): CausalEvaluationDetails {
  const labels = model.meta.classifier.labels;
  if (labels.join() !== SEMEVAL_LABELS.join()) throw new Error('the causal model was not trained on the SemEval-2010 Task 8 labels');
  const pairs = sentences.map((s) => ({ tokens: s.tokens, e1: s.e1, e2: s.e2 }));
  const predicted = model.classifier.classify(pairs).map((c) => c.label);
  const official = semEvalScore(sentences.map((s) => s.label), predicted);
  const ce = official.relations['Cause-Effect'] ?? { precision: 0, recall: 0, f1: 0 };
  const eraser = eraserScores(model.classifier, pairs, model.rationale, { seed: options.seed });
  const eraserCauseEffect = eraserScores(model.classifier, pairs, model.rationale, { seed: options.seed, which: (l) => l.startsWith('Cause-Effect(') });
  const out: CausalEvaluationDetails = {
    macroF1: official.macroF1,
    causal: { precision: ce.precision, recall: ce.recall, f1: ce.f1 },
    rationale: {
      comprehensiveness: eraser.comprehensiveness, sufficiency: eraser.sufficiency,
      randomComprehensiveness: eraser.randomComprehensiveness, randomSufficiency: eraser.randomSufficiency,
    },
    sentences: sentences.length,
    official,
    eraser,
    eraserCauseEffect,
  };
  if (model.selector && options.compareErasure) {
    out.eraserOfErasure = eraserScores(model.classifier, pairs, (p, l) => erasureRationale(model.classifier, p, l, model.meta.rationale), { seed: options.seed });
  }
  if (options.endToEnd) out.endToEnd = endToEndCauseEffect(model, sentences);
  return out;
}

/**
 * The causal model saved in `modelFile` scored on `sentences` (`extract eval --format semeval8`
 * and the `extract-eval` kind with that format): the scores users see, without the details.
 * The tensor backend must be initialised.
 */
export async function evaluateCausalModelFile(modelFile: string, sentences: SemEvalSentence[]): Promise<CausalEvaluation> {
  const model = await CausalModel.load(modelFile);
  try {
    const { macroF1, causal, rationale } = evaluateCausal(model, sentences);
    return { macroF1, causal, rationale, sentences: sentences.length };
  } finally {
    model.dispose();
  }
}

/** Cause-Effect found from the tokens alone (nominals by the tagger), scored on exact cause and effect spans. */
export function endToEndCauseEffect(
  model: CausalModel, sentences: SemEvalSentence[], classified = model.classifyPairs(sentences.map((s) => s.tokens)), threshold = model.meta.threshold,
): NonNullable<CausalEvaluationDetails['endToEnd']> {
  const decisions = classified.map((c) => model.causeEffect(c, threshold));
  let correct = 0, predicted = 0, gold = 0;
  const key = (a: { start: number; end: number }, b: { start: number; end: number }) => `${a.start}:${a.end}>${b.start}:${b.end}`;
  sentences.forEach((s, i) => {
    let goldKey: string | undefined;
    if (s.label === 'Cause-Effect(e1,e2)') goldKey = key(s.e1, s.e2);
    if (s.label === 'Cause-Effect(e2,e1)') goldKey = key(s.e2, s.e1);
    if (goldKey) gold++;
    const keys = new Set(decisions[i].map((d) => key(d.cause, d.effect)));
    predicted += keys.size;
    if (goldKey && keys.has(goldKey)) correct++;
  });
  const precision = predicted === 0 ? 0 : correct / predicted;
  const recall = gold === 0 ? 0 : correct / gold;
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), correct, predicted, gold };
}
