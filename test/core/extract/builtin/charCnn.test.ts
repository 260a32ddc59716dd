import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../../src/core/tensor/backend';
import {
  MAX_CHARS, buildCharVocab, charEmbedValues, charEncode, charIds, charIndex, charVocabSize, type CharCnnConfig,
} from '../../../../src/core/extract/builtin/charCnn';
import { initialTaggerParams, taggerLogits } from '../../../../src/core/extract/builtin/network';
import { ExtractorModel } from '../../../../src/core/extract/builtin/extractorModel';
import { trainExtractor } from '../../../../src/core/extract/builtin/train';
import { parseConll04 } from '../../../../src/core/extract/conll04';
import { CONLL04_SCHEMA } from '../../../../src/core/extract/schema';

const SAMPLE = parseConll04(readFileSync(path.join(__dirname, '../../../../examples/extraction/conll04-sample.json'), 'utf8'));

const CONFIG: CharCnnConfig = { chars: buildCharVocab(['Dallas', 'Oswald', 'shot', 'in', '1963'], 1), dim: 4, filters: 5 };

test('character ids: begin/end markers, unknown characters, padding positions and long words', () => {
  const index = charIndex(CONFIG);
  const long = 'a'.repeat(15) + 'D' + 's'.repeat(14); // 30 characters: keeps the first and last 10
  const { ids, mask, width } = charIds(['in', null, 'Dallas!', long], index);
  assert.equal(width, MAX_CHARS + 2);
  const row = (i: number) => Array.from(ids.subarray(i * width, (i + 1) * width));
  const used = (i: number) => Array.from(mask.subarray(i * width, (i + 1) * width)).reduce((a, b) => a + b, 0);
  assert.deepEqual(row(0).slice(0, 5), [2, index.get('i'), index.get('n'), 3, 0]);
  assert.equal(used(0), 4);
  assert.equal(used(1), 0);
  assert.equal(row(2)[7], 1, '"!" was not in the vocabulary: unknown');
  assert.equal(used(3), MAX_CHARS + 2);
  assert.ok(!row(3).includes(index.get('D')!), 'the middle of a long word is dropped');
  assert.equal(row(3)[11], index.get('s'), 'then its last 10 characters');
});

test('char CNN: one vector per position, zero for padding; the JavaScript lookup equals tf.gather', async () => {
  await initBackend('wasm');
  const p = initialTaggerParams({ features: 10, dim: 6, hidden: 8, tags: 5, charCnn: CONFIG }, 7, 'tagger');
  assert.deepEqual(p['tagger.char.emb'].shape, [charVocabSize(CONFIG), 4]);
  assert.deepEqual(p['tagger.conv1.w'].shape, [5, 6 + 5, 8], 'the first convolution sees features and characters');
  const c = charIds(['shot', 'Dallas', null], charIndex(CONFIG));
  const mask = tf.tensor2d(c.mask, [3, c.width]);
  const out = charEncode(p, 'tagger', { ids: tf.tensor2d(c.ids, [3, c.width], 'int32'), mask });
  assert.deepEqual(out.shape, [3, 5]);
  const v = out.dataSync();
  assert.deepEqual(Array.from(v.subarray(10, 15)), [0, 0, 0, 0, 0]);
  assert.ok(v.subarray(0, 10).some((x) => x > 0));
  const table = p['tagger.char.emb'].dataSync() as Float32Array;
  const viaJs = charEncode(p, 'tagger', { values: tf.tensor3d(charEmbedValues(table, 4, c.ids), [3, c.width, 4]), mask });
  assert.deepEqual(Array.from(viaJs.dataSync()), Array.from(v));
});

test('char CNN: gradients of the tagger loss reach its weights on the wasm backend', async () => {
  await initBackend('wasm');
  const p = initialTaggerParams({ features: 10, dim: 6, hidden: 8, tags: 5, charCnn: CONFIG }, 3, 'tagger');
  const tokens = ['Oswald', 'shot', 'in', 'Dallas', null, null];
  const c = charIds(tokens, charIndex(CONFIG));
  const names = ['tagger.char.emb', 'tagger.char.w', 'tagger.char.b'];
  const { grads } = tf.variableGrads(() => {
    const logits = taggerLogits(p, { ids: tf.tensor2d([[1], [2], [3], [4], [0], [0]], [6, 1], 'int32'), mask: tf.tensor2d([[1], [1], [1], [1], [0], [0]]) },
      2, 3, 0, 'tagger', undefined, [3, 1], { ids: tf.tensor2d(c.ids, [6, c.width], 'int32'), mask: tf.tensor2d(c.mask, [6, c.width]) });
    return logits.square().sum() as tf.Scalar;
  }, names.map((n) => p[n] as tf.Variable));
  for (const n of names) {
    const g = grads[(p[n] as tf.Variable).name].dataSync();
    assert.ok(g.every(Number.isFinite), `${n}: finite`);
    assert.ok(g.some((x) => x !== 0), `${n}: non-zero gradient`);
  }
  // Only characters that occur get a gradient (padding and unused rows stay zero).
  const emb = grads[(p['tagger.char.emb'] as tf.Variable).name].arraySync() as number[][];
  assert.ok(emb[0].every((x) => x === 0), 'padding row');
  assert.ok(emb[charIndex(CONFIG).get('9')!].every((x) => x === 0), 'a character absent from the batch');
});

test('a tagger with a char CNN trains, is stored in the config and predicts the same after save/load', async () => {
  await initBackend('wasm');
  const train = SAMPLE.slice(0, 16);
  const { model } = await trainExtractor({
    train, schema: CONLL04_SCHEMA, taggerEpochs: 3, relationEpochs: 1, batchSize: 4, dim: 8, hidden: 8, relationDim: 8, relationHidden: 8,
    learningRate: 0.01, seed: 2, taggerEnsemble: 2, crf: true, rnn: 4, charCnn: 6, charDim: 5,
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'extractor-char-'));
  try {
    assert.equal(model.meta.tagger.charCnn?.filters, 6);
    assert.equal(model.meta.tagger.charCnn?.dim, 5);
    assert.ok(model.meta.tagger.charCnn!.chars.includes('e'));
    assert.ok(model.params['tagger2.char.w'], 'every ensemble member has its own encoder');
    await model.save(dir);
    const loaded = await ExtractorModel.load(path.join(dir, 'extractor.json'));
    const sentences = SAMPLE.slice(30, 40).map((s) => s.tokens);
    // The char weights are small enough to be stored as float32; the rest is quantised, so compare decoded spans.
    assert.deepEqual(loaded.predictEntities(sentences), model.predictEntities(sentences));
    assert.deepEqual(Array.from(loaded.params['tagger.char.w'].dataSync()), Array.from(model.params['tagger.char.w'].dataSync()));
    loaded.dispose();
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
