import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExtractionScores } from '../../../src/core/extract/eval';
import { outcomeText } from '../../../src/vscode/runs/outcomeText';

const base = { status: 'completed' as const, runId: 'r', experiment: 'e', experimentFile: '/e.experiment.json', runDir: '/r' };
const prf = (f1: number) => ({ precision: f1, recall: f1, f1, correct: 1, predicted: 1, gold: 1 });
const scores: ExtractionScores = { entity: prf(0.788), relation: prf(0.529), perType: { entity: {}, relation: {} }, ungrounded: 0, sentences: 231 };

test('a completed run is summarised by what its kind measures', () => {
  assert.equal(
    outcomeText({
      ...base, policy: 'smartfrz', backend: 'wasm', epochs: 4, epochsDone: 4, metrics: { accuracy: 0.9512, loss: 0.2 },
      trainSeconds: 12.34, samplesPerSecond: 1000, freezeEvents: [], flopsSaved: { forward: 0.1, backward: 0.31 },
    }),
    '95.1% test accuracy in 12 s, 31% backward FLOPs saved',
  );
  assert.equal(
    outcomeText({ ...base, kind: 'extract-train', backend: 'wasm', modelFile: '/m/extractor.json', dev: scores, trainSeconds: 250 }),
    'dev entity F1 78.8%, relation F1 52.9%, trained in 4 min 10 s',
  );
  assert.equal(outcomeText({ ...base, kind: 'extract-train', backend: 'wasm', trainSeconds: 5 }), 'trained in 5.0 s');
  assert.equal(
    outcomeText({ ...base, kind: 'extract-eval', provider: 'builtin', scores, seconds: 3 }),
    'entity F1 78.8%, relation F1 52.9% on 231 sentences (builtin)',
  );
  const causal = { macroF1: 0.7608, causal: { precision: 0.835, recall: 0.86, f1: 0.8473 }, rationale: { comprehensiveness: 0.528, sufficiency: 0.041, randomComprehensiveness: 0.119, randomSufficiency: 0.515 }, sentences: 799 };
  assert.equal(
    outcomeText({ ...base, kind: 'extract-eval', provider: 'builtin', causal, seconds: 9 }),
    'official macro-F1 76.1%, Cause-Effect F1 84.7%, rationale comprehensiveness 0.53 (random 0.12) on 799 sentences',
  );
  assert.equal(
    outcomeText({ ...base, kind: 'diffusion-policy', onMode: 0.981, modeShares: [0.254, 0.237, 0.246, 0.244], bestModeShare: 0.244, expectedReward: 2.35 }),
    '98.1% of samples on a data mode, 24.4% on the best-reward mode',
  );
  assert.equal(outcomeText({ ...base, status: 'cancelled', kind: 'diffusion-policy' }), 'stopped before its first measurement');
  assert.equal(
    outcomeText({ ...base, kind: 'diffusion', 'coarse-to-fine': { distance: 12.34, distance7: 3, classConsistency: 0.85 }, 'single-scale': { distance: 15.01, distance7: 4, classConsistency: 0.8 } }),
    'coarse-to-fine: distance 12.3, class consistency 85.0%; single-scale: distance 15.0, class consistency 80.0%',
  );
});
