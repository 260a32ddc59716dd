import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGazetteer, tokenFeatures } from '../../../../src/core/extract/builtin/features';

test('gazetteer lookups see only its own entries: "constructor" or "toString" are plain words', () => {
  const gaz = buildGazetteer([{ tokens: ['Ann', 'Lee', 'met', 'Bob'], entities: [{ type: 'Peop', start: 0, end: 2 }] }]);
  const feats = tokenFeatures(['The', 'constructor', 'of', 'toString', 'and', '__proto__', 'met', 'Ann', 'Lee'], gaz);
  for (const f of feats.slice(0, 7)) assert.deepEqual(f.filter((x) => x.startsWith('gz=') || x.startsWith('gw=')), []);
  assert.ok(feats[7].includes('gz=B-Peop') && feats[8].includes('gz=L-Peop'), feats[7].join(' '));
});
