import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { conll04ToDocument, parseConll04 } from '../../../../src/core/extract/conll04';
import { scoreExtraction } from '../../../../src/core/extract/eval';
import { defaultExtractorModelFile } from '../../../../src/core/extract/modelPath';
import { BuiltinProvider, splitSentences } from '../../../../src/core/extract/providers/builtin';
import { tokenizeWords } from '../../../../src/core/extract/builtin/tokenize';
import { CONLL04_SCHEMA, validateExtractionSchema } from '../../../../src/core/extract/schema';
import { isLowConfidence } from '../../../../src/panels/extract/viewModel';

const ROOT = path.join(__dirname, '../../../..');

test('the shipped model is found from the sources and is within the 10 MB budget', () => {
  const file = defaultExtractorModelFile();
  assert.equal(file, path.join(ROOT, 'models/extractor/extractor.json'));
  const meta = JSON.parse(readFileSync(file, 'utf8')) as { weightsFile: string };
  const size = readFileSync(file).length + readFileSync(path.join(path.dirname(file), meta.weightsFile)).length;
  assert.ok(size <= 10 * 1024 * 1024, `${size} bytes`);
});

test('built-in provider: spans are input slices, types follow the schema, sample F1 is sensible', async () => {
  const provider = await BuiltinProvider.create();
  try {
    const text = readFileSync(path.join(ROOT, 'examples/extraction/sample.txt'), 'utf8');
    const r = await provider.extract(text, CONLL04_SCHEMA);
    assert.equal(r.provider, 'builtin');
    assert.equal(r.ungrounded, 0);
    assert.ok(r.entities.length >= 5);
    for (const e of r.entities) {
      assert.equal(text.slice(e.start, e.end), e.text);
      assert.equal(e.grounding, 'exact');
    }
    const texts = r.entities.map((e) => e.text);
    assert.ok(texts.includes('Lee Harvey Oswald') || texts.includes('John F. Kennedy'), texts.join(' | '));
    for (const rel of r.relations) {
      assert.equal(text.slice(rel.head.start, rel.head.end), rel.head.text);
      const def = CONLL04_SCHEMA.relations.find((d) => d.type === rel.type)!;
      assert.deepEqual([rel.head.type, rel.tail.type], [def.head, def.tail]);
    }

    // A schema with only people: no other types, no relations.
    const peopleOnly = validateExtractionSchema({ entities: { Peop: {} } });
    const p = await provider.extract(text, peopleOnly);
    assert.ok(p.entities.length > 0 && p.entities.every((e) => e.type === 'Peop'));
    assert.deepEqual(p.relations, []);

    // Held-out sentences (dev, not trained on): well above chance.
    const sample = parseConll04(readFileSync(path.join(ROOT, 'examples/extraction/conll04-sample.json'), 'utf8')).slice(0, 25);
    const gold = sample.map((s) => conll04ToDocument(s));
    const pred = [];
    for (const d of gold) pred.push(await provider.extract(d.text, CONLL04_SCHEMA));
    const scores = scoreExtraction(gold, pred);
    assert.ok(scores.entity.f1 > 0.6, `entity F1 ${scores.entity.f1}`);
    assert.ok(scores.relation.f1 > 0.25, `relation F1 ${scores.relation.f1}`);

    assert.deepEqual(await provider.extract('', CONLL04_SCHEMA), { entities: [], relations: [], events: [], ungrounded: 0, provider: 'builtin' });
  } finally {
    provider.dispose();
  }
});

test('sentence splitting for relation pairing: at standalone . ! ? and blank lines', () => {
  const text = 'A met B . C left!\n\nD stayed';
  const parts = splitSentences(tokenizeWords(text), text).map((s) => s.map((t) => t.text).join(' '));
  assert.deepEqual(parts, ['A met B .', 'C left !', 'D stayed']);
});

test('built-in provider: no entity has a bidirectional control inside it', async () => {
  const provider = await BuiltinProvider.create();
  try {
    const text = 'Lee Harvey Oswald\u202E shot President John F. Kennedy in \u2066Dallas on November 22, 1963. Jack Ru\u202Eby shot Oswald.';
    const r = await provider.extract(text, CONLL04_SCHEMA);
    for (const e of [...r.entities, ...r.relations.flatMap((x) => [x.head, x.tail])]) {
      assert.ok(!/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/.test(e.text), JSON.stringify(e));
    }
    // Trimmed at the ends, not dropped: the model still finds the person.
    assert.ok(r.entities.some((e) => e.text === 'Lee Harvey Oswald'), JSON.stringify(r.entities));
  } finally {
    provider.dispose();
  }
});

