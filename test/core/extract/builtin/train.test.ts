import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../../../src/core/tensor/backend';
import { ExtractorModel } from '../../../../src/core/extract/builtin/extractorModel';
import { isIdentityFeature, trainExtractor } from '../../../../src/core/extract/builtin/train';
import { parseConll04 } from '../../../../src/core/extract/conll04';
import { CONLL04_SCHEMA } from '../../../../src/core/extract/schema';
import { UserError } from '../../../../src/core/errors';

const SAMPLE = parseConll04(readFileSync(path.join(__dirname, '../../../../examples/extraction/conll04-sample.json'), 'utf8'));

test('a small extractor learns its training sentences and survives save/load unchanged', async () => {
  await initBackend();
  const train = SAMPLE.slice(0, 24);
  const progress: string[] = [];
  const { model, dev } = await trainExtractor({
    train, dev: train, schema: CONLL04_SCHEMA, taggerEpochs: 10, relationEpochs: 10, batchSize: 4, dim: 16, hidden: 16, relationDim: 16, relationHidden: 16,
    learningRate: 0.01, dropout: 0, seed: 3, onProgress: (e) => progress.push(e.phase),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'extractor-'));
  try {
    assert.ok(dev, 'scores on the dev set');
    // Fitting 24 sentences: well above what an untrained model gets (about 0).
    assert.ok(dev!.entity.f1 > 0.6, `entity F1 ${dev!.entity.f1}`);
    assert.ok(dev!.relation.f1 > 0.3, `relation F1 ${dev!.relation.f1}`);
    assert.deepEqual([...new Set(progress)], ['tagger', 'relation', 'threshold']);
    await model.save(dir);
    const loaded = await ExtractorModel.load(path.join(dir, 'extractor.json'));
    const sentences = SAMPLE.slice(30, 40).map((s) => s.tokens);
    const strip = (p: ReturnType<ExtractorModel['predict']>) => p.map((s) => ({ e: s.entities.map(({ type, start, end }) => [type, start, end]), r: s.relations.map(({ type, head, tail }) => [type, head, tail]) }));
    // Embeddings are quantised on save, so compare decoded spans, not raw scores.
    assert.deepEqual(strip(loaded.predict(sentences)), strip(model.predict(sentences)));
    assert.equal(loaded.meta.relation.threshold, model.meta.relation.threshold);
    loaded.dispose();
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tagger ensemble (with char CNNs) is reproducible from its seed (dropout included) and saved with all members', async () => {
  await initBackend();
  const train = SAMPLE.slice(0, 16);
  const run = () => trainExtractor({
    train, dev: train, schema: CONLL04_SCHEMA, taggerEpochs: 3, relationEpochs: 1, batchSize: 4, dim: 8, hidden: 8, relationDim: 8, relationHidden: 8,
    learningRate: 0.01, dropout: 0.3, seed: 5, taggerEnsemble: 2, charCnn: 4,
  });
  const a = await run();
  const b = await run();
  const dir = mkdtempSync(path.join(tmpdir(), 'extractor-'));
  try {
    assert.equal(a.model.meta.tagger.ensemble, 2);
    assert.deepEqual(Array.from(a.model.params['tagger2.out.w'].dataSync()), Array.from(b.model.params['tagger2.out.w'].dataSync()));
    assert.deepEqual(Array.from(a.model.params['tagger.char.w'].dataSync()), Array.from(b.model.params['tagger.char.w'].dataSync()));
    assert.deepEqual(Array.from(a.model.params['rel.out.w'].dataSync()), Array.from(b.model.params['rel.out.w'].dataSync()));
    // The members differ (own initialisation and batches), so the ensemble is not one model twice.
    assert.notDeepEqual(Array.from(a.model.params['tagger.out.w'].dataSync()), Array.from(a.model.params['tagger2.out.w'].dataSync()));
    await a.model.save(dir);
    const loaded = await ExtractorModel.load(path.join(dir, 'extractor.json'));
    assert.deepEqual(Object.keys(loaded.params).filter((n) => n.startsWith('tagger2.')).sort(), Object.keys(a.model.params).filter((n) => n.startsWith('tagger2.')).sort());
    const sentences = SAMPLE.slice(30, 40).map((s) => s.tokens);
    assert.deepEqual(loaded.predictEntities(sentences).map((s) => s.map(({ type, start, end }) => [type, start, end])),
      a.model.predictEntities(sentences).map((s) => s.map(({ type, start, end }) => [type, start, end])));
    loaded.dispose();
  } finally {
    a.model.dispose();
    b.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a CRF + GRU tagger with weight averaging and word lists learns, and the saved model reproduces it', async () => {
  await initBackend();
  const train = SAMPLE.slice(0, 24);
  const wordLists = { common: ['the', 'president', 'city'], proper: ['kennedy', 'dallas'], places: { tzcity: ['dallas', 'new york'] } };
  const { model, dev } = await trainExtractor({
    train, dev: train, schema: CONLL04_SCHEMA, taggerEpochs: 10, relationEpochs: 2, batchSize: 4, dim: 16, hidden: 16, relationDim: 8, relationHidden: 8,
    learningRate: 0.01, dropout: 0, seed: 3, crf: true, rnn: 8, weightAverage: 0.9, wordLists,
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'extractor-'));
  try {
    assert.ok(dev!.entity.f1 > 0.6, `entity F1 ${dev!.entity.f1}`);
    assert.equal(model.meta.tagger.crf, true);
    assert.ok(model.params['tagger.crf.trans'] && model.params['tagger.gru.bw.u'], 'CRF and GRU weights exist');
    // The CRF learned something about transitions (they start at 0).
    assert.ok(Math.max(...Array.from(model.params['tagger.crf.trans'].dataSync(), Math.abs)) > 0.01);
    const feats = model.tokenFeatures(['Dallas', 'city', 'Zyx'], undefined);
    assert.ok(feats[0].includes('dict=proper|cap') && feats[0].includes('lx=tzcity'));
    assert.ok(feats[1].includes('dict=common|low'));
    assert.ok(feats[2].includes('dict=none|cap'));
    await model.save(dir);
    const loaded = await ExtractorModel.load(path.join(dir, 'extractor.json'));
    assert.deepEqual(loaded.meta.tagger.wordLists, wordLists);
    const sentences = SAMPLE.slice(30, 40).map((s) => s.tokens);
    const spans = (m: ExtractorModel) => m.predictEntities(sentences).map((s) => s.map(({ type, start, end }) => [type, start, end]));
    assert.deepEqual(spans(loaded), spans(model));
    loaded.dispose();
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training data with a type outside the schema is a user error', async () => {
  const schema = { ...CONLL04_SCHEMA, entities: CONLL04_SCHEMA.entities.filter((e) => e.type !== 'Other') };
  await assert.rejects(trainExtractor({ train: SAMPLE.slice(0, 5), schema, taggerEpochs: 1, relationEpochs: 1 }), (e: unknown) => e instanceof UserError && /"Other"/.test(e.message));
  await assert.rejects(trainExtractor({ train: [] }), UserError);
  await assert.rejects(trainExtractor({ train: SAMPLE.slice(0, 5), schema: CONLL04_SCHEMA, taggerEnsemble: 0 }), (e: unknown) => e instanceof UserError && /taggerEnsemble/.test(String(e.pointer ?? e.message)));
});

test('a stop request is honoured at the next batch, not at the end of the epoch', async () => {
  await initBackend();
  const controller = new AbortController();
  const progress: string[] = [];
  // Aborted on the event loop's next turn, which training gives it after its first batch.
  setImmediate(() => controller.abort());
  await assert.rejects(
    trainExtractor({
      train: SAMPLE.slice(0, 40), schema: CONLL04_SCHEMA, taggerEpochs: 3, relationEpochs: 3, batchSize: 2, dim: 8, hidden: 8, relationDim: 8, relationHidden: 8,
      seed: 1, signal: controller.signal, onProgress: (e) => progress.push(`${e.phase} ${'epoch' in e ? e.epoch : ''}`),
    }),
    (e: unknown) => e instanceof UserError && /cancelled/.test(e.message),
  );
  assert.deepEqual(progress, [], 'no epoch finished after the stop');
});

test('name dropout hides only the identity features of entity tokens, and training with it is seeded', async () => {
  assert.deepEqual(['w=Siemens', 'l=siemens', 'c3=sie', 'p4=siem', 's4=mens', 'gz=U-Org', 'gw=Org', 'sh=Xx', 'p2=si', 's3=ens', 'lx=cmp-org', 'dict=none|cap', 'cap']
    .filter(isIdentityFeature), ['w=Siemens', 'l=siemens', 'c3=sie', 'p4=siem', 's4=mens', 'gz=U-Org', 'gw=Org']);
  await initBackend();
  const train = SAMPLE.slice(0, 12);
  const weights = async (nameDropout: number) => {
    const { model } = await trainExtractor({
      train, schema: CONLL04_SCHEMA, taggerEpochs: 2, relationEpochs: 1, batchSize: 4, dim: 8, hidden: 8, relationDim: 8, relationHidden: 8, seed: 9, nameDropout,
    });
    const w = Array.from(model.params['tagger.emb'].dataSync());
    assert.equal(model.meta.training?.nameDropout, nameDropout);
    model.dispose();
    return w;
  };
  const a = await weights(0.5);
  assert.deepEqual(await weights(0.5), a);
  assert.notDeepEqual(await weights(0), a);
});

test('relations need evidence in the sentence: erasing the words outside their arguments must lower their probability by minEvidence', async () => {
  await initBackend();
  const train = SAMPLE.slice(0, 24);
  const { model } = await trainExtractor({
    train, schema: CONLL04_SCHEMA, taggerEpochs: 10, relationEpochs: 10, batchSize: 4, dim: 16, hidden: 16, relationDim: 16, relationHidden: 16,
    learningRate: 0.01, dropout: 0, seed: 3,
  });
  try {
    const sentences = train.map((s) => s.tokens);
    const all = model.predict(sentences).flatMap((p) => p.relations.map((r) => ({ r, entities: p.entities })));
    assert.ok(all.length > 5, `${all.length} relations`);
    for (const { r, entities } of all) {
      assert.ok(r.evidence <= r.score + 1e-6);
      // Rationale words lie outside both arguments.
      for (const i of r.rationale.tokens) {
        for (const e of [entities[r.head], entities[r.tail]]) assert.ok(i < e.start || i >= e.end);
      }
      assert.equal(r.rationale.tokens.length, r.rationale.scores.length);
    }
    const cut = all.map(({ r }) => r.evidence).sort((x, y) => x - y)[Math.floor(all.length / 2)];
    model.meta.relation.minEvidence = cut;
    const kept = model.predict(sentences).flatMap((p) => p.relations);
    assert.equal(kept.length, all.filter(({ r }) => r.evidence >= cut).length);
    assert.ok(kept.every((r) => r.evidence >= cut));
    model.meta.relation.minEvidence = 1.01;
    assert.equal(model.predict(sentences).flatMap((p) => p.relations).length, 0);
  } finally {
    model.dispose();
  }
});
