import assert from 'node:assert/strict';
import { test } from 'node:test';
import { experimentValidators, EXPERIMENT_SCHEMA } from '../../../src/core/experiment/schema';
import { layerName } from '../../../src/core/experiment/layerName';
import type { FreezingConfig, FreezingPolicyName, LayerConfig, LayerType, TrainingConfig } from '../../../src/core/experiment/types';

type Schema = Record<string, unknown>;
const defs = EXPERIMENT_SCHEMA.definitions as Record<string, Schema>;
const resolve = (s: Schema): Schema => (typeof s.$ref === 'string' ? defs[s.$ref.split('/').pop() as string] : s);

/** Every schema node that declares `properties`, with where it is. */
function objectSchemas(): [string, Schema][] {
  const out: [string, Schema][] = [];
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => visit(n, `${where}/${i}`));
    else if (node && typeof node === 'object') {
      const s = node as Schema;
      if (s.properties) out.push([where, s]);
      for (const [k, v] of Object.entries(s)) visit(v, `${where}/${k}`);
    }
  };
  visit(EXPERIMENT_SCHEMA, '#');
  return out;
}

test('the schema compiles (strict mode) and every property has a description', () => {
  assert.equal(typeof experimentValidators().check, 'function');
  for (const [where, s] of objectSchemas()) {
    for (const [name, prop] of Object.entries(s.properties as Record<string, Schema>)) {
      const described = typeof prop.description === 'string' || typeof resolve(prop).description === 'string';
      assert.ok(described, `${where}/properties/${name} has no description`);
    }
  }
});

test('objects of the experiment reject unknown properties (additionalProperties: false)', () => {
  for (const [where, s] of objectSchemas()) {
    if (where === '#') continue; // the root dispatches on kind; its branches are closed
    assert.equal(s.additionalProperties, false, `${where} allows unknown properties`);
  }
});

test('layer types and their parameters match types.ts', () => {
  // Exhaustive at compile time: adding a LayerConfig field or type without listing it fails tsc.
  const layerFields: Record<keyof LayerConfig, true> = {
    name: true, type: true, units: true, activation: true, filters: true, kernelSize: true, strides: true,
    padding: true, poolSize: true, rate: true, inputDim: true, outputDim: true, numHeads: true, ffDim: true,
    momentum: true, epsilon: true,
  };
  const layerTypes: Record<LayerType, true> = {
    dense: true, conv2d: true, maxPooling2d: true, flatten: true, dropout: true, batchNormalization: true,
    embedding: true, positionalEncoding: true, transformerEncoder: true, globalAveragePooling1d: true,
  };
  const branches = (defs.layer.oneOf as Schema[]).map(resolve);
  const typesInSchema = branches.map((b) => ((b.properties as Record<string, Schema>).type.const as string));
  assert.deepEqual(typesInSchema.sort(), Object.keys(layerTypes).sort());
  for (const b of branches) {
    for (const field of Object.keys(b.properties as Schema)) {
      assert.ok(field in layerFields, `schema layer ${String(b.title)} has "${field}", which LayerConfig lacks`);
    }
  }
});

test('freezing policies and their options match types.ts', () => {
  const policies: Record<FreezingPolicyName, true> = { none: true, static: true, linear: true, autofreeze: true, smartfrz: true };
  const fields: Record<keyof FreezingConfig, true> = {
    policy: true, cache: true, layers: true, prefix: true, atEpoch: true, atStep: true, t0: true, cubic: true,
    intervalSteps: true, percentile: true, predictor: true, threshold: true, snapshotEvery: true, accuracyTolerance: true, minLayerSimilarity: true, minConvSimilarity: true, probeEvery: true, stableReadings: true, maxDriftRatio: true, driftSpan: true, convDriftSteps: true, minOutputSimilarity: true, keepTrainable: true,
  };
  const branches = (defs.freezing.oneOf as Schema[]).map(resolve);
  assert.deepEqual(branches.map((b) => (b.properties as Record<string, Schema>).policy.const).sort(), Object.keys(policies).sort());
  const covered = new Set(branches.flatMap((b) => Object.keys(b.properties as Schema)));
  assert.deepEqual([...covered].sort(), Object.keys(fields).sort());
  const training: Record<keyof TrainingConfig, true> = { epochs: true, batchSize: true, optimizer: true, seed: true, shuffle: true, batchNormStatistics: true };
  assert.deepEqual(Object.keys(defs.training.properties as Schema).sort(), Object.keys(training).sort());
});

test('layerName: the configured name, else type_index', () => {
  assert.equal(layerName({ name: 'fc1', type: 'dense' }, 0), 'fc1');
  assert.equal(layerName({ type: 'dense' }, 2), 'dense_2');
  assert.equal(layerName({ type: 'conv2d', name: '' }, 0), 'conv2d_0');
});

test('editor snippets expand to valid layers and freezing configs', () => {
  /** Expand VS Code snippet placeholders to their first default: "^${1:64}" -> 64, "${2|relu,linear|}" -> "relu". */
  const expand = (v: unknown): unknown => {
    if (typeof v !== 'string') return v;
    const raw = /^\^\$\{\d+:([^}]*)\}$/.exec(v);
    if (raw) return JSON.parse(raw[1]);
    return v.replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1');
  };
  const body = (s: Schema): Record<string, unknown> =>
    Object.fromEntries(Object.entries(s.body as Record<string, unknown>).map(([k, v]) => [k, expand(v)]));
  const validate = experimentValidators().check;
  const base = {
    kind: 'train',
    name: 's',
    data: { format: 'csv', train: 'a.csv' },
    training: { epochs: 1, batchSize: 1 },
  };
  const layerSnippets = defs.layer.defaultSnippets as Schema[];
  assert.equal(layerSnippets.length, 11);
  for (const s of layerSnippets) {
    const exp = { ...base, model: { inputShape: [4], layers: [body(s)] } };
    assert.ok(validate(exp), `${String(s.label)}: ${JSON.stringify(validate.errors)}`);
  }
  for (const s of defs.freezing.defaultSnippets as Schema[]) {
    const exp = { ...base, model: { inputShape: [4], layers: [{ type: 'dense', units: 2 }] }, freezing: body(s) };
    assert.ok(validate(exp), `${String(s.label)}: ${JSON.stringify(validate.errors)}`);
  }
});
