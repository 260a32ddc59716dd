import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../../src/core/errors';
import { decodeWeights, encodeWeights, loadModelFiles, saveModelFiles } from '../../../../src/core/extract/builtin/weightsFile';

test('small tensors round-trip exactly, large matrices within the uint8 row quantisation step', () => {
  const small = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 3);
  const rows = 2000;
  const cols = 64;
  const big = Float32Array.from({ length: rows * cols }, (_, i) => Math.cos(i * 0.37) * (1 + (i % 7)));
  const { specs, data } = encodeWeights({ small: { shape: [5, 6], values: small }, big: { shape: [rows, cols], values: big } });
  assert.deepEqual(specs.map((s) => s.dtype), ['float32', 'uint8-rows']);
  assert.ok(data.length < big.length * 4 / 3, 'quantised matrix is about 4x smaller');
  const back = decodeWeights(specs, data);
  assert.deepEqual(back.small.values, small);
  for (let r = 0; r < rows; r++) {
    const row = big.subarray(r * cols, (r + 1) * cols);
    const step = (Math.max(...row) - Math.min(...row)) / 255;
    for (let c = 0; c < cols; c++) assert.ok(Math.abs(back.big.values[r * cols + c] - row[c]) <= step / 2 + 1e-6);
  }
});

test('rank-3 kernels are quantised along their last axis and round-trip within the step', () => {
  const shape = [5, 32, 128];
  const values = Float32Array.from({ length: 5 * 32 * 128 }, (_, i) => Math.sin(i * 0.11) * (1 + (i % 5)));
  const { specs, data } = encodeWeights({ conv: { shape, values } });
  assert.equal(specs[0].dtype, 'uint8-rows');
  assert.equal(specs[0].byteLength, 5 * 32 * (8 + 128));
  const back = decodeWeights(specs, data).conv;
  assert.deepEqual(back.shape, shape);
  for (let r = 0; r < 5 * 32; r++) {
    const row = values.subarray(r * 128, (r + 1) * 128);
    const step = (Math.max(...row) - Math.min(...row)) / 255;
    for (let c = 0; c < 128; c++) assert.ok(Math.abs(back.values[r * 128 + c] - row[c]) <= step / 2 + 1e-6);
  }
});

test('save/load through files; a truncated weights file is a user error', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'weights-'));
  try {
    await saveModelFiles(dir, 'm', { hello: 'world' }, { w: { shape: [2], values: Float32Array.from([1.5, -2]) } });
    const { meta, weights } = await loadModelFiles(path.join(dir, 'm.json'));
    assert.equal(meta.hello, 'world');
    assert.deepEqual(Array.from(weights.w.values), [1.5, -2]);
    writeFileSync(path.join(dir, 'm.weights.bin'), new Uint8Array(3));
    await assert.rejects(loadModelFiles(path.join(dir, 'm.json')), (e: unknown) => e instanceof UserError && /truncated/.test(e.message));
    await assert.rejects(loadModelFiles(path.join(dir, 'missing.json')), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
