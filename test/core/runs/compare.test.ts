import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differingFields, differingPaths, diffRuns, flattenParams, formatParam } from '../../../src/core/runs/compare';

test('flattenParams: dotted keys, [i] for arrays of objects, arrays of scalars as one leaf', () => {
  const p = flattenParams({
    kind: 'train',
    model: { inputShape: [64], layers: [{ name: 'fc1', units: 128 }, { name: 'out', units: 10 }] },
    training: { optimizer: { type: 'adam', learningRate: 0.001 }, shuffle: false },
    freezing: {},
    extra: null,
  });
  assert.deepEqual(p, {
    kind: 'train',
    'model.inputShape': [64],
    'model.layers[0].name': 'fc1',
    'model.layers[0].units': 128,
    'model.layers[1].name': 'out',
    'model.layers[1].units': 10,
    'training.optimizer.type': 'adam',
    'training.optimizer.learningRate': 0.001,
    'training.shuffle': false,
    extra: null,
  });
});

test('differingPaths: only paths whose values differ, a missing path differs, arrays by value', () => {
  const a = { lr: 0.001, batch: 32, shape: [64], policy: 'none' };
  const b = { lr: 0.003, batch: 32, shape: [64], policy: 'none', prefix: 1 };
  const c = { lr: 0.001, batch: 32, shape: [64], policy: 'smartfrz' };
  assert.deepEqual(differingPaths([a, b, c]), ['lr', 'policy', 'prefix']);
  assert.deepEqual(differingPaths([a, { ...a, shape: [65] }]), ['shape']);
  assert.deepEqual(differingPaths([a]), [], 'one run differs from nothing');
  assert.deepEqual(differingPaths([a, { ...a }]), []);
});

test('diffRuns lists only differing config fields and metrics, with the metric delta', () => {
  const d = diffRuns(
    { params: { 'training.epochs': 5, 'freezing.policy': 'none', seed: 7 }, metrics: { accuracy: 0.9, loss: 0.3 } },
    { params: { 'training.epochs': 5, 'freezing.policy': 'smartfrz', 'freezing.threshold': 0.1, seed: 7 }, metrics: { accuracy: 0.95, loss: 0.3, savedBackward: 0.2 } },
  );
  assert.deepEqual(d.config, [
    { path: 'freezing.policy', a: 'none', b: 'smartfrz' },
    { path: 'freezing.threshold', a: undefined, b: 0.1 },
  ]);
  assert.deepEqual(Object.keys(d.metrics), ['accuracy', 'savedBackward']);
  assert.ok(Math.abs(d.metrics.accuracy.delta! - 0.05) < 1e-12);
  assert.deepEqual(d.metrics.savedBackward, { a: undefined, b: 0.2 });
  // As JSON (the CLI's --json), a field a run lacks is simply absent.
  assert.deepEqual(JSON.parse(JSON.stringify(d.config[1])), { path: 'freezing.threshold', b: 0.1 });
  assert.deepEqual(d.provenance, [], 'no provenance records: nothing to compare');
});

test('diffRuns lists the provenance fields that differ (commit, dirty flag, data), like config fields', () => {
  const prov = { 'git.commit': 'abc', 'git.dirty': false, node: 'v22.11.0', backend: 'wasm', 'data.sha256': 'h1', 'data[/data/train]': 'h1' };
  const d = diffRuns(
    { params: {}, metrics: {}, provenance: prov },
    { params: {}, metrics: {}, provenance: { ...prov, 'git.commit': 'def', 'git.dirty': true, 'data.sha256': 'h2', 'data[/data/train]': 'h2' } },
  );
  assert.deepEqual(d.provenance, [
    { path: 'git.commit', a: 'abc', b: 'def' },
    { path: 'git.dirty', a: false, b: true },
    { path: 'data.sha256', a: 'h1', b: 'h2' },
    { path: 'data[/data/train]', a: 'h1', b: 'h2' },
  ]);
  assert.deepEqual(diffRuns({ params: {}, metrics: {}, provenance: prov }, { params: {}, metrics: {} }).provenance.map((x) => x.path), Object.keys(prov), 'one run without a record: every field differs');
});

test('differingFields: each differing field with every run\'s value, in the runs\' order', () => {
  assert.deepEqual(differingFields([{ lr: 0.001, b: 32 }, { lr: 0.01, b: 32 }, { lr: 0.001, b: 32, prefix: 1 }]), [
    { path: 'lr', values: [0.001, 0.01, 0.001] },
    { path: 'prefix', values: [undefined, undefined, 1] },
  ]);
  assert.deepEqual(differingFields([{ lr: 1 }]), []);
});

test('formatParam', () => {
  assert.equal(formatParam([64, 64]), '[64, 64]');
  assert.equal(formatParam(undefined), '—');
  assert.equal(formatParam(false), 'false');
});
