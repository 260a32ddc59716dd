import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listProofs } from '../../../src/core/zk/proofs';

const claim = (min: number) => ({
  statement: 'x', scheme: 'model-lab/accuracy/1', proofSystem: { library: 'o1js', version: '2.15.0', proof: 'Kimchi' },
  metric: 'accuracy', min, n: 13, minCorrect: Math.ceil(min * 13), circuitSize: 16,
  commitments: { predictions: '123', labels: '456' }, testSet: { sha256: 'a'.repeat(64) }, createdAt: '2026-12-06T00:00:00Z',
});

test('listProofs reads the claims of a run\'s proof folders, highest claim first, and skips what is not a claim', () => {
  const runDir = mkdtempSync(path.join(tmpdir(), 'ml-proofs-'));
  assert.deepEqual(listProofs(runDir), [], 'no proofs folder');
  const put = (name: string, text: string) => {
    mkdirSync(path.join(runDir, 'proofs', name), { recursive: true });
    writeFileSync(path.join(runDir, 'proofs', name, 'claim.json'), text);
  };
  put('low', JSON.stringify(claim(0.5)));
  put('high', JSON.stringify(claim(0.84)));
  put('torn', '{"statement":');
  put('not-a-claim', JSON.stringify({ ...claim(0.99), min: 'all' }));
  mkdirSync(path.join(runDir, 'proofs', 'empty'));
  const proofs = listProofs(runDir);
  assert.deepEqual(proofs.map((p) => [path.basename(p.proofDir), p.claim.min]), [['high', 0.84], ['low', 0.5]]);
});
