import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFiniteNumber, isRecord, isShortString } from '../../../src/panels/shared/validators';

test('message shape checks reject what a hostile or broken webview could send', () => {
  assert.ok(isRecord({ type: 'ready' }));
  for (const v of [null, [], 'x', 3, undefined]) assert.equal(isRecord(v), false, JSON.stringify(v));
  assert.ok(isFiniteNumber(-1.5));
  for (const v of [NaN, Infinity, '1', null]) assert.equal(isFiniteNumber(v), false, String(v));
  assert.ok(isShortString('run-1'));
  for (const v of ['', 'x'.repeat(4097), 5]) assert.equal(isShortString(v), false);
});
