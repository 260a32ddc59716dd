import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/core/train/events';
import { LiveHistory } from '../../src/runner/liveHistory';
import { timelineRunFromEvents } from '../../src/panels/timeline/viewModel';
import { progressMessage, runProgress } from '../../src/vscode/runs/progressText';
import { digitsRunEvents } from '../vscode/fixtures/runEvents';

/** A long run in the fixture's shape: `epochs` epochs of 10 steps, each with a checkpoint; fc1 freezes at epoch 2. */
function longRunEvents(epochs: number, end = true): RunEvent[] {
  const [start] = digitsRunEvents();
  const events: RunEvent[] = [{ ...(start as Extract<RunEvent, { type: 'start' }>), epochs }];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let s = 1; s <= 10; s++) events.push({ type: 'step', epoch, step: epoch * 10 + s, loss: 1 / (1 + epoch + s / 10), seconds: 0.01 });
    const step = (epoch + 1) * 10;
    events.push({
      type: 'epoch', epoch, step, loss: 1 / (2 + epoch), testLoss: 1 / (2 + epoch), testAccuracy: 0.5 + 0.4 * (epoch / epochs),
      seconds: 0.1, elapsedSeconds: 0.1 * (epoch + 1), samplesPerSecond: 3200, frozen: epoch >= 1 ? ['fc1'] : [], flopsSaved: { forward: 0, backward: epoch >= 1 ? 0.3 : 0 },
    });
    events.push({ type: 'checkpoint', epoch, step, path: 'checkpoint' });
    if (epoch === 0) events.push({ type: 'freeze', layer: 'fc1', unit: 0, epoch: 1, step, reason: 'P(freeze)=0.91', stepSaving: { forward: 0, backward: 0.48 } });
  }
  if (end) events.push({ type: 'end', status: 'completed', epoch: epochs - 1, step: epochs * 10, trainSeconds: epochs * 0.1 });
  return events;
}

function fed(events: readonly RunEvent[], limits?: ConstructorParameters<typeof LiveHistory>[0]): LiveHistory {
  const history = limits ? new LiveHistory(limits) : new LiveHistory();
  for (const e of events) history.add(e);
  return history;
}

const count = (events: readonly RunEvent[], type: RunEvent['type']) => events.filter((e) => e.type === type).length;

test('a run within the bounds keeps every event, in order (the panels see what the run store has)', () => {
  const events = longRunEvents(90);
  assert.deepEqual(fed(events).events, events);
});

test('a run of any length keeps a bounded history; what the panels show of it stays the same', () => {
  const limits = { step: 400, epoch: 100, checkpoint: 10 };
  const events = longRunEvents(5_000, false);
  const history = fed(events, limits);
  const kept = history.events;
  assert.ok(count(kept, 'step') <= 400 + 1, `${count(kept, 'step')} steps`);
  assert.ok(count(kept, 'epoch') <= 100 + 1, `${count(kept, 'epoch')} epochs`);
  assert.ok(count(kept, 'checkpoint') <= 10 + 1, `${count(kept, 'checkpoint')} checkpoints`);
  // Never thinned: the start, the freeze.
  assert.equal(count(kept, 'start'), 1);
  assert.equal(count(kept, 'freeze'), 1);
  // The latest epoch and step are there: the card's epoch, the current step, the progress line.
  assert.deepEqual(kept.filter((e) => e.type === 'epoch').at(-1), events.filter((e) => e.type === 'epoch').at(-1));
  assert.equal(progressMessage(runProgress(kept)), progressMessage(runProgress(events)));
  const meta = { runId: 'run-a', runDir: '/runs/run-a', policy: 'smartfrz' };
  const whole = timelineRunFromEvents(meta, events, 'running');
  const live = timelineRunFromEvents(meta, kept, 'running');
  assert.equal(live.epochsDone, whole.epochsDone);
  assert.equal(live.currentStep, whole.currentStep);
  assert.deepEqual(live.layers, whole.layers);
  // Thinned evenly: the epochs kept spread over the whole run, not only its start or end.
  const epochs = live.epochPoints.map((p) => p.epoch);
  assert.ok(epochs[0] <= 10 && epochs.at(-1) === 5_000, `${epochs[0]} .. ${epochs.at(-1)}`);
  const gaps = epochs.slice(1).map((e, i) => e - epochs[i]);
  assert.ok(Math.max(...gaps) <= 4 * Math.min(...gaps.slice(0, -1)), `gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
});

test('the end of a thinned run is where it was: after the latest epoch, with its status', () => {
  const events = longRunEvents(2_000);
  const kept = fed(events, { step: 200, epoch: 50, checkpoint: 5 }).events;
  assert.deepEqual(kept.at(-1), events.at(-1));
  const lastEpoch = events.filter((e) => e.type === 'epoch').at(-1);
  assert.ok(kept.indexOf(kept.find((e) => e === lastEpoch)!) < kept.length - 1, 'the last epoch is kept, before the end');
  const run = timelineRunFromEvents({ runId: 'run-a', runDir: '/runs/run-a', policy: 'smartfrz' }, kept, 'completed');
  assert.equal(run.status, 'completed');
  assert.equal(run.epochsDone, 2_000);
});
