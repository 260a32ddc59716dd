import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkExperimentText } from '../../../src/core/experiment/load';

/**
 * What the editor says about masked-LM pretraining (`pretrain`, a train experiment) and general
 * distillation (`general`, a distill experiment) before anything runs: each problem at its field,
 * on that field's line (issue 14, round 10).
 */

const TEXT_LAYERS = [
  { name: 'embed', type: 'embedding', outputDim: 8 },
  { name: 'enc', type: 'transformerEncoder', numHeads: 2, ffDim: 16 },
  { name: 'pool', type: 'globalAveragePooling1d' },
  { name: 'out', type: 'dense', units: 2, activation: 'softmax' },
];

function trainText(model: Record<string, unknown>, pretrain: Record<string, unknown>, data: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'train', name: 't',
    data: { format: 'jsonl', train: 'train.jsonl', maxLength: 8, ...data },
    model: { inputShape: [8], ...model },
    training: { epochs: 1, batchSize: 4 },
    pretrain,
  }, null, 2);
}

/** [severity, pointer, message, line] of each diagnostic at one of `prefixes`. */
function at(text: string, file: string, prefixes: string[]): [string, string, string, number][] {
  return checkExperimentText(text, file, 'none')
    .filter((d) => prefixes.some((p) => d.pointer.startsWith(p)))
    .map((d) => [d.severity, d.pointer, d.message, d.line]);
}

/** 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test('pretrain on a model that is not a text encoder, on a saved model, with epochs and steps, or without a [MASK] row: an error at the field and its line', () => {
  const file = path.join(tmpdir(), 'p.experiment.json');
  const ok = trainText({ layers: TEXT_LAYERS }, { objective: 'mlm', epochs: 2 });
  assert.deepEqual(at(ok, file, ['/pretrain', '/model']), []);

  const mlp = trainText({ layers: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 2, activation: 'softmax' }] }, { epochs: 1 }, { format: 'jsonl' });
  const [p1] = at(mlp, file, ['/pretrain']);
  assert.equal(p1[0], 'error');
  assert.equal(p1[1], '/pretrain');
  assert.match(p1[2], /first layer is an embedding/);
  assert.equal(p1[3], lineOf(mlp, '"pretrain"'));

  const noEncoder = trainText({ layers: [{ type: 'embedding', outputDim: 8 }, { type: 'globalAveragePooling1d' }, { type: 'dense', units: 2, activation: 'softmax' }] }, {});
  assert.match(at(noEncoder, file, ['/pretrain'])[0][2], /at least one transformerEncoder/);

  const saved = trainText({ from: 'base/model.json', layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }, {});
  assert.match(at(saved, file, ['/pretrain'])[0][2], /model\.from/);

  const both = trainText({ layers: TEXT_LAYERS }, { epochs: 1, steps: 50 });
  const [p2] = at(both, file, ['/pretrain']);
  assert.deepEqual([p2[0], p2[1], p2[3]], ['error', '/pretrain/steps', lineOf(both, '"steps"')]);

  const tight = trainText({ layers: [{ ...TEXT_LAYERS[0], inputDim: 100 }, ...TEXT_LAYERS.slice(1)] }, {}, { vocabSize: 100 });
  const [p3] = at(tight, file, ['/model/layers/0/inputDim']);
  assert.equal(p3[1], '/model/layers/0/inputDim');
  assert.match(p3[2], /at least 101/);
  assert.equal(p3[3], lineOf(tight, '"inputDim"'));

  // The schema's ranges, at the field too.
  const rate = trainText({ layers: TEXT_LAYERS }, { maskProbability: 1.5 });
  const [p4] = at(rate, file, ['/pretrain']);
  assert.equal(p4[1], '/pretrain/maskProbability');
  assert.equal(p4[3], lineOf(rate, '"maskProbability"'));
  const objective = trainText({ layers: TEXT_LAYERS }, { objective: 'clm' });
  assert.equal(at(objective, file, ['/pretrain'])[0][1], '/pretrain/objective');
});

function distillText(arms: unknown[], general?: Record<string, unknown>): string {
  return JSON.stringify({
    kind: 'distill', name: 'd', teacher: 't.experiment.json',
    student: { layers: TEXT_LAYERS },
    arms,
    training: { epochs: 1, batchSize: 4 },
    ...(general ? { general } : {}),
  }, null, 2);
}

test('general: an arm asking for it without a general section, a data-free arm asking for it, a section no arm uses, a teacher without a pretrained encoder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'general-checks-'));
  try {
    const file = path.join(dir, 'd.experiment.json');
    const missing = distillText(['tinybert', { name: 'kd-g', method: 'kd', general: true }]);
    const [g1] = at(missing, file, ['/arms', '/general']);
    assert.deepEqual([g1[0], g1[1], g1[3]], ['error', '/arms/1/general', lineOf(missing, '"general"')]);
    assert.match(g1[2], /no "general" section/);

    const dataFree = distillText([{ method: 'noise', general: true }, 'tinybert'], { epochs: 1 });
    const [g2] = at(dataFree, file, ['/arms']);
    assert.equal(g2[1], '/arms/0/general');
    assert.match(g2[2], /data-free/);

    const unused = distillText(['student', 'kd'], { epochs: 1 });
    const [g3] = at(unused, file, ['/general']);
    assert.deepEqual([g3[0], g3[1], g3[3]], ['warning', '/general', lineOf(unused, '"general"')]);
    assert.deepEqual(at(distillText(['kd', { method: 'kd', name: 'kd-g', general: true }], { epochs: 1 }), file, ['/general', '/arms']), []);

    // The teacher: with a pretrain section it has a pretrained encoder; without one, general needs general.teacher.
    const teacher = (pretrain: boolean) => writeFileSync(path.join(dir, 't.experiment.json'), JSON.stringify({
      kind: 'train', name: 't', data: { format: 'jsonl', train: 'train.jsonl' }, model: { inputShape: [8], layers: TEXT_LAYERS },
      training: { epochs: 1, batchSize: 4 }, ...(pretrain ? { pretrain: { epochs: 1 } } : {}),
    }));
    const text = distillText(['kd', 'tinybert'], { epochs: 1 });
    teacher(false);
    const stat = (t: string) => checkExperimentText(t, file, 'stat').filter((d) => d.pointer === '/general').map((d) => [d.severity, d.message, d.line]);
    const [g4] = stat(text);
    assert.equal(g4[0], 'error');
    assert.match(String(g4[1]), /pretrained by masked-LM: give the teacher \(t\.experiment\.json\) a "pretrain" section/);
    assert.equal(g4[2], lineOf(text, '"general"'));
    teacher(true);
    assert.deepEqual(stat(text), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
