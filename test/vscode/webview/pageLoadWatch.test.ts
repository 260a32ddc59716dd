import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOAD_FAILED_DELAY_MS, LOAD_FAILED_RETRIES, PageLoadWatch, SILENT_MS, SILENT_RETRIES } from '../../../src/vscode/webview/pageLoadWatch';

/** A panel with a hand-driven clock: `fire()` runs the pending timer (at most one is pending). */
function panel(opts: { visible?: boolean; retainsContext?: boolean } = {}) {
  const log: string[] = [];
  let visible = opts.visible ?? true;
  let pending: { fn: () => void; ms: number } | undefined;
  const watch = new PageLoadWatch({
    render: () => log.push('render'),
    isVisible: () => visible,
    retainsContext: opts.retainsContext ?? false,
    onRetry: (reason, attempt) => log.push(`retry ${attempt}: ${reason}`),
    onGiveUp: (reason) => log.push(`gave up: ${reason}`),
    setTimer: (fn, ms) => {
      assert.equal(pending, undefined, 'one timer at a time');
      const t = { fn, ms };
      pending = t;
      return { clear: () => (pending === t ? (pending = undefined) : undefined) };
    },
  });
  return {
    watch,
    log,
    pendingMs: () => pending?.ms,
    fire() {
      const t = pending;
      assert.ok(t, 'a timer is pending');
      pending = undefined;
      t.fn();
    },
    show(v: boolean) {
      visible = v;
      watch.onVisibility(v);
    },
    /** The panel's visibility before VS Code's view-state event says so. */
    setVisibleSilently(v: boolean) {
      visible = v;
    },
  };
}

test('a page that says ready is left alone: no timer after it', () => {
  const p = panel();
  p.watch.start();
  assert.deepEqual(p.log, ['render']);
  assert.equal(p.pendingMs(), SILENT_MS);
  p.watch.onMessage(false);
  assert.equal(p.pendingMs(), undefined);
});

test('a visible page that stays silent is set again, each wait twice the last, then the user is told once', () => {
  const p = panel();
  p.watch.start();
  const waits: number[] = [];
  for (let i = 0; i < SILENT_RETRIES; i++) {
    waits.push(p.pendingMs() as number);
    p.fire();
  }
  waits.push(p.pendingMs() as number);
  p.fire();
  assert.deepEqual(waits, Array.from({ length: SILENT_RETRIES + 1 }, (_, i) => SILENT_MS * 2 ** i));
  assert.equal(p.log.filter((l) => l === 'render').length, 1 + SILENT_RETRIES);
  assert.match(p.log.at(-1) ?? '', /^gave up: it said nothing for \d+ s after 3 tries$/);
  assert.equal(p.pendingMs(), undefined);
  p.watch.onMessage(true, 'x.js');
  p.show(true);
  assert.equal(p.pendingMs(), undefined, 'nothing more after giving up');
});

test('a reported load failure sets the page again after a growing pause, and a page that then loads resets the count', () => {
  const p = panel();
  p.watch.start();
  p.watch.onMessage(true, 'https://x/dist/webview/runsTable.js');
  assert.equal(p.pendingMs(), LOAD_FAILED_DELAY_MS);
  assert.equal(p.log[1], 'retry 1: its https://x/dist/webview/runsTable.js did not load');
  p.fire();
  assert.equal(p.log.filter((l) => l === 'render').length, 2);
  p.watch.onMessage(true, 'a.js');
  assert.equal(p.pendingMs(), 2 * LOAD_FAILED_DELAY_MS);
  p.fire();
  p.watch.onMessage(false);
  assert.equal(p.pendingMs(), undefined);
  p.watch.onMessage(true, 'a.js');
  assert.equal(p.pendingMs(), LOAD_FAILED_DELAY_MS, 'the count starts again once a page has loaded');
});

test('after the last reported failure the user is told, and nothing is retried', () => {
  const p = panel();
  p.watch.start();
  for (let i = 0; i < LOAD_FAILED_RETRIES; i++) {
    p.watch.onMessage(true, 'a.js');
    p.fire();
  }
  p.watch.onMessage(true, 'a.js');
  assert.match(p.log.at(-1) ?? '', /^gave up: its a\.js did not load after 5 tries$/);
  assert.equal(p.pendingMs(), undefined);
  assert.equal(p.log.filter((l) => l === 'render').length, 1 + LOAD_FAILED_RETRIES);
});

test('a hidden page is not watched; shown, it is expected to say ready again unless its context is kept', () => {
  const hidden = panel({ visible: false });
  hidden.watch.start();
  assert.equal(hidden.pendingMs(), undefined, 'a page set while hidden loads only when shown');
  hidden.show(true);
  assert.equal(hidden.pendingMs(), SILENT_MS);
  hidden.watch.onMessage(false);
  hidden.show(false);
  hidden.show(true);
  assert.equal(hidden.pendingMs(), SILENT_MS, 'a page not kept while hidden is loaded again when shown');

  const kept = panel({ retainsContext: true });
  kept.watch.start();
  kept.watch.onMessage(false);
  kept.show(false);
  kept.show(true);
  assert.equal(kept.pendingMs(), undefined, 'a kept page does not load again');
});

test('a timer that fires while the panel is hidden does nothing; shown again, the wait starts again', () => {
  const p = panel();
  p.watch.start();
  p.setVisibleSilently(false);
  p.fire();
  assert.equal(p.log.filter((l) => l === 'render').length, 1, 'a hidden page is not set again');
  p.show(true);
  assert.equal(p.pendingMs(), SILENT_MS);
  p.fire();
  assert.equal(p.log.filter((l) => l === 'render').length, 2, 'still silent when shown: set again');
});
