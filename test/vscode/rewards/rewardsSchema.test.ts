import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'jsonc-parser';
import { EXPERIMENT_SCHEMA } from '../../../src/core/experiment/schema';
import { CANONICALIZATIONS } from '../../../src/core/reward/canonicalize';
import { CANONICALIZATION_LABELS, normalizationLabel } from '../../../src/core/reward/names';
import { NORMALIZATIONS } from '../../../src/core/reward/norms';
import { settingsFrom } from '../../../src/vscode/rewards/compareSettings';

const REPO = path.resolve(__dirname, '../../..');
const schema = JSON.parse(readFileSync(path.join(REPO, 'schemas/rewards.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

test('every shipped example rewards file satisfies the schema (the editor shows no false squiggles)', () => {
  const dir = path.join(REPO, 'examples/rewards');
  const files = readdirSync(dir).filter((f) => f.endsWith('.rewards.json'));
  assert.ok(files.length >= 2);
  for (const f of files) {
    const doc = parse(readFileSync(path.join(dir, f), 'utf8'));
    assert.ok(validate(doc), `${f}: ${JSON.stringify(validate.errors)}`);
  }
});

test('the schema rejects what the loader rejects at the field level', () => {
  const base = { discount: 0.9, transitions: [[[1]]], rewards: { r: { state: [1] } } };
  assert.ok(validate(base));
  assert.equal(validate({ ...base, discount: 1 }), false);
  assert.equal(validate({ ...base, transitions: undefined }), false, 'needs transitions or a gridworld');
  assert.equal(validate({ ...base, extra: 1 }), false);
  assert.equal(validate({ ...base, rewards: { r: { state: [1], of: 'x' } } }), false, 'exactly one kind per reward');
  assert.equal(validate({ ...base, gridworld: { width: 2, height: 1, actions: 5 } }), false);
});

test('a reward-compare experiment\'s schema offers every setting for completion and accepts exactly what the panel understands', () => {
  const props = (EXPERIMENT_SCHEMA.definitions as Record<string, { properties: Record<string, { enum: string[]; markdownEnumDescriptions: string[] }> }>)
    .rewardCompareExperiment.properties;
  for (const field of ['canon', 'norm', 'metric'] as const) {
    const { enum: values, markdownEnumDescriptions: docs } = props[field];
    assert.equal(docs.length, values.length, `${field}: one description per value`);
    // Every value the schema accepts works in the panel...
    for (const v of values) assert.doesNotThrow(() => settingsFrom({ [field]: v }), `${field}: ${v}`);
  }
  // ...and every setting and its panel name is offered.
  for (const c of CANONICALIZATIONS) for (const v of [c, CANONICALIZATION_LABELS[c]]) assert.ok(props.canon.enum.includes(v), v);
  for (const n of NORMALIZATIONS) {
    for (const v of n === 'none' ? [n] : [n, normalizationLabel(n)]) {
      assert.ok(props.norm.enum.includes(v), v);
      assert.equal(props.metric.enum.includes(v), n !== 'none', v);
    }
  }
});
