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

describe('offline-gcrl experiment -> settings', () => {
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
});
