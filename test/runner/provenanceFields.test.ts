import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { provenanceFields } from '../../src/runner/provenanceFields';

const base = {
  time: '2026-12-07T00:00:00Z', modelLab: '0.1.0', node: 'v22.11.0', tfjs: '4.22.0', backend: 'wasm', platform: 'linux-x64',
  git: { commit: 'c'.repeat(40), dirty: true, root: '/w' }, experimentFile: '/w/a.experiment.json', experiment: { kind: 'train' }, seed: 7,
};

test('provenanceFields: versions, git, seed; one input file: its own SHA-256 as the data hash', () => {
  const f = provenanceFields({ ...base, files: [{ pointer: '/data/train', path: '/d.csv', sha256: 'a'.repeat(64), bytes: 3 }] });
  assert.deepEqual(f, {
    'git.commit': 'c'.repeat(40), 'git.dirty': true, modelLab: '0.1.0', node: 'v22.11.0', tfjs: '4.22.0', backend: 'wasm', platform: 'linux-x64', seed: 7,
    'data.sha256': 'a'.repeat(64), 'data[/data/train]': 'a'.repeat(64),
  });
});

test('provenanceFields: several inputs hash together (order-free), an unreadable one says so; the record\'s backend fills in; bad shapes leave fields out', () => {
  const files = [{ pointer: '/data/train', path: '/a', sha256: 'a'.repeat(64) }, { pointer: '/data/test', path: '/b', error: 'ENOENT' }];
  const f = provenanceFields({ ...base, backend: undefined, git: undefined, files, resumes: [{}] }, 'cpu');
  const expected = createHash('sha256').update(['/data/test unreadable', `/data/train ${'a'.repeat(64)}`].join('\n')).digest('hex');
  assert.equal(f['data.sha256'], expected);
  assert.equal(provenanceFields({ ...base, files: [...files].reverse() })['data.sha256'], expected);
  assert.equal(f['data[/data/test]'], 'unreadable (ENOENT)');
  assert.equal(f.backend, 'cpu');
  assert.equal(f.resumes, 1);
  assert.ok(!('git.commit' in f));
  assert.deepEqual(provenanceFields({ node: 3, seed: 'x', files: 'no', git: { commit: 1 } }), {});
  assert.deepEqual(provenanceFields(null), {});
});
