import assert from 'node:assert/strict';
import { it } from 'node:test';
import { throttledYield, yieldToEventLoop } from '../../../src/core/util/eventLoop';

it('yieldToEventLoop lets callbacks queued before it run first', async () => {
  let ran = false;
  setImmediate(() => (ran = true));
  await yieldToEventLoop();
  assert.equal(ran, true);
});

it('throttledYield yields when the interval has passed and not before', async () => {
  let ran = false;
  setImmediate(() => (ran = true));
  const never = throttledYield(1e9);
  await never();
  assert.equal(ran, false, 'within the interval: only a microtask, the immediate has not run');
  const always = throttledYield(0);
  await always();
  assert.equal(ran, true);
});
