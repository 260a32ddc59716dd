import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../../src/core/tensor/backend';
import { cueSwapProbe, swapCue } from '../../../../src/core/extract/causal/cueSwap';
import { onlyTokens, rationaleCandidates, withoutTokens, type NominalPair } from '../../../../src/core/extract/causal/pairFeatures';
import { eraserScores, erasureRationale } from '../../../../src/core/extract/causal/rationale';
import { trainPairClassifier, type LabelledPair } from '../../../../src/core/extract/causal/trainPairClassifier';
import { learnedRationale } from '../../../../src/core/extract/causal/rationaleSelector';
import { trainRationaleSelector } from '../../../../src/core/extract/causal/trainRationaleSelector';
import { SEMEVAL_LABELS } from '../../../../src/core/extract/semeval8';

/** `[The] fire [was caused by] a short circuit .` as a pair: nominals given as [start, end). */
function pair(words: string, e1: [number, number], e2: [number, number]): NominalPair {
  return { tokens: words.split(' '), e1: { start: e1[0], end: e1[1] }, e2: { start: e2[0], end: e2[1] } };
}

test('erasing and keeping tokens never touches the nominals and remaps their spans', () => {
  const p = pair('The fire was caused by a short circuit .', [1, 2], [6, 8]);
  assert.deepEqual(rationaleCandidates(p), [0, 2, 3, 4, 5]);
  const without = withoutTokens(p, new Set([3, 4, 1]));
  assert.deepEqual(without.tokens, ['The', 'fire', 'was', 'a', 'short', 'circuit', '.']);
  assert.deepEqual([without.e1, without.e2], [{ start: 1, end: 2 }, { start: 4, end: 6 }]);
  const only = onlyTokens(p, new Set([3, 4]));
  assert.deepEqual(only.tokens, ['fire', 'caused', 'by', 'short', 'circuit']);
  assert.deepEqual([only.e1, only.e2], [{ start: 0, end: 1 }, { start: 3, end: 5 }]);
});

test('the cue swap reverses the cue between the nominals, keeping the tense', () => {
  const passive = swapCue(pair('The fire was caused by a short circuit .', [1, 2], [6, 8]))!;
  assert.deepEqual(passive.tokens, ['The', 'fire', 'resulted', 'in', 'a', 'short', 'circuit', '.']);
  assert.deepEqual(passive.e2, { start: 5, end: 7 });
  const active = swapCue(pair('The storm resulted in heavy floods .', [1, 2], [4, 6]))!;
  assert.deepEqual(active.tokens, ['The', 'storm', 'was', 'caused', 'by', 'heavy', 'floods', '.']);
  assert.deepEqual(active.e2, { start: 5, end: 7 });
  assert.equal(swapCue(pair('The cup is in the box .', [1, 2], [5, 6])), undefined);
});

// A synthetic corpus where only the cue between the nominals decides the label and a filler word
// carries nothing: a classifier that learns it must put its rationale on the cue.
const NOUNS = ['fire', 'smoke', 'storm', 'flood', 'virus', 'fever', 'crash', 'delay', 'spark', 'blast', 'drought', 'famine'];
const FILLERS = ['suddenly', 'reportedly', 'apparently', 'again', 'today', 'there', 'soon'];
const CUES: [string, string][] = [
  ['was caused by', 'Cause-Effect(e2,e1)'],
  ['resulted in', 'Cause-Effect(e1,e2)'],
  ['is inside', 'Content-Container(e1,e2)'],
  ['is part of', 'Component-Whole(e1,e2)'],
];

function corpus(): LabelledPair[] {
  const out: LabelledPair[] = [];
  for (const [i, a] of NOUNS.entries()) {
    for (const [j, b] of NOUNS.entries()) {
      if (i === j) continue;
      const [cue, label] = CUES[(i + j) % CUES.length];
      const filler = [0, 1, 2].map((k) => FILLERS[(i * 3 + j * 5 + k * 2) % FILLERS.length]).join(' ');
      const words = `the ${a} ${filler} ${cue} the ${b} .`.split(' ');
      out.push({ tokens: words, e1: { start: 1, end: 2 }, e2: { start: words.length - 2, end: words.length - 1 }, label });
    }
  }
  return out;
}

test('rationales of a trained classifier rest on the cue, beat random ones, and the probe sees the cue', async () => {
  await initBackend();
  const data = corpus();
  const { classifier } = await trainPairClassifier({ train: data, labels: SEMEVAL_LABELS, epochs: 20, minFeatureCount: 1, dim: 16, hidden: 32, seed: 3 });
  const accuracy = classifier.classify(data).filter((c, i) => c.label === data[i].label).length / data.length;
  assert.ok(accuracy > 0.95, `training accuracy ${accuracy}`);

  const p = pair('the fire apparently there soon was caused by the spark .', [1, 2], [9, 10]);
  const [decision] = classifier.classify([p]);
  assert.equal(decision.label, 'Cause-Effect(e2,e1)');
  const r = erasureRationale(classifier, p, decision.index, { maxTokens: 2, minScore: 0.001 });
  const words = r.tokens.map((i) => p.tokens[i]);
  assert.ok(words.length > 0 && words.every((w) => ['was', 'caused', 'by'].includes(w)), words.join(' '));
  assert.deepEqual([...r.scores].sort((a, b) => b - a)[0] > 0, true);

  const scores = eraserScores(classifier, data, (q, label) => erasureRationale(classifier, q, label, { maxTokens: 2, minScore: 0.001 }), { seed: 5 });
  assert.equal(scores.decisions, data.length);
  assert.ok(scores.comprehensiveness > 2 * scores.randomComprehensiveness, JSON.stringify(scores));
  assert.ok(scores.sufficiency < scores.randomSufficiency, JSON.stringify(scores));

  const probe = cueSwapProbe(classifier, data);
  assert.ok(probe.sentences > 0);
  assert.equal(probe.sentences, probe.followsCue + probe.keepsDirection + probe.otherLabel);
  assert.ok(probe.followRate > 0.9, JSON.stringify(probe));

  // The learned select-then-predict mask, trained against the same classifier: it selects the
  // cue and no filler in one pass, the classifier decides again from its words alone, and
  // its rationales are far more comprehensive than random ones of the same length.
  const selector = await trainRationaleSelector({ classifier, pairs: data, epochs: 6, sparsity: 0.1, learningRate: 0.1, minFeatureCount: 1, seed: 4 });
  const learned = learnedRationale(classifier, selector, p, decision.index, { maxTokens: 2, minScore: 0 });
  const picked = learned.tokens.map((i) => p.tokens[i]);
  assert.ok(picked.some((w) => ['caused', 'by'].includes(w)) && !picked.some((w) => FILLERS.includes(w)), picked.join(' '));
  assert.equal(learned.scores.length, learned.tokens.length);
  const learnedScores = eraserScores(classifier, data, (q, label) => learnedRationale(classifier, selector, q, label, { maxTokens: 2, minScore: 0 }), { seed: 5 });
  assert.ok(learnedScores.comprehensiveness > 2 * learnedScores.randomComprehensiveness, JSON.stringify(learnedScores));
  assert.ok(learnedScores.sufficiency < learnedScores.randomSufficiency, JSON.stringify(learnedScores));
  assert.ok(learnedScores.agreement > 0.9, JSON.stringify(learnedScores));
  assert.ok(learnedScores.meanLength <= 2, JSON.stringify(learnedScores));
});
