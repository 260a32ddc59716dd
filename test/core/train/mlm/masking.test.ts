import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskTokens } from '../../../../src/core/train/mlm/masking';
import { createRng } from '../../../../src/core/util/random';

/** 400 rows of 20 ids: 15 real words (ids 2..99) then 5 padding. */
function corpus(): Int32Array {
  const rng = createRng(3);
  const x = new Int32Array(400 * 20);
  for (let r = 0; r < 400; r++) for (let j = 0; j < 15; j++) x[r * 20 + j] = 2 + rng.int(98);
  return x;
}

const OPTS = { probability: 0.15, maskId: 100, vocabSize: 100 };

test('BERT masking: ~15% of the real tokens selected, of those ~80% [MASK], ~10% a random word, ~10% kept; padding never', () => {
  const x = corpus();
  const m = maskTokens(x, 400, 20, OPTS, createRng(1));
  const real = 400 * 15;
  const share = m.positions.length / real;
  assert.ok(share > 0.13 && share < 0.17, `selected ${share}`);
  let masked = 0;
  let kept = 0;
  let replaced = 0;
  m.positions.forEach((p, k) => {
    assert.ok(p % 20 < 15, `position ${p} is padding`);
    assert.equal(m.targets[k], x[p], 'the target is the original word');
    if (m.input[p] === OPTS.maskId) masked++;
    else if (m.input[p] === x[p]) kept++;
    else {
      replaced++;
      assert.ok(m.input[p] >= 2 && m.input[p] < OPTS.vocabSize, `random word ${m.input[p]} is a real word`);
    }
  });
  const n = m.positions.length;
  assert.ok(Math.abs(masked / n - 0.8) < 0.04, `[MASK] ${masked / n}`);
  // A random replacement can draw the original word (1 in 98): "kept" is ~10.1%.
  assert.ok(Math.abs(kept / n - 0.1) < 0.03, `kept ${kept / n}`);
  assert.ok(Math.abs(replaced / n - 0.1) < 0.03, `replaced ${replaced / n}`);
  // Positions not selected are untouched; the input is a copy.
  const selected = new Set(m.positions);
  for (let i = 0; i < x.length; i++) if (!selected.has(i)) assert.equal(m.input[i], x[i]);
  assert.ok([...m.positions].every((p, k) => k === 0 || p > m.positions[k - 1]), 'ascending');
});

test('masking is a function of the generator state: the same state masks the same way (what makes a resumed pretraining bit-identical)', () => {
  const x = corpus();
  const rng = createRng(9);
  maskTokens(x, 400, 20, OPTS, rng);
  const state = rng.state();
  const a = maskTokens(x, 400, 20, OPTS, rng);
  const again = createRng(0);
  again.restore(state);
  const b = maskTokens(x, 400, 20, OPTS, again);
  assert.deepEqual(a, b);
  assert.notDeepEqual(maskTokens(x, 400, 20, OPTS, createRng(9)).positions, a.positions, 'a different state, a different mask');
});

test('a batch where no token was drawn still gets one position; an all-padding batch gets none; bad probabilities are refused', () => {
  const x = Int32Array.from([5, 6, 0, 0]);
  const m = maskTokens(x, 1, 4, { ...OPTS, probability: 1e-9 }, createRng(2));
  assert.equal(m.positions.length, 1);
  assert.ok(m.positions[0] < 2);
  assert.equal(maskTokens(new Int32Array(4), 1, 4, OPTS, createRng(2)).positions.length, 0);
  assert.throws(() => maskTokens(x, 1, 4, { ...OPTS, probability: 0 }, createRng(2)), /probability/);
  assert.throws(() => maskTokens(x, 2, 4, OPTS, createRng(2)), /token ids/);
});
