import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkExperimentText } from '../../../src/core/experiment/load';
import { isUncPath } from '../../../src/core/util/uncPath';

/**
 * The file checks of an experiment file, which the editor runs on open: in Restricted Mode
 * (`none`) no named path is looked at; network (UNC) paths never are.
 */
function experiment(data: { train: string; test: string }, from?: string): string {
  return JSON.stringify({
    kind: 'train', name: 'x',
    data: { format: 'csv', train: data.train, test: data.test, label: 'last' },
    model: { ...(from ? { from } : { inputShape: [4] }), layers: [{ type: 'dense', units: 2, activation: 'softmax' }] },
    training: { epochs: 1, batchSize: 2 },
  }, null, 2);
}

test('Restricted Mode: no path is looked at, each is noted as not checked', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'semantic-'));
  try {
    writeFileSync(path.join(dir, 'train.csv'), '1,2,3,4,0\n');
    const file = path.join(dir, 'x.experiment.json');
    const text = experiment({ train: 'train.csv', test: 'missing.csv' });
    // Trusted: the missing file is an error at its field.
    const trusted = checkExperimentText(text, file, 'stat');
    assert.deepEqual(trusted.map((d) => [d.severity, d.pointer, d.message]), [['error', '/data/test', `data file not found: ${path.join(dir, 'missing.csv')}`]]);
    // Restricted: nothing is reported missing (nothing was looked at); each path says why.
    const restricted = checkExperimentText(text, file, 'none');
    assert.deepEqual(restricted.map((d) => [d.severity, d.pointer]), [['info', '/data/train'], ['info', '/data/test']]);
    for (const d of restricted) assert.match(d.message, /^data file not checked in Restricted Mode/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('network (UNC) paths are warned about and never looked at, trusted or not', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'semantic-unc-'));
  try {
    // On Linux "//tmp/..." is a local path, so a stat would report this directory as "not a file".
    mkdirSync(path.join(dir, 'a-directory'));
    const unc = `/${path.join(dir, 'a-directory')}`;
    const text = experiment({ train: '\\\\attacker.example\\share\\train.csv', test: unc }, '//attacker.example/share/model.json');
    for (const files of ['stat', 'none'] as const) {
      const diags = checkExperimentText(text, path.join(dir, 'x.experiment.json'), files);
      assert.deepEqual(diags.map((d) => [d.severity, d.pointer]), [['warning', '/data/train'], ['warning', '/data/test'], ['warning', '/model/from']], files);
      for (const d of diags) assert.match(d.message, /network \(UNC\) path: Model Lab does not look at it/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('isUncPath: both slash styles and the device forms', () => {
  for (const p of ['\\\\host\\share\\x', '//host/share/x', '\\\\?\\UNC\\host\\share', '\\\\.\\pipe\\x', '/\\host\\share', ' \\\\host\\x']) assert.ok(isUncPath(p), p);
  for (const p of ['/home/u/x.csv', 'data/x.csv', 'C:\\data\\x.csv', '\\data\\x.csv', '.\\\\x']) assert.ok(!isUncPath(p), p);
});
