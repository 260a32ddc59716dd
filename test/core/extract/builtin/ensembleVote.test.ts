import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../../src/core/tensor/backend';
import { bilouTags, viterbiDecode } from '../../../../src/core/extract/builtin/bilou';
import { crfConstraints, crfTransitionScores } from '../../../../src/core/extract/builtin/crf';
import { ExtractorModel, type ExtractorMeta } from '../../../../src/core/extract/builtin/extractorModel';
import { embedBagValues, initialTaggerParams, packIds, taggerLogits, type Params } from '../../../../src/core/extract/builtin/network';
import { parseConll04 } from '../../../../src/core/extract/conll04';
import { CONLL04_SCHEMA } from '../../../../src/core/extract/schema';

const SAMPLE = parseConll04(readFileSync(path.join(__dirname, '../../../../examples/extraction/conll04-sample.json'), 'utf8'));

test('a CRF ensemble decodes the mean of its members\' emission and transition scores', async () => {
  await initBackend('cpu');
  const types = CONLL04_SCHEMA.entities.map((e) => e.type);
  const nTags = bilouTags(types).length;
  const sentences = SAMPLE.slice(0, 12).map((s) => s.tokens);
  const meta: ExtractorMeta = {
    format: 'model-lab-extractor', version: 1, entityTypes: types, relations: [],
    tagger: { features: [], dim: 8, hidden: 8, ensemble: 2, crf: true },
    relation: { features: [], dim: 4, hidden: 4, threshold: 0.5 }, gazetteer: { phrases: {}, words: {}, maxLength: 1 },
  };
  meta.tagger.features = [...new Set(sentences.flatMap((s) => new ExtractorModel(meta, {}).tokenFeatures(s, undefined).flat()))];
  // Two members that disagree with confidence: large random output and transition weights.
  const params: Params = {};
  for (const [prefix, seed] of [['tagger', 1], ['tagger2', 50]] as const) {
    const p = initialTaggerParams({ features: meta.tagger.features.length, dim: 8, hidden: 8, tags: nTags, crf: true }, seed, prefix);
    for (const [n, v] of Object.entries(p)) params[n] = n.endsWith('.emb') ? v.mul(5) : v;
    params[`${prefix}.out.w`] = p[`${prefix}.out.w`].mul(4);
    params[`${prefix}.crf.trans`] = tf.randomNormal([nTags, nTags], 0, 2, 'float32', seed + 7);
  }
  const model = new ExtractorModel(meta, params);

  // Reference: per sentence, the members' emissions averaged, Viterbi over the averaged CRF scores.
  const mean = (a: tf.Tensor, b: tf.Tensor) => a.add(b).div(2).dataSync() as Float32Array;
  const transitions = crfTransitionScores({
    trans: mean(params['tagger.crf.trans'], params['tagger2.crf.trans']),
    start: mean(params['tagger.crf.start'], params['tagger2.crf.start']),
    end: mean(params['tagger.crf.end'], params['tagger2.crf.end']),
  }, crfConstraints(types));
  let differsFromProbabilityVote = false;
  const expected = sentences.map((s) => {
    const { ids, mask, k } = packIds(model.tokenFeatures(s).map((f) => model.tagVocab.ids(f)));
    const logits = ['tagger', 'tagger2'].map((prefix) => taggerLogits(
      params, { sums: tf.tensor2d(embedBagValues(params[`${prefix}.emb`].dataSync() as Float32Array, 8, ids, mask, k), [s.length, 8]) }, 1, s.length, 0, prefix));
    const byEmissions = viterbiDecode(mean(logits[0], logits[1]), s.length, types, transitions);
    const probs = tf.log(tf.softmax(logits[0]).add(tf.softmax(logits[1])).div(2)).dataSync() as Float32Array;
    if (JSON.stringify(viterbiDecode(probs, s.length, types, transitions)) !== JSON.stringify(byEmissions)) differsFromProbabilityVote = true;
    return byEmissions;
  });
  assert.ok(differsFromProbabilityVote, 'the test data tells the two ways of voting apart');
  // One sentence per call: no padding positions next to the sentence in the convolutions.
  const spans = (x: { type: string; start: number; end: number }[]) => x.map(({ type, start, end }) => [type, start, end]);
  assert.deepEqual(sentences.map((s) => spans(model.predictEntities([s])[0])), expected.map(spans));
});
