import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkExperimentText } from '../../../src/core/experiment/load';

/**
 * What the editor says about a distill experiment before it runs (issue 14): arms the teacher
 * cannot serve are errors at the arm, named by line; nothing is looked at in Restricted Mode.
 */

function teacher(dir: string, file: string, layers: { type: string; [k: string]: unknown }[], format: 'csv' | 'jsonl' = 'csv'): void {
  writeFileSync(path.join(dir, file), JSON.stringify({
    kind: 'train', name: 't',
    data: format === 'csv' ? { format: 'csv', train: 'train.csv', label: 'last' } : { format: 'jsonl', train: 'train.jsonl' },
    model: { inputShape: [4], layers },
    training: { epochs: 1, batchSize: 2 },
  }));
}

function distill(teacherFile: string, arms: unknown[]): string {
  return JSON.stringify({
    kind: 'distill', name: 'd', teacher: teacherFile,
    student: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] },
    arms,
    training: { epochs: 1, batchSize: 2 },
  }, null, 2);
}

function problems(text: string, file: string, files: 'stat' | 'none' = 'stat'): [string, string, string][] {
  return checkExperimentText(text, file, files)
    .filter((d) => d.pointer.startsWith('/arms') || d.pointer === '/teacher')
    .map((d) => [d.severity, d.pointer, d.message]);
}

test('deepinversion on a teacher without batch norm is an error at the arm; with bnWeight 0 or dafl it is not', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distill-checks-'));
  try {
    teacher(dir, 'plain.experiment.json', [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 2, activation: 'softmax' }]);
    teacher(dir, 'bn.experiment.json', [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'batchNormalization' }, { type: 'dense', units: 2, activation: 'softmax' }]);
    const file = path.join(dir, 'd.experiment.json');
    const arms = ['kd', 'deepinversion', { name: 'no-bn', method: 'deepinversion', synthesis: { bnWeight: 0 } }, 'dafl'];
    const plain = problems(distill('plain.experiment.json', arms), file);
    assert.equal(plain.filter(([sev]) => sev === 'error').length, 1, JSON.stringify(plain));
    const [severity, pointer, message] = plain.find(([sev]) => sev === 'error')!;
    assert.equal(severity, 'error');
    assert.equal(pointer, '/arms/1');
    assert.match(message, /no batchNormalization layer/);
    // The runs that still work without batch norm are told what they miss, not refused.
    assert.deepEqual(plain.filter(([sev]) => sev !== 'error').map(([sev, p]) => [sev, p]), [['info', '/arms/2'], ['info', '/arms/3']]);
    // The diagnostic has a line: the arm's own line in the file.
    const d = checkExperimentText(distill('plain.experiment.json', arms), file, 'stat').find((x) => x.pointer === '/arms/1')!;
    assert.equal(d.line, distill('plain.experiment.json', arms).split('\n').findIndex((l) => l.includes('"deepinversion"')) + 1);
    assert.deepEqual(problems(distill('bn.experiment.json', arms), file), []);
    // Restricted Mode: the teacher is not read, so nothing is said about it.
    assert.deepEqual(problems(distill('plain.experiment.json', arms), file, 'none').filter(([sev]) => sev === 'error'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data-free arms on a text teacher, augmentation on an image teacher, and duplicate arm names are errors at the arm', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distill-checks-'));
  try {
    teacher(dir, 'text.experiment.json', [{ type: 'embedding', outputDim: 8 }, { type: 'globalAveragePooling1d' }, { type: 'dense', units: 2, activation: 'softmax' }], 'jsonl');
    teacher(dir, 'bn.experiment.json', [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'batchNormalization' }, { type: 'dense', units: 2, activation: 'softmax' }]);
    const file = path.join(dir, 'd.experiment.json');
    const text = problems(distill('text.experiment.json', ['tinybert+aug', 'noise']), file);
    assert.deepEqual(text.map(([sev, p]) => [sev, p]), [['error', '/arms/1']]);
    assert.match(text[0][2], /text model/);
    const image = problems(distill('bn.experiment.json', ['tinybert+aug', 'kd', 'kd']), file);
    assert.deepEqual(image.map(([sev, p]) => [sev, p]), [['error', '/arms/0'], ['error', '/arms/2']]);
    assert.match(image[0][2], /not a text model/);
    assert.match(image[1][2], /already arm 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
