import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { generatedPair, WIDE_CNN_FROM } from '../../../scripts/smartfrz/pairs';

test('adding the 28-pixel CNN family leaves every recorded pair as it was (same id and recipe)', () => {
  const root = path.resolve(__dirname, '..', '..', '..');
  const dataset = JSON.parse(fs.readFileSync(path.join(root, 'models/smartfrz/dataset.json'), 'utf8')) as { runs: Array<{ id: string; describe: string }> };
  const recorded = dataset.runs.filter((r) => Number(r.id.slice(1, 4)) < WIDE_CNN_FROM);
  assert.ok(recorded.length >= 120, `the 120 pairs before the family: ${recorded.length}`);
  for (const r of recorded) {
    const p = generatedPair(Number(r.id.slice(1, 4)));
    assert.equal(p.id, r.id);
    assert.equal(p.describe, r.describe);
  }
});

test('pairs from WIDE_CNN_FROM on are CNNs on generated 28-pixel strokes, a quarter of them calibration pairs', () => {
  const pairs = Array.from({ length: 16 }, (_, k) => generatedPair(WIDE_CNN_FROM + k));
  for (const p of pairs) {
    assert.equal(p.family, 'cnn');
    assert.match(p.describe, /strokes\(28x28/);
    const convs = (p.model.layers ?? []).filter((l) => l.type === 'conv2d');
    assert.ok(convs.length === 2 || convs.length === 3, p.describe);
    assert.ok(convs.every((l) => (l.filters ?? 0) >= 8), `wider than the earlier generated CNNs: ${p.describe}`);
  }
  assert.equal(pairs.filter((p) => p.role === 'calibrate').length, 4);
  assert.ok(pairs.some((p) => (p.model.layers ?? []).some((l) => l.name === 'conv3')), 'some three-block CNNs');
  const data = pairs[0].load() as ReturnType<typeof pairs[0]['load']> & { exampleShape: number[] };
  assert.deepEqual(data.exampleShape, [28, 28, 1]);
});
