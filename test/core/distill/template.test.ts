import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { checkExperimentText } from '../../../src/core/experiment/load';
import type { LayerConfig, TrainExperiment } from '../../../src/core/experiment/types';
import { distillExperimentText, studentLayers, templateArms } from '../../../src/core/distill/template';

const examples = path.join(__dirname, '../../../examples');
const load = (rel: string) => parseJsonc(readFileSync(path.join(examples, rel), 'utf8')) as TrainExperiment;

test('the suggested student keeps every other hidden block at a quarter width, and the classifier as it is', () => {
  const teacher = load('fashion-mnist/fashion-bn-teacher.experiment.json');
  assert.deepEqual(studentLayers(teacher.model.layers!).map((l) => [l.name, l.type, l.units]), [
    ['s_flatten', 'flatten', undefined],
    ['s_fc2', 'dense', 64],
    ['s_bn2', 'batchNormalization', undefined],
    ['s_out', 'dense', 10],
  ]);
  const text = load('text/fortunes-transformer.experiment.json');
  const s = studentLayers(text.model.layers!);
  assert.deepEqual(s.map((l) => l.type), ['embedding', 'transformerEncoder', 'globalAveragePooling1d', 'dropout', 'dense']);
  const embed = s[0] as LayerConfig;
  assert.equal(embed.outputDim, 16, '64 / 4, a multiple of the 4 heads');
  assert.equal(s[1].ffDim, 32);
  assert.equal(s[4].units, 6);
});

test('Distil into Smaller Student / without Data write files that pass every check of the editor', () => {
  const dir = path.join(examples, 'fashion-mnist');
  for (const mode of ['data', 'data-free'] as const) {
    const teacher = load('fashion-mnist/fashion-bn-teacher.experiment.json');
    const text = distillExperimentText(teacher, 'fashion-bn-teacher.experiment.json', mode);
    const problems = checkExperimentText(text, path.join(dir, `new-${mode}.experiment.json`), 'stat').filter((d) => d.severity === 'error');
    assert.deepEqual(problems, [], `${mode}: ${JSON.stringify(problems)}`);
    const doc = parseJsonc(text) as { arms: string[]; kind: string; synthesis?: { views?: boolean; jitter?: number } };
    assert.equal(doc.kind, 'distill');
    assert.deepEqual(doc.arms, mode === 'data' ? ['student', 'kd'] : ['noise', 'deepinversion', 'dafl']);
    if (mode === 'data-free') assert.deepEqual([doc.synthesis?.views, doc.synthesis?.jitter], [true, 2], 'KD on fresh views of the synthetic inputs');
  }
  // Without batch norm there is nothing for DeepInversion to invert: the template leaves it out.
  assert.deepEqual(templateArms(load('fashion-mnist/fashion-mlp.experiment.json'), 'data-free'), ['noise', 'dafl']);
  assert.deepEqual(templateArms(load('text/fortunes-transformer.experiment.json'), 'data'), ['student', 'kd', 'tinybert', 'tinybert+aug']);
});
