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

  it('refreshes once per delay however many events arrive', (t) => {
    t.after(() => mock.timers.reset());
    const { r, calls } = setup();
    for (let i = 0; i < 50; i++) r.schedule(400);
    mock.timers.tick(399);
    assert.equal(calls(), 0);
    mock.timers.tick(1);
    assert.equal(calls(), 1);
    r.schedule(400);
    mock.timers.tick(400);
    assert.equal(calls(), 2);
  });

  it('a refresh asked for now replaces a pending slower one; a slower one does not postpone it', (t) => {
    t.after(() => mock.timers.reset());
    const { r, calls } = setup();
    r.schedule(400);
    r.schedule(0);
    mock.timers.tick(0);
    assert.equal(calls(), 1);
    mock.timers.tick(1000);
    assert.equal(calls(), 1, 'the slower one was replaced, not kept');
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
