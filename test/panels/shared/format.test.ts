import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPercent, formatSaving } from '../../../src/panels/shared/format';

test('a saving is a positive share, as the timeline chart plots it ("48% ... saved", never "−48% ... saved")', () => {
  assert.equal(formatSaving(0.48), '48%');
  assert.equal(formatSaving(0.004), '<1%');
  assert.equal(formatSaving(0), '0%');
  assert.equal(formatSaving(1), '100%');
  assert.equal(formatPercent(0.9512), '95.1%');
});
