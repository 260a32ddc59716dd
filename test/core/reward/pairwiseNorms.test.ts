import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arraySource, materialize, sourceNorms } from '../../../src/core/reward/canonicalSource';
import { createCanonicalizer, createCanonicalSource } from '../../../src/core/reward/canonicalize';
import { allNorms, createNormContext, NORMS, normOfDifference } from '../../../src/core/reward/norms';
import { pairwiseKernel, pairwiseNormsOfDifferences } from '../../../src/core/reward/pairwiseNorms';
import { createPairwiseWasm } from '../../../src/core/reward/wasm/pairwiseWasm';
import { gemm64Path } from '../../../src/core/reward/wasm/float64Gemm';
import { randomSetup } from './helpers';
import { runSteps } from '../../../src/core/util/steps';

const BUILT = 'dist/gemm64.wasm is missing: run `npm run build` first';

/**
 * The blocked pairwise stage against `normOfDifference` on materialised scaled arrays, pair by
 * pair: bit-identical (same operations, same order per pair), for every norm, both layouts,
 * both kernels, blocks that do not divide the length, and a trivial reward (scale 0).
 */
test('pairwise norms equal normOfDifference exactly: every norm, layout, kernel and block size', () => {
  const { mdp, gauss } = randomSetup(21, 9, 3);
  const ctx = createNormContext(mdp);
  const S = mdp.nStates;
  const SA = S * mdp.nActions;
  // 5 arrays (odd: a scratch lane in wasm), one trivial, one with scale 1.
  const scales = [0.7, 0, 1, 2.5, 1e-3];
  assert.equal(pairwiseKernel(), 'wasm', BUILT);
  for (const [len, compact] of [[SA * S, false], [SA, true]] as const) {
    const values = scales.map(() => Float64Array.from({ length: len }, gauss));
    // What starc.ts did before: scaled copies (zeros for a trivial reward), then one norm per pair.
    const scaled = values.map((v, i) => (scales[i] === 0 ? new Float64Array(len) : v.map((x) => x * scales[i])));
    for (const norm of NORMS) {
      const expected = new Float64Array(25);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) if (i !== j) expected[i * 5 + j] = normOfDifference(ctx, scaled[i], scaled[j], compact, norm);
      for (const kernel of ['wasm', 'js', 'auto'] as const) {
        for (const blockSize of [undefined, 4, 7, 64]) {
          const got = pairwiseNormsOfDifferences(ctx, values, scales, compact, norm, { kernel, blockSize });
          assert.deepEqual(got, expected, `${norm} compact=${compact} ${kernel} block ${blockSize}`);
        }
      }
    }
  }
});

test('the wasm kernel directly: accumulators for 2 to 10 arrays, blocks cut anywhere', () => {
  const wasm = createPairwiseWasm();
  assert.ok(wasm, BUILT);
  const { mdp, gauss } = randomSetup(22, 5, 2);
  const ctx = createNormContext(mdp);
  const len = mdp.nStates * mdp.nActions * mdp.nStates;
  for (let n = 2; n <= 10; n++) {
    const values = Array.from({ length: n }, () => Float64Array.from({ length: len }, gauss));
    const scales = values.map((_, i) => (i % 3 === 1 ? 0 : 1 + i));
    for (const kind of [1, 4, 5]) {
      const acc: Float64Array | undefined = runSteps(wasm.accumulate(kind, values.map((v) => arraySource(v, false)), scales, ctx.transitions, 13));
      assert.ok(acc);
      const js = pairwiseNormsOfDifferences(ctx, values, scales, false, NORMS[kind], { kernel: 'js' });
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const d: number = kind === 5 ? acc[i * n + j] : Math.sqrt(acc[i * n + j]);
          assert.equal(d, js[i * n + j], `n ${n} kind ${kind} (${i}, ${j})`);
        }
      }
    }
  }
});

test('pairwise norms: fewer than two arrays, mismatched inputs', () => {
  const { mdp } = randomSetup(23, 3, 2);
  const ctx = createNormContext(mdp);
  assert.deepEqual(pairwiseNormsOfDifferences(ctx, [new Float64Array(18)], [1], false, '2'), new Float64Array(1));
  assert.throws(() => pairwiseNormsOfDifferences(ctx, [new Float64Array(18), new Float64Array(17)], [1, 1], false, '2'), RangeError);
  assert.throws(() => pairwiseNormsOfDifferences(ctx, [new Float64Array(18), new Float64Array(18)], [1], false, '2'), RangeError);
  assert.throws(() => pairwiseNormsOfDifferences(ctx, [new Float64Array(18), new Float64Array(18)], [1, 1], false, '3' as never), /unknown norm/);
  assert.ok(gemm64Path(), BUILT);
});

test("DARD as a source (reward plus S x S shift, entries on demand) equals the materialised canonical reward exactly", () => {
  // 40 states: dense products on the fused wasm path, and 4800 entries, more than one block of sourceNorms.
  const { mdp, reward } = randomSetup(24, 40, 3, 0.9);
  const ctx = createNormContext(mdp);
  const rewards = [reward(), reward(), reward()];
  const arrays = rewards.map((r) => createCanonicalizer(mdp, 'dard')(r).values);
  const sources = rewards.map((r) => createCanonicalSource(mdp, 'dard')(r));
  for (let i = 0; i < 3; i++) {
    assert.equal(sources[i].values, undefined, 'structured, not an array');
    assert.deepEqual(materialize(sources[i]), arrays[i]);
    // Blocks cut inside rows and across (s, a) rows.
    const part = new Float64Array(50);
    sources[i].fill(37, 45, part, 5);
    assert.deepEqual(part.subarray(5), arrays[i].subarray(37, 82));
    assert.deepEqual(sourceNorms(ctx, sources[i]), allNorms(ctx, arrays[i], false));
  }
  const scales = [0.5, 0, 3];
  for (const norm of NORMS) {
    for (const kernel of ['wasm', 'js'] as const) {
      const expected = pairwiseNormsOfDifferences(ctx, arrays, scales, false, norm, { kernel, blockSize: 64 });
      assert.deepEqual(pairwiseNormsOfDifferences(ctx, sources, scales, false, norm, { kernel, blockSize: 64 }), expected, `${norm} ${kernel}`);
    }
  }
});
