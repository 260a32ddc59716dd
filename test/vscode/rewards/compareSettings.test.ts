import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUserError } from '../../../src/core/errors';
import { settingsFrom } from '../../../src/vscode/rewards/compareSettings';

test('settings from a reward-compare experiment: defaults, normalised case, and named errors', () => {
  assert.deepEqual(settingsFrom(), { canon: 'val', norm: '2', metric: '2' });
  assert.deepEqual(settingsFrom({ canon: 'EPIC', norm: 'weighted_1', metric: 'inf' }), { canon: 'epic', norm: 'weighted_1', metric: 'inf' });
  assert.throws(() => settingsFrom({ metric: 'none' }), (e: unknown) => isUserError(e) && e.pointer === '/metric' && /expected one of 1, 2, inf/.test(e.message));
  assert.throws(() => settingsFrom({ canon: 'starc' }), (e: unknown) => isUserError(e) && e.pointer === '/canon');
});
