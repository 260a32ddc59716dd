import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CausalModel } from '../../../../src/core/extract/causal/causalModel';
import { evaluateCausal } from '../../../../src/core/extract/causal/evaluateCausal';
import { erasureDrops } from '../../../../src/core/extract/causal/rationale';
import { defaultCausalModelFile } from '../../../../src/core/extract/modelPath';
import { BuiltinProvider } from '../../../../src/core/extract/providers/builtin';
import { CAUSAL_SCHEMA, CONLL04_SCHEMA } from '../../../../src/core/extract/schema';
import { loadSemEval8 } from '../../../../src/core/extract/semeval8';
import { initBackend } from '../../../../src/core/tensor/backend';

const ROOT = path.join(__dirname, '../../../..');
const SAMPLE = path.join(ROOT, 'examples/extraction/semeval8-sample.txt');

test('the shipped causal model is found from the sources, is small, and saves and loads to the same decisions', async () => {
  await initBackend();
  const file = defaultCausalModelFile();
  assert.equal(file, path.join(ROOT, 'models/causal/causal.json'));
  const meta = JSON.parse(readFileSync(file, 'utf8')) as { weightsFile: string };
  const size = statSync(file).size + statSync(path.join(path.dirname(file), meta.weightsFile)).size;
  assert.ok(size <= 5 * 1024 * 1024, `${size} bytes`);
  const model = await CausalModel.load(file);
  const dir = mkdtempSync(path.join(tmpdir(), 'causal-model-'));
  try {
    await model.save(dir, 'copy');
    const copy = await CausalModel.load(path.join(dir, 'copy.json'));
    try {
      const sentences = await loadSemEval8(SAMPLE);
      const a = evaluateCausal(model, sentences);
      const b = evaluateCausal(copy, sentences);
      assert.deepEqual(b.official, a.official);
      assert.deepEqual(b.rationale, a.rationale);
      const tokens = sentences.map((s) => s.tokens);
      assert.deepEqual(copy.decide(tokens), model.decide(tokens));
    } finally {
      copy.dispose();
    }
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('not a causal model: a clear error naming the file', async () => {
  await assert.rejects(CausalModel.load(path.join(ROOT, 'models/extractor/extractor.json')), /not a model-lab causal model/);
});

test('built-in provider with the causal schema: Cause and Effect spans of the input, the relation with its rationale', async () => {
  const provider = await BuiltinProvider.create();
  try {
    const text = 'Heavy rain resulted in a flood. The delay was caused by a broken signal near the station.';
    const r = await provider.extract(text, CAUSAL_SCHEMA);
    assert.equal(r.ungrounded, 0);
    for (const e of r.entities) {
      assert.equal(text.slice(e.start, e.end), e.text);
      assert.ok(['Cause', 'Effect'].includes(e.type), e.type);
    }
    const pairs = r.relations.map((x) => `${x.head.text} -> ${x.tail.text}`);
    assert.ok(pairs.some((p) => /rain -> .*flood/.test(p)), pairs.join(' | '));
    assert.ok(pairs.some((p) => /signal -> .*delay/.test(p)), pairs.join(' | '));
    for (const x of r.relations) {
      assert.equal(x.type, 'Cause-Effect');
      assert.ok(x.rationale !== undefined);
      for (const w of x.rationale) {
        assert.equal(text.slice(w.start, w.end), w.text);
        // A rationale word is outside both nominals.
        assert.ok(w.end <= x.head.start || w.start >= x.head.end);
        assert.ok(w.end <= x.tail.start || w.start >= x.tail.end);
      }
    }
    // The CoNLL04 schema is answered by the extractor: no causal types.
    const conll = await provider.extract(text, CONLL04_SCHEMA);
    assert.ok(conll.entities.every((e) => CONLL04_SCHEMA.entities.some((d) => d.type === e.type)));
    assert.ok(conll.relations.every((x) => x.type !== 'Cause-Effect'));
  } finally {
    provider.dispose();
  }
});

test('the shipped model\'s rationale module is the learned selector: one pass selects the cue, and its rationales beat random ones', async () => {
  await initBackend();
  const model = await CausalModel.load(defaultCausalModelFile());
  try {
    assert.ok(model.selector, 'the shipped causal model has a learned rationale selector');
    const tokens = 'The delay was caused by a broken signal near the station .'.split(' ');
    const [decisions] = model.decide([tokens]);
    const d = decisions.find((x) => tokens[x.cause.end - 1] === 'signal' && tokens[x.effect.end - 1] === 'delay');
    assert.ok(d, JSON.stringify(decisions));
    const words = d.rationale.tokens.map((i) => tokens[i]);
    assert.ok(words.includes('caused') || words.includes('by'), words.join(' '));
    assert.ok(words.length <= model.meta.rationale.maxTokens);
    // The words the selector picks whose erasure lowers p, each scored by that drop.
    const pair = { tokens, e1: d.effect, e2: d.cause };
    const label = model.meta.classifier.labels.indexOf('Cause-Effect(e2,e1)');
    const selected = model.selector.select(pair, 'Cause-Effect(e2,e1)', model.meta.rationale.maxTokens);
    const drops = erasureDrops(model.classifier, pair, label, selected);
    assert.deepEqual(d.rationale.tokens, selected.filter((_, k) => drops[k] > 0));
    assert.deepEqual(d.rationale.scores, drops.filter((x) => x > 0));
    const { rationale } = evaluateCausal(model, await loadSemEval8(SAMPLE));
    assert.ok(rationale.comprehensiveness > 2 * rationale.randomComprehensiveness, JSON.stringify(rationale));
    assert.ok(rationale.sufficiency < rationale.randomSufficiency, JSON.stringify(rationale));
  } finally {
    model.dispose();
  }
});
