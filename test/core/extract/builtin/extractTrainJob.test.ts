import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../../src/core/errors';
import { runExtractTrain } from '../../../../src/core/extract/builtin/extractTrainJob';
import { ExtractorModel } from '../../../../src/core/extract/builtin/extractorModel';
import { initBackend } from '../../../../src/core/tensor/backend';

const SAMPLE = path.join(__dirname, '../../../../examples/extraction/conll04-sample.json');

test('extract-train: trains on the user files and writes a loadable model', async () => {
  await initBackend();
  const dir = mkdtempSync(path.join(tmpdir(), 'extract-train-'));
  try {
    const sentences = JSON.parse(readFileSync(SAMPLE, 'utf8')) as unknown[];
    writeFileSync(path.join(dir, 'train.json'), JSON.stringify(sentences.slice(0, 6)));
    writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(sentences.slice(6, 9)));
    const phases = new Set<string>();
    const r = await runExtractTrain(
      { kind: 'extract-train', name: 't', data: { format: 'conll04', train: 'train.json', dev: 'dev.json' }, output: 'out', training: { taggerEpochs: 1, relationEpochs: 1 } },
      dir, path.join(dir, 'run'), { onProgress: (e) => phases.add(e.phase) },
    );
    assert.equal(r.modelFile, path.join(dir, 'out', 'extractor.json'));
    assert.equal(r.dev?.sentences, 3);
    assert.ok(phases.has('tagger') && phases.has('relation'));
    const model = await ExtractorModel.load(r.modelFile);
    assert.deepEqual(model.meta.entityTypes, ['Loc', 'Org', 'Other', 'Peop']);
    model.dispose();
    await assert.rejects(
      runExtractTrain({ kind: 'extract-train', name: 't', data: { format: 'conll04', train: 'train.json' }, training: { taggerEpochs: 0 } }, dir, dir),
      (e: unknown) => e instanceof UserError && e.pointer === '/training/taggerEpochs',
    );
    const crf = await runExtractTrain(
      { kind: 'extract-train', name: 't', data: { format: 'conll04', train: 'train.json' }, output: 'crf', training: { taggerEpochs: 1, relationEpochs: 1, crf: true, rnn: 4, weightAverage: 0.9 } },
      dir, path.join(dir, 'run'),
    );
    const crfModel = await ExtractorModel.load(crf.modelFile);
    assert.equal(crfModel.meta.tagger.crf, true);
    assert.deepEqual(crfModel.params['tagger.gru.fw.u'].shape, [4, 12]);
    crfModel.dispose();
    for (const [training, pointer] of [[{ crf: 1 }, '/training/crf'], [{ weightAverage: 1 }, '/training/weightAverage'], [{ rnn: 2.5 }, '/training/rnn']] as const) {
      await assert.rejects(
        runExtractTrain({ kind: 'extract-train', name: 't', data: { format: 'conll04', train: 'train.json' }, training: training as never }, dir, dir),
        (e: unknown) => e instanceof UserError && e.pointer === pointer,
      );
    }
    await assert.rejects(
      runExtractTrain({ kind: 'extract-train', name: 't', data: { format: 'conll04', train: 'missing.json' } }, dir, dir),
      (e: unknown) => e instanceof UserError && /cannot read data file/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
