import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseEventLines } from '../../../src/runner/runStore';
import { layerAnnotations } from '../../../src/vscode/experimentFile/layerAnnotations';
import { timelineRunFromEvents } from '../../../src/panels/timeline/viewModel';
import { freezeRows, laneRows } from '../../../src/panels/timeline/spec';

/**
 * A real run recorded from the trainer (the e2e fixture quick-digits, linear policy, 6 epochs),
 * read back the way the extension reads a finished run.
 */
const events = parseEventLines(readFileSync(path.join(__dirname, '..', 'fixtures', 'quick-digits-linear.events.jsonl'), 'utf8'));
const text = readFileSync(path.join(__dirname, '..', '..', 'e2e', 'fixtures', 'quick-digits.experiment.json'), 'utf8');
const freezes = events.filter((e) => e.type === 'freeze');

test('the recorded run has staggered freezes to show', () => {
  assert.ok(freezes.length >= 2);
});

test('inline annotations of the recorded run match its freeze events', () => {
  const a = layerAnnotations(text, { runId: 'r', runDir: '/r' }, events);
  for (const f of freezes) {
    if (f.type !== 'freeze') continue;
    const hint = a.find((x) => x.name === f.layer);
    assert.ok(hint, f.layer);
    assert.equal(hint.label, `❄ frozen at epoch ${f.epoch + 1} (step ${f.step}) · ${Math.round(f.stepSaving.backward * 100)}% saved`);
    assert.ok(hint.parts.join(' ').length <= 43, hint.label);
  }
  assert.equal(a.find((x) => x.name === 'out')?.label, 'trained all 6 epochs');
});

test('timeline of the recorded run: lanes end at the last step, one marker per freeze', () => {
  const run = timelineRunFromEvents({ runId: 'r', runDir: '/r' }, events);
  const end = events.find((e) => e.type === 'end');
  assert.equal(run.status, 'completed');
  assert.equal(run.currentStep, end?.type === 'end' ? end.step : -1);
  assert.ok(laneRows([run]).every((r) => r.end <= run.currentStep && r.start <= r.end));
  assert.equal(freezeRows([run]).length, freezes.length);
});
