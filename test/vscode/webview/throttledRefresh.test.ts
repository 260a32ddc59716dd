import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { ThrottledRefresh } from '../../../src/vscode/webview/throttledRefresh';

/** Node's mock timers: time moves only when the test ticks it, so nothing depends on the machine's speed. */
describe('ThrottledRefresh', () => {
  function setup() {
    mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const r = new ThrottledRefresh(async () => {
      calls++;
    });
    return { r, calls: () => calls };
  }

  /** Lets a refresh that ran finish (its promise settles on the microtask queue, not on the mocked timers). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('refreshes once per delay however many events arrive', async (t) => {
    t.after(() => mock.timers.reset());
    const { r, calls } = setup();
    for (let i = 0; i < 50; i++) r.schedule(400);
    mock.timers.tick(399);
    assert.equal(calls(), 0);
    mock.timers.tick(1);
    assert.equal(calls(), 1);
    await settle();
    r.schedule(400);
    mock.timers.tick(400);
    assert.equal(calls(), 2);
  });

  it('a refresh asked for now replaces a pending slower one; a slower one does not postpone it', async (t) => {
    t.after(() => mock.timers.reset());
    const { r, calls } = setup();
    r.schedule(400);
    r.schedule(0);
    mock.timers.tick(0);
    assert.equal(calls(), 1);
    await settle();
    mock.timers.tick(1000);
    assert.equal(calls(), 1, 'the slower one was replaced, not kept');
    await settle();
    r.schedule(0);
    r.schedule(400);
    mock.timers.tick(0);
    assert.equal(calls(), 2);
  });

  it('dispose cancels what is pending', (t) => {
    t.after(() => mock.timers.reset());
    const { r, calls } = setup();
    r.schedule(50);
    r.dispose();
    mock.timers.tick(1000);
    assert.equal(calls(), 0);
  });
});

describe('ThrottledRefresh with a slow refresh', () => {
  it('runs one refresh at a time: what is asked for meanwhile runs once, after it, with its delay', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    let started = 0;
    let finish: () => void = () => undefined;
    const r = new ThrottledRefresh(() => {
      started++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    r.schedule(300);
    mock.timers.tick(300);
    assert.equal(started, 1);
    // Events keep coming while the first refresh is still running: none starts beside it.
    for (let i = 0; i < 20; i++) {
      r.schedule(300);
      mock.timers.tick(300);
    }
    assert.equal(started, 1, 'no refresh overlaps a running one');
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(299);
    assert.equal(started, 1, 'the next waits its delay after the running one ended');
    mock.timers.tick(1);
    assert.equal(started, 2, 'and then runs once for all that was asked');
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(10_000);
    assert.equal(started, 2, 'nothing was asked for since');
  });

  it('a failed refresh does not stop the next one', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    let calls = 0;
    const r = new ThrottledRefresh(async () => {
      calls++;
      throw new Error('the panel was closed meanwhile');
    });
    r.schedule(0);
    mock.timers.tick(0);
    await new Promise((resolve) => setImmediate(resolve));
    r.schedule(0);
    mock.timers.tick(0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, 2);
  });
});
