import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANONICALIZATIONS } from '../../../src/core/reward/canonicalize';
import { CANONICALIZATION_LABELS, normalizationLabel, parseCanonicalization } from '../../../src/core/reward/names';
import { NORMALIZATIONS, parseNormalization } from '../../../src/core/reward/norms';

test('names the panel shows parse back to their setting, in any case', () => {
  for (const c of CANONICALIZATIONS) {
    assert.equal(parseCanonicalization(c), c);
    assert.equal(parseCanonicalization(CANONICALIZATION_LABELS[c]), c);
    assert.equal(parseCanonicalization(` ${CANONICALIZATION_LABELS[c].toUpperCase()} `), c);
  }
  for (const n of NORMALIZATIONS) {
    assert.equal(parseNormalization(n), n);
    assert.equal(parseNormalization(normalizationLabel(n)), n, normalizationLabel(n));
  }
  assert.deepEqual(['L2', 'l2', 'Linf', 'L∞', 'infinity', 'weighted L1', 'WEIGHTED_L∞', 'weighted 2'].map(parseNormalization), ['2', '2', 'inf', 'inf', 'inf', 'weighted_1', 'weighted_inf', 'weighted_2']);
  assert.equal(normalizationLabel('weighted_inf'), 'weighted L∞');
  for (const bad of ['L3', 'weighted', 'weighted none', '']) assert.equal(parseNormalization(bad), undefined, bad);
  assert.equal(parseCanonicalization('starc'), undefined);
});
