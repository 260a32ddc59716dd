import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findLayerNodes, layerAnnotations } from '../../../src/vscode/experimentFile/layerAnnotations';
import { marked } from 'marked';
import type { RunEvent } from '../../../src/core/train/events';
import { DIGITS_EXPERIMENT_TEXT, digitsRunEvents } from '../fixtures/runEvents';

const run = { runId: 'run-a', runDir: '/r/a' };

test('finds each model.layers entry with its offsets and positional default name', () => {
  const nodes = findLayerNodes(DIGITS_EXPERIMENT_TEXT);
  assert.deepEqual(nodes.map((n) => n.name), ['fc1', 'dropout_1', 'fc2', 'out']);
  for (const n of nodes) {
    assert.equal(DIGITS_EXPERIMENT_TEXT[n.start], '{');
    assert.equal(DIGITS_EXPERIMENT_TEXT[n.end - 1], '}');
  }
});

test('completed run: frozen layers say when and the backward saving; the classifier trained to the end', () => {
  const a = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, digitsRunEvents());
  const byName = Object.fromEntries(a.map((x) => [x.name, x]));
  // Epochs count from 1 for people: fc1's freeze event has epoch index 1, the second epoch.
  assert.equal(byName.fc1.label, '❄ frozen at epoch 2 (step 10) · 48% saved');
  assert.equal(byName.fc2.label, '❄ frozen at epoch 3 (step 20) · 96% saved');
  assert.deepEqual(byName.fc1.parts, ['❄ frozen at epoch 2 (step 10)', '48% saved']);
  assert.ok(a.every((x) => x.parts.join(' ').length <= 43), 'a line\'s inlay hints together fit VS Code\'s default maximum length (editor.inlayHints.maximumLength)');
  assert.equal(byName.fc1.state, 'frozen');
  assert.equal(byName.dropout_1.state, 'frozen');
  assert.equal(byName.dropout_1.label, '❄ frozen at epoch 2 (step 10)');
  assert.equal(byName.out.state, 'trained');
  assert.equal(byName.out.label, 'trained all 4 epochs');
  assert.ok(byName.fc1.details.includes('Why: P\\(freeze\\)\\=0\\.91'), byName.fc1.details);
  assert.match(byName.fc1.details, /8\\\.32k trainable parameters/);
  assert.match(byName.fc1.details, /Frozen at epoch 2, step 10 of 40\./);
  assert.match(byName.fc1.details, /each step skips 48\\% of the backward FLOPs and 0\\% of the forward FLOPs/);
});

test('live run: annotations follow the events seen so far', () => {
  const events = digitsRunEvents({ end: false });
  const firstEpoch = events.findIndex((e) => e.type === 'epoch');
  const early = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events.slice(0, firstEpoch + 1));
  assert.ok(early.every((x) => x.state === 'training'));
  assert.match(early[0].label, /epoch 2\/4/);
  const later = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events.slice(0, firstEpoch + 2));
  assert.equal(later.find((x) => x.name === 'fc1')?.state, 'frozen');
});

test('layers the run does not know (renamed since) get no annotation; broken JSON gives none', () => {
  const renamed = DIGITS_EXPERIMENT_TEXT.replace('"fc2"', '"hidden"');
  const a = layerAnnotations(renamed, run, digitsRunEvents());
  assert.deepEqual(a.map((x) => x.name), ['fc1', 'dropout_1', 'out']);
  assert.deepEqual(layerAnnotations('{ "model": ', run, digitsRunEvents()), []);
  assert.deepEqual(layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, []), []);
});

test('a cancelled run says how far layers trained', () => {
  const events = digitsRunEvents({ end: 'cancelled' });
  const a = layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events);
  assert.equal(a.find((x) => x.name === 'out')?.label, 'trained 4/4 epochs (run cancelled)');
});

/** What VS Code's hover shows: its markdown renderer is marked (v14, GitHub-flavoured). */
function rendered(markdown: string): string {
  return marked.parse(markdown, { async: false, gfm: true }) as string;
}

test('a crafted run folder cannot put links or remote images into the hover', () => {
  const link = '[click me](https://evil.test/steal)';
  const image = '![](https://evil.test/pixel.png)';
  const bare = 'https://evil.test/bare <img src=https://evil.test/i.png>';
  // Fields that should be numbers or known words arrive as markup (events.jsonl is just a file).
  const events = digitsRunEvents({ end: false }).map((e): RunEvent => {
    if (e.type === 'start') return { ...e, epochs: image as unknown as number, runId: bare, policy: link, layers: e.layers.map((l) => ({ ...l, type: `dense ${image}`, params: link as unknown as number })) };
    if (e.type === 'freeze') return { ...e, epoch: link as unknown as number, step: image as unknown as number, reason: `${bare}\n\n${link}` };
    return e;
  });
  const annotations = layerAnnotations(DIGITS_EXPERIMENT_TEXT, { runId: bare, runDir: '/r/a', status: `${link} ${image}` as never }, events);
  assert.ok(annotations.length > 0);
  for (const a of annotations) {
    const html = rendered(a.details);
    assert.ok(!/<a\b|<img\b/i.test(html), html);
    assert.ok(html.includes('evil.test'), 'the values are shown, as text');
  }
  // The same escaping really stops marked: unescaped, it would render all three.
  assert.match(rendered(`${link} ${image} ${bare}`), /<a href="https:\/\/evil\.test\/steal">[\s\S]*<img src="https:\/\/evil\.test\/pixel\.png"/);
});

test('with text class labels, the output layer\'s hover says which output is which class', () => {
  const events = digitsRunEvents();
  const start = events[0];
  if (start.type === 'start') start.classNames = ['cat', 'dog'];
  const byName = Object.fromEntries(layerAnnotations(DIGITS_EXPERIMENT_TEXT, run, events).map((x) => [x.name, x]));
  assert.match(rendered(byName.out.details), /One output per class: 0 cat, 1 dog/);
  assert.doesNotMatch(byName.fc1.details, /per class/);
});
