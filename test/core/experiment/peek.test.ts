import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { peekExperiment, peekLabel } from '../../../src/core/experiment/peek';

describe('peekExperiment', () => {
  it('reads kind, name and policy from JSONC', () => {
    const text = '// comment\n{ "kind": "train", "name": "mlp", "freezing": { "policy": "smartfrz", }, }';
    assert.deepEqual(peekExperiment(text), { kind: 'train', name: 'mlp', policy: 'smartfrz' });
  });

  it('defaults the kind to train and tolerates broken or odd documents', () => {
    assert.deepEqual(peekExperiment('{ "name": "x", "freezing": '), { kind: 'train', name: 'x', policy: undefined });
    assert.deepEqual(peekExperiment(''), { kind: 'train', name: undefined, policy: undefined });
    assert.deepEqual(peekExperiment('[1, 2]'), { kind: 'train', name: undefined, policy: undefined });
    assert.deepEqual(peekExperiment('{ "kind": 3, "name": {}, "freezing": null }'), { kind: 'train', name: undefined, policy: undefined });
  });

  it('labels runs by policy for train experiments and by kind otherwise', () => {
    assert.equal(peekLabel(peekExperiment('{ "freezing": { "policy": "linear" } }')), 'linear');
    assert.equal(peekLabel(peekExperiment('{}')), 'none');
    assert.equal(peekLabel(peekExperiment('{ "kind": "extract-train", "freezing": { "policy": "linear" } }')), 'extract-train');
  });
});
