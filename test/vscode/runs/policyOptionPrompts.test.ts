import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionPrompt, policyOptionPrompts, type PolicyOptionPrompt } from '../../../src/vscode/runs/policyOptionPrompts';

/** The digits example as written (policy smartfrz: no static settings). */
const digits = {
  kind: 'train',
  model: {
    inputShape: [64],
    layers: [
      { name: 'fc1', type: 'dense', units: 128 },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 64 },
      { name: 'out', type: 'dense', units: 10 },
    ],
  },
  training: { epochs: 20, batchSize: 32 },
  freezing: { policy: 'smartfrz' },
};

function input(p: PolicyOptionPrompt | undefined): Extract<PolicyOptionPrompt, { kind: 'input' }> {
  assert.equal(p?.kind, 'input');
  return p as Extract<PolicyOptionPrompt, { kind: 'input' }>;
}

test('static on a file without static settings: pick the layers (a prefix of the weighted ones), then the epoch', () => {
  const prompts = policyOptionPrompts('static', digits);
  assert.equal(prompts.length, 2);
  const [which, when] = prompts;
  assert.equal(which.kind, 'pick');
  if (which.kind === 'pick') {
    // keepTrainable 1 (the default): the classifier keeps training.
    assert.deepEqual(which.items.map((i) => [i.label, i.options]), [
      ['Freeze fc1', { prefix: 1 }],
      ['Freeze fc1, dense_2', { prefix: 2 }],
    ]);
    assert.match(which.items[1].description, /first 2 of 3 layers with weights/);
  }
  const w = input(when);
  assert.equal(w.value, '10');
  assert.match(w.prompt, /the run has 20 epochs/);
  assert.equal(w.validate('0'), undefined);
  assert.equal(w.validate('19'), undefined);
  assert.match(w.validate('20') ?? '', /freeze after 0 to 19/);
  assert.match(w.validate('two') ?? '', /whole number/);
  assert.deepEqual(w.options(' 5 '), { atEpoch: 5 });
});

test('only what the file does not give is asked; other policies ask nothing', () => {
  const staticLayers = { ...digits, freezing: { policy: 'static', layers: ['fc1'], keepTrainable: 2 } };
  assert.deepEqual(policyOptionPrompts('static', staticLayers).map((p) => p.title), ['When should they freeze?']);
  assert.deepEqual(policyOptionPrompts('static', { ...digits, freezing: { policy: 'static', prefix: 1, atStep: 0 } }), []);
  // keepTrainable carries over from another policy and limits the choice.
  const keep2 = policyOptionPrompts('static', { ...digits, freezing: { policy: 'linear', keepTrainable: 2 } })[0];
  assert.equal(keep2.kind === 'pick' && keep2.items.length, 1);
  for (const policy of ['none', 'linear', 'autofreeze', 'smartfrz']) assert.deepEqual(policyOptionPrompts(policy, digits), [], policy);
});

test('layers unknown (a saved model) or a broken file: the count is asked', () => {
  for (const doc of [{ ...digits, model: { from: 'model/model.json' } }, undefined, { model: 'x', training: { epochs: 'many' } }]) {
    const [which, when] = policyOptionPrompts('static', doc as Record<string, unknown> | undefined);
    const w = input(which);
    assert.equal(w.validate('0') !== undefined, true);
    assert.deepEqual(w.options('3'), { prefix: 3 });
    input(when);
  }
  const [, when] = policyOptionPrompts('static', { model: 'x', training: { epochs: 'many' } });
  assert.equal(input(when).validate('100'), undefined, 'no epoch count known: any number');
});

test('a required option without its own question is asked as a JSON value', () => {
  const p = input(optionPrompt('future', ['window'], digits, {}));
  assert.match(p.validate('') ?? '', /"window" is required/);
  assert.deepEqual(p.options('[1, 2]'), { window: [1, 2] });
  assert.deepEqual(p.options('fast'), { window: 'fast' });
});
