import assert from 'node:assert/strict';
import { describe, it, mock, type TestContext } from 'node:test';
import type { RunEvent } from '../../../src/core/train/events';
import { StatusBarCadence } from '../../../src/vscode/runs/statusBarCadence';
import { LIVE_CADENCE_MS } from '../../../src/vscode/webview/throttledRefresh';

/** Node's mock timers: time moves only when the test ticks it, so nothing depends on the machine's speed. */
describe('StatusBarCadence', () => {
  function setup(t: TestContext) {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    let updates = 0;
    const cadence = new StatusBarCadence(() => {
      updates++;
    });
    return { cadence, updates: () => updates };
  }

  /** Lets an update that ran finish (its promise settles on the microtask queue, not on the mocked timers). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  const epoch = (i: number): RunEvent => ({
    type: 'epoch', epoch: i, step: i * 10, loss: 1, testLoss: 1, testAccuracy: 0.5, seconds: 0.03, elapsedSeconds: i * 0.03,
    samplesPerSecond: 1, frozen: [], flopsSaved: { forward: 0, backward: 0 },
  });
  const checkpoint = (i: number): RunEvent => ({ type: 'checkpoint', epoch: i, step: i * 10, path: 'checkpoint' });
  const freeze: RunEvent = { type: 'freeze', layer: 'conv1', unit: 0, epoch: 3, step: 30, stepSaving: { forward: 0.1, backward: 0.2 } };
  const end: RunEvent = { type: 'end', status: 'completed', epoch: 60, step: 600, trainSeconds: 2 };

  it(`a fast run's epochs and checkpoints (30 a second for 2 s) update it at most once per ${LIVE_CADENCE_MS} ms, and the last one is shown`, async (t) => {
    const { cadence, updates } = setup(t);
    // One epoch (and its checkpoint) every 33 ms of the mocked clock.
    for (let i = 0; i < 60; i++) {
      cadence.event(epoch(i));
      cadence.event(checkpoint(i));
      mock.timers.tick(33);
      await settle();
    }
    // 1980 ms of events: an update at 300, then one 300 ms after the first event that follows each update.
    assert.ok(updates() >= 1 && updates() <= Math.ceil(1980 / LIVE_CADENCE_MS), `${updates()} updates for 120 events`);
    const before = updates();
    cadence.event(epoch(60));
    mock.timers.tick(LIVE_CADENCE_MS - 1);
    await settle();
    assert.equal(updates(), before);
    mock.timers.tick(1);
    assert.equal(updates(), before + 1, 'the latest event is shown one cadence later');
    await settle();
    mock.timers.tick(10_000);
    assert.equal(updates(), before + 1, 'nothing more was asked for');
  });

  it('a start, a freeze and an end are shown at once, even while an update at the live cadence is pending', async (t) => {
    const { cadence, updates } = setup(t);
    for (const e of [{ type: 'start' } as RunEvent, freeze, end, { type: 'distill-start' } as RunEvent, { type: 'distill-end', status: 'completed', arms: [] } as RunEvent]) {
      const before = updates();
      cadence.event(epoch(1));
      cadence.event(e);
      mock.timers.tick(0);
      assert.equal(updates(), before + 1, `${e.type} at once`);
      await settle();
    }
    mock.timers.tick(10_000);
    assert.equal(updates(), 5, 'the pending live update was replaced, not kept');
  });

  it('a run followed, ended, paused or continued (now) is shown at once', async (t) => {
    const { cadence, updates } = setup(t);
    cadence.event(checkpoint(1));
    cadence.now();
    mock.timers.tick(0);
    assert.equal(updates(), 1);
    await settle();
    cadence.now();
    mock.timers.tick(0);
    assert.equal(updates(), 2);
  });

  it('dispose cancels a pending update (the status bar item is gone)', (t) => {
    const { cadence, updates } = setup(t);
    cadence.event(epoch(1));
    cadence.dispose();
    mock.timers.tick(10_000);
    assert.equal(updates(), 0);
  });
});