test("the shipped model on a paragraph of today's news: the defects named in issue 17", async () => {
  const provider = await BuiltinProvider.create();
  try {
    const text = 'Maria Lopez works for Siemens in Munich. Shares of Siemens rose 4 percent on Tuesday after the company raised its forecast. ' +
      'Tim Cook, the chief executive of Apple, met Maria Lopez in Berlin on Monday.';
    const r = await provider.extract(text, CONLL04_SCHEMA);
    const of = (t: string) => r.entities.filter((e) => e.text === t).map((e) => e.type);
    // Tokenisation: the sentence's final period is not part of the location.
    assert.deepEqual(of('Munich'), ['Loc']);
    assert.ok(!r.entities.some((e) => e.text.endsWith('.')), JSON.stringify(r.entities));
    // Typing: Siemens is an organisation (both times), the people are people, and "Shares"
    // opening a sentence is not a person (a common word where capitalisation says nothing).
    assert.deepEqual(of('Siemens'), ['Org', 'Org']);
    assert.ok(!of('Shares').includes('Peop'), JSON.stringify(r.entities));
    assert.deepEqual(of('Maria Lopez'), ['Peop', 'Peop']);
    assert.deepEqual(of('Tim Cook'), ['Peop']);
    // Relations: type-compatible arguments, evidence in the sentence, the right reading.
    const rel = r.relations.map((x) => `${x.type}(${x.head.text}; ${x.tail.text})`);
    assert.ok(!r.relations.some((x) => x.type === 'Kill'), rel.join(' '));
    assert.ok(rel.includes('Work_For(Maria Lopez; Siemens)'), rel.join(' '));
    assert.ok(!rel.includes('Live_In(Maria Lopez; Siemens)'), rel.join(' '));
    for (const x of r.relations) {
      const def = CONLL04_SCHEMA.relations.find((d) => d.type === x.type)!;
      assert.deepEqual([x.head.type, x.tail.type], [def.head, def.tail]);
      for (const w of x.rationale ?? []) assert.equal(text.slice(w.start, w.end), w.text);
    }
    // Calibrated confidences on every span, low ones marked for the panel.
    for (const e of r.entities) assert.equal(isLowConfidence(e), e.confidence! < 0.5);
    for (const e of r.entities) assert.ok(e.confidence !== undefined && e.confidence > 0 && e.confidence <= 1, JSON.stringify(e));
  } finally {
    provider.dispose();
  }
});

test('a sentence\'s first word that is a common word is not read as a person; names there still are', async () => {
  const provider = await BuiltinProvider.create();
  try {
    const prior = provider.model.meta.tagger.sentenceStartPrior;
    assert.ok(prior && prior.strength > 0 && prior.type === 'Peop', JSON.stringify(prior));
    const people = async (text: string) => (await provider.extract(text, CONLL04_SCHEMA)).entities.filter((e) => e.type === 'Peop').map((e) => e.text);
    // The evidence: with it "Shares" and "Tourists" are no longer people; without it they were.
    const text = 'Shares of Siemens rose 3 percent on Tuesday. Tourists were evacuated from the island of Rhodes as fires spread.';
    assert.deepEqual(await people(text), []);
    provider.model.meta.tagger.sentenceStartPrior = undefined;
    try {
      assert.deepEqual(await people(text), ['Shares', 'Tourists']);
    } finally {
      provider.model.meta.tagger.sentenceStartPrior = prior;
    }
    // Left alone: a common word that is a known surname, a name of two capitalised words, a first name.
    assert.deepEqual(await people('Bush said the talks would go on.'), ['Bush']);
    assert.deepEqual(await people('Xi Jinping hosted African leaders in Beijing for a summit.'), ['Xi Jinping']);
    assert.deepEqual(await people('Maria said the plant would close.'), ['Maria']);
  } finally {
    provider.dispose();
  }
});
