import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../../src/core/errors';
import type { ExtractTrainExperiment } from '../../../../src/core/experiment/types';
import { runExtractTrain } from '../../../../src/core/extract/builtin/extractTrainJob';
import { ExtractorModel } from '../../../../src/core/extract/builtin/extractorModel';
import { initBackend } from '../../../../src/core/tensor/backend';

const SAMPLE = path.join(__dirname, '../../../../examples/extraction/conll04-sample.json');
const SHIPPED = path.join(__dirname, '../../../../models/extractor/extractor.json');

test('extract-train: trains on the user files and writes a loadable model with the shipped word lists', async () => {
  await initBackend();
  const dir = mkdtempSync(path.join(tmpdir(), 'extract-train-'));
  try {
    const sentences = JSON.parse(readFileSync(SAMPLE, 'utf8')) as unknown[];
    writeFileSync(path.join(dir, 'train.json'), JSON.stringify(sentences.slice(0, 6)));
    writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(sentences.slice(6, 9)));
    const exp = (training: ExtractTrainExperiment['training'], dev = true): ExtractTrainExperiment => ({
      kind: 'extract-train', name: 't',
      data: { format: 'conll04', train: path.join(dir, 'train.json'), ...(dev ? { dev: path.join(dir, 'dev.json') } : {}) },
      training,
    });
    const phases = new Set<string>();
    const r = await runExtractTrain(exp({ taggerEpochs: 1, relationEpochs: 1 }), path.join(dir, 'out'), { onProgress: (e) => phases.add(e.phase) });
    assert.equal(r.modelFile, path.join(dir, 'out', 'extractor.json'));
    assert.equal(r.dev?.sentences, 3);
    assert.ok(phases.has('tagger') && phases.has('relation'));
    const model = await ExtractorModel.load(r.modelFile);
    assert.deepEqual(model.meta.entityTypes, ['Loc', 'Org', 'Other', 'Peop']);
    const shipped = JSON.parse(readFileSync(SHIPPED, 'utf8'));
    assert.deepEqual(model.meta.tagger.wordLists, shipped.tagger.wordLists);
    model.dispose();

    const crf = await runExtractTrain(exp({ taggerEpochs: 1, relationEpochs: 1, crf: true, rnn: 4, weightAverage: 0.9 }, false), path.join(dir, 'crf'));
    const crfModel = await ExtractorModel.load(crf.modelFile);
    assert.equal(crfModel.meta.tagger.crf, true);
    assert.deepEqual(crfModel.params['tagger.gru.fw.u'].shape, [4, 12]);
    crfModel.dispose();

    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(runExtractTrain(exp({ taggerEpochs: 1, relationEpochs: 1 }), path.join(dir, 'x'), { signal: aborted.signal }), /cancelled/);
    await assert.rejects(
      runExtractTrain({ ...exp({}), data: { format: 'conll04', train: path.join(dir, 'missing.json') } }, path.join(dir, 'x')),
      (e: unknown) => e instanceof UserError && /cannot read data file/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
