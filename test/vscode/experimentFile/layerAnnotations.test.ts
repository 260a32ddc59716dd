import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findLayerNodes, layerAnnotations } from '../../../src/vscode/experimentFile/layerAnnotations';
import { DIGITS_EXPERIMENT_TEXT, digitsRunEvents } from '../fixtures/runEvents';

const run = { runId: 'run-a', runDir: '/r/a' };

test('finds each model.layers entry with its offsets and positional default name', () => {
  const nodes = findLayerNodes(DIGITS_EXPERIMENT_TEXT);
  assert.deepEqual(nodes.map((n) => n.name), ['fc1', 'dropout_1', 'fc2', 'out']);
  for (const n of nodes) {
    assert.equal(DIGITS_EXPERIMENT_TEXT[n.start], '{');
    assert.equal(DIGITS_EXPERIMENT_TEXT[n.end - 1], '}');
  }
});

test('completed run: frozen layers say when and the backward saving; the classifier trained to the end', () => {
  const a = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, digitsRunEvents());
  const byName = Object.fromEntries(a.map((x) => [x.name, x]));
  assert.equal(byName.fc1.label, '❄ frozen at epoch 1 (step 10) · −48% backward');
  assert.equal(byName.fc2.label, '❄ frozen at epoch 2 (step 20) · −96% backward');
  assert.deepEqual(byName.fc1.parts, ['❄ frozen at epoch 1 (step 10)', '−48% backward']);
  assert.ok(a.every((x) => x.parts.every((p) => p.length <= 43)), 'each inlay hint part fits VS Code\'s default maximum length');
  assert.equal(byName.fc1.state, 'frozen');
  assert.equal(byName.dropout_1.state, 'frozen');
  assert.equal(byName.dropout_1.label, '❄ frozen at epoch 1 (step 10)');
  assert.equal(byName.out.state, 'trained');
  assert.equal(byName.out.label, 'trained all 4 epochs');
  assert.ok(byName.fc1.details.includes('Why: P\\(freeze\\)=0\\.91'), byName.fc1.details);
  assert.match(byName.fc1.details, /8\.32k trainable parameters/);
});

test('live run: annotations follow the events seen so far', () => {
  const events = digitsRunEvents({ end: false });
  const firstEpoch = events.findIndex((e) => e.type === 'epoch');
  const early = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events.slice(0, firstEpoch + 1));
  assert.ok(early.every((x) => x.state === 'training'));
  assert.match(early[0].label, /epoch 2\/4/);
  const later = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events.slice(0, firstEpoch + 2));
  assert.equal(later.find((x) => x.name === 'fc1')?.state, 'frozen');
});

test('layers the run does not know (renamed since) get no annotation; broken JSON gives none', () => {
  const renamed = DIGITS_EXPERIMENT_TEXT.replace('"fc2"', '"hidden"');
  const a = layerAnnotations(renamed, run, digitsRunEvents());
  assert.deepEqual(a.map((x) => x.name), ['fc1', 'dropout_1', 'out']);
  assert.deepEqual(layerAnnotations('{ "model": ', run, digitsRunEvents()), []);
  assert.deepEqual(layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, []), []);
});

test('a cancelled run says how far layers trained', () => {
  const events = digitsRunEvents({ end: 'cancelled' });
  const a = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events);
  assert.equal(a.find((x) => x.name === 'out')?.label, 'trained 4/4 epochs (run cancelled)');
});
