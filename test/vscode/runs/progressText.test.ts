import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressMessage, ProgressTracker, runProgress } from '../../../src/vscode/runs/progressText';
import { digitsRunEvents } from '../fixtures/runEvents';

test('progress of a live run: next epoch, latest metrics, frozen count and saving', () => {
  const events = digitsRunEvents({ end: false });
  const upToSecondEpoch = events.slice(0, events.findIndex((e) => e.type === 'epoch' && e.epoch === 1) + 1);
  const p = runProgress(upToSecondEpoch);
  assert.equal(p.epochsDone, 2);
  assert.equal(p.epochs, 4);
  assert.equal(p.frozen, 1);
  assert.equal(progressMessage(p), 'epoch 3/4 · accuracy 70.0% · loss 0.750 · 1 frozen · 12% backward saved');
});

test('before the start event there is nothing to count', () => {
  assert.equal(progressMessage(runProgress([])), 'starting…');
});

test('after the last epoch the epoch shown stays at the total', () => {
  assert.match(progressMessage(runProgress(digitsRunEvents())), /^epoch 4\/4 /);
});

test('runs of other kinds show their latest progress event', () => {
  const p = runProgress([
    { type: 'progress', kind: 'extract-train', fraction: 0, message: 'starting…' },
    { type: 'progress', kind: 'extract-train', fraction: 0.384, message: 'tagger 1 epoch 5/5 · loss 0.412 · dev 77.1 entity F1' },
  ]);
  assert.equal(progressMessage(p), '38% · tagger 1 epoch 5/5 · loss 0.412 · dev 77.1 entity F1');
});


test('a live run\'s tracker, fed one event at a time, reads as the whole history folded at every point', () => {
  const events = digitsRunEvents();
  const tracker = new ProgressTracker();
  const seen = new Set<string>();
  events.forEach((e, i) => {
    tracker.add(e);
    const message = progressMessage(tracker.progress);
    assert.equal(message, progressMessage(runProgress(events.slice(0, i + 1))), `after event ${i} (${e.type})`);
    seen.add(message);
  });
  assert.ok(seen.size > 4, 'the progress moved as the run did');
  assert.ok(tracker.progress.frozen >= 1);
});
