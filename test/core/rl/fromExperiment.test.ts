import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseExperimentText } from '../../../src/core/experiment/load';
import type { OfflineGcrlExperiment } from '../../../src/core/experiment/types';
import { offlineSettingsFrom } from '../../../src/core/rl/fromExperiment';
import { defaultOfflineSettings } from '../../../src/core/rl/gcrl/settings';

const example = readFileSync(path.join(__dirname, '../../../examples/rl/tiny-maze.experiment.json'), 'utf8');

/** The tiny maze example with its `training` replaced, parsed with the schema's defaults. */
function withTraining(training: object) {
  const text = example.replace(/"training": \{[^}]*\}/, `"training": ${JSON.stringify(training)}`);
  return parseExperimentText(text, '', { applyDefaults: true });
}

/** The tiny maze example with `validationTasks` added to its evaluation. */
function withValidation(validationTasks: object) {
  const text = example.replace('"episodes": 5,', `"validationTasks": ${JSON.stringify(validationTasks)},\n    "episodes": 5,`);
  return parseExperimentText(text, '', { applyDefaults: true });
}

describe('offline-gcrl experiment -> settings', () => {
  it('evaluation.validationTasks (checkpoint selection): passed through; absent by default; a task on a wall or equal to an evaluation task is named with its line', () => {
    const plain = withTraining({ epochs: 1 });
    assert.equal(offlineSettingsFrom(plain.experiment as OfflineGcrlExperiment).settings.evaluation.validationTasks, undefined);
    const ok = withValidation([{ start: [1, 1], goal: [3, 7] }]);
    assert.deepEqual(ok.diagnostics, []);
    assert.deepEqual(JSON.parse(JSON.stringify(offlineSettingsFrom(ok.experiment as OfflineGcrlExperiment).settings.evaluation.validationTasks)), [{ start: [1, 1], goal: [3, 7] }]);
    const wall = withValidation([{ start: [1, 1], goal: [3, 7] }, { start: [2, 2], goal: [1, 1] }]);
    assert.deepEqual(wall.diagnostics.map((d) => d.pointer), ['/evaluation/validationTasks/1/start'], JSON.stringify(wall.diagnostics));
    const same = withValidation([{ start: [1, 3], goal: [3, 5] }]);
    assert.deepEqual(same.diagnostics.map((d) => d.pointer), ['/evaluation/validationTasks/0']);
    assert.match(same.diagnostics[0].message, /validation task 0 is evaluation task 1/);
    const lineOf = (needle: string) => example.slice(0, example.indexOf(needle)).split('\n').length;
    assert.equal(same.diagnostics[0].line, lineOf('"episodes": 5,'), 'the line of the validation task');
    const empty = withValidation([]);
    assert.ok(empty.diagnostics.some((d) => /validationTasks/.test(d.pointer) || /validationTasks/.test(d.message)), JSON.stringify(empty.diagnostics));
  });

  it('training.highSteps: the schema\'s default is the core\'s (1, official), a value is passed through, out of range is named', () => {
    const plain = withTraining({ epochs: 1 });
    assert.deepEqual(plain.diagnostics, []);
    const d = offlineSettingsFrom(plain.experiment as OfflineGcrlExperiment).settings;
    assert.equal(d.highSteps, 1);
    assert.equal(defaultOfflineSettings(d.env, []).highSteps, 1);
    const three = withTraining({ epochs: 1, highSteps: 3 });
    assert.equal(offlineSettingsFrom(three.experiment as OfflineGcrlExperiment).settings.highSteps, 3);
    const bad = withTraining({ epochs: 1, highSteps: 0 });
    assert.ok(bad.diagnostics.some((x) => /highSteps/.test(x.message)), JSON.stringify(bad.diagnostics));
  });

  it('training.actorLearningRate: the policies\' rate, learningRate when unset (one rate, as the official code), out of range is named', () => {
    const plain = offlineSettingsFrom(withTraining({ epochs: 1 }).experiment as OfflineGcrlExperiment).settings;
    assert.deepEqual([plain.learningRate, plain.actorLearningRate], [3e-4, 3e-4]);
    const valueOnly = offlineSettingsFrom(withTraining({ epochs: 1, learningRate: 1e-3 }).experiment as OfflineGcrlExperiment).settings;
    assert.deepEqual([valueOnly.learningRate, valueOnly.actorLearningRate], [1e-3, 1e-3], 'learningRate alone sets both, as before the setting existed');
    const apart = withTraining({ epochs: 1, learningRate: 1e-3, actorLearningRate: 3e-4 });
    assert.deepEqual(apart.diagnostics, []);
    const s = offlineSettingsFrom(apart.experiment as OfflineGcrlExperiment).settings;
    assert.deepEqual([s.learningRate, s.actorLearningRate], [1e-3, 3e-4]);
    for (const bad of [0, 2]) {
      const d = withTraining({ epochs: 1, actorLearningRate: bad }).diagnostics;
      assert.ok(d.some((x) => /actorLearningRate/.test(x.message) || /actorLearningRate/.test(x.pointer)), JSON.stringify(d));
    }
  });
});
