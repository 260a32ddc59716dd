import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timelineRunFromEvents } from '../../../src/panels/timeline/viewModel';
import { confusionMatrixSpec, confusionRows, divergenceRows, freezeRows, laneRows, lossRows, MAX_DRAWN_EPOCHS, metricRows, percentDigits, runLabels, timelineSpec, type ChartTheme } from '../../../src/panels/timeline/spec';
import { classificationReport } from '../../../src/core/train/classificationReport';
import { digitsRunEvents } from '../../vscode/fixtures/runEvents';

const theme: ChartTheme = {
  foreground: '#cccccc', mutedForeground: '#9d9d9d', grid: '#3c3c3c', fontFamily: 'sans-serif', fontSize: 13,
  runColors: ['#3794ff', '#f14c4c', '#89d185', '#cca700'], laneColors: { training: '#d18616', frozen: '#b180d7', pending: '#333333' },
};

const completed = timelineRunFromEvents({ runId: 'r-smartfrz-aaaa', runDir: '/r/a' }, digitsRunEvents());
const none = timelineRunFromEvents(
  { runId: 'r-none-bbbb', runDir: '/r/b' },
  digitsRunEvents().filter((e) => e.type !== 'freeze').map((e) => (e.type === 'start' ? { ...e, policy: 'none' } : e)),
);

/** Compiles with vega-lite and renders with vega's interpreter (as the webview does, no eval). */
async function renderSvg(spec: unknown): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const { expressionInterpreter } = await import('vega-interpreter');
  const compiled = compile(spec as never);
  const view = new vega.View(vega.parse(compiled.spec, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'none' });
  return view.toSVG();
}

test('lanes: training until the freeze step, frozen after it', () => {
  const rows = laneRows([completed]);
  const fc1 = rows.filter((r) => r.layer === 'fc1');
  assert.deepEqual(fc1.map((r) => [r.state, r.start, r.end]), [['training', 0, 10], ['frozen', 10, 40]]);
  const out = rows.filter((r) => r.layer === 'out');
  assert.deepEqual(out.map((r) => [r.state, r.start, r.end]), [['training', 0, 40]]);
});

test('lanes of a live run show the untrained remainder as pending', () => {
  const events = digitsRunEvents({ end: false });
  const live = timelineRunFromEvents({ runId: 'live', runDir: '/r/l' }, events.slice(0, events.findIndex((e) => e.type === 'epoch') + 1));
  const rows = laneRows([live]).filter((r) => r.layer === 'out');
  assert.deepEqual(rows.map((r) => [r.state, r.start, r.end]), [['training', 0, 10], ['pending', 10, 40]]);
});

test('freeze markers: one per weighted layer that froze, labelled with epoch (from 1) and step', () => {
  const rows = freezeRows([completed]);
  assert.deepEqual(rows.map((r) => r.label), ['fc1 frozen at epoch 2 (step 10)', 'fc2 frozen at epoch 3 (step 20)']);
});

test('one epoch convention for people: epochs count from 1 in every tooltip', () => {
  // The fixture's freeze events carry epoch indices 1 and 2 (0-based) and its epoch events 0-3.
  assert.deepEqual(freezeRows([completed]).map((r) => r.epoch), [2, 3]);
  assert.deepEqual(metricRows([completed]).map((r) => r.epoch), [1, 2, 3, 4]);
  assert.match(laneRows([completed]).find((r) => r.layer === 'fc1' && r.state === 'frozen')?.detail ?? '', /^frozen at epoch 2 \(step 10\)/);
});

test('a run of thousands of epochs draws at most MAX_DRAWN_EPOCHS points, its last epoch among them; the run keeps them all', () => {
  const epochs = 5_289;
  const run = timelineRunFromEvents({ runId: 'long', runDir: '/r/long' }, [
    ...digitsRunEvents({ end: false }).filter((e) => e.type === 'start'),
    ...Array.from({ length: epochs }, (_, i) => ({
      type: 'epoch' as const, epoch: i, step: (i + 1) * 45, loss: 1 / (i + 1), testLoss: 1 / (i + 1), testAccuracy: i / epochs,
      seconds: 0.03, elapsedSeconds: 0.03 * (i + 1), samplesPerSecond: 4e4, frozen: [], flopsSaved: { forward: 0, backward: 0 },
    })),
  ], 'running');
  assert.equal(run.epochPoints.length, epochs, 'the view model (and the CSV export) keeps every epoch');
  const drawn = metricRows([run]);
  assert.ok(drawn.length <= MAX_DRAWN_EPOCHS + 1, `${drawn.length} points drawn`);
  assert.ok(drawn.length >= MAX_DRAWN_EPOCHS / 2, `${drawn.length} points drawn`);
  assert.equal(drawn[drawn.length - 1].epoch, epochs);
  assert.equal(drawn[0].epoch, 1);
});

/** The test-accuracy axis labels in a rendered SVG (the only axis with values near `prefix`). */
function accuracyTicks(svg: string, prefix: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*%)<\/text>/g)].map((m) => m[1]).filter((t) => t.startsWith(prefix));
}

test('accuracy that moves by less than a point gets ticks and tooltips with enough decimals', async () => {
  const accuracies = [0.9812, 0.9835, 0.9841, 0.9858];
  const run = timelineRunFromEvents(
    { runId: 'r-smartfrz-aaaa', runDir: '/r/a' },
    digitsRunEvents().map((e) => (e.type === 'epoch' ? { ...e, testAccuracy: accuracies[e.epoch] } : e)),
  );
  const ticks = accuracyTicks(await renderSvg(timelineSpec([run], { width: 500, theme })), '98');
  assert.ok(ticks.length >= 3, JSON.stringify(ticks));
  assert.equal(new Set(ticks).size, ticks.length, `ticks read differently: ${JSON.stringify(ticks)}`);
  assert.ok(ticks.every((t) => /^98\.\d+%$/.test(t)), JSON.stringify(ticks));
  assert.deepEqual(percentDigits(accuracies), { axis: 1, tooltip: 2 });
  // A wide range keeps whole percents; a tiny one gets more decimals (at most three on the axis).
  assert.equal(percentDigits([0.4, 0.9]).axis, 0);
  assert.deepEqual(percentDigits([0.98123, 0.98131]), { axis: 3, tooltip: 4 });
  assert.equal(percentDigits([0.9]).axis, 1);
  // Wide range: tick labels are still distinct.
  const wide = accuracyTicks(await renderSvg(timelineSpec([completed], { width: 500, theme })), '');
  assert.ok(wide.some((t) => /^[6-9]\d%$/.test(t)) && new Set(wide).size === wide.length, JSON.stringify(wide));
});

test('run labels are the policy, disambiguated when policies repeat', () => {
  assert.deepEqual(runLabels([completed, none]), ['smartfrz', 'none']);
  const twice = runLabels([completed, { ...completed, runId: 'r-smartfrz-cccc' }]);
  assert.equal(new Set(twice).size, 2);
  assert.ok(twice.every((l) => l.startsWith('smartfrz')));
});

test('the spec renders with the expression interpreter and shows layers, curves and titles', async () => {
  const spec = timelineSpec([completed], { width: 500, theme });
  const svg = await renderSvg(spec);
  for (const text of ['fc1', 'fc2', 'dropout_1', 'out', 'Layers', 'Test accuracy', 'Loss', 'Backward FLOPs saved', '❄']) {
    assert.ok(svg.includes(text), `SVG shows ${text}`);
  }
  assert.ok(svg.includes(theme.laneColors.frozen), 'frozen lanes use the frozen colour');
  // Lane bars are drawn: one per training/frozen segment, each described for screen readers.
  const bars = svg.match(/<path[^>]*aria-roledescription="bar"[^>]*>/g) ?? [];
  assert.equal(bars.length, laneRows([completed]).length);
  assert.ok(bars.some((b) => /layer: fc1; .*state: frozen/.test(b) && b.includes(theme.laneColors.frozen)));
  assert.ok(bars.some((b) => /layer: out; .*state: training/.test(b) && b.includes(theme.laneColors.training)));
});

test('two runs overlay with one colour each and a legend naming both policies', async () => {
  const spec = timelineSpec([completed, none], { width: 500, theme });
  const svg = await renderSvg(spec);
  assert.ok(svg.includes('smartfrz') && svg.includes('none'));
  assert.ok(svg.includes(theme.runColors[0]) && svg.includes(theme.runColors[1]));
});

test('text from run data stays text in the SVG (escaped, not markup)', async () => {
  const evil = timelineRunFromEvents(
    { runId: 'x', runDir: '/x' },
    digitsRunEvents().map((e) => (e.type === 'start' ? { ...e, layers: e.layers.map((l, i) => (i === 0 ? { ...l, name: '<script>alert(1)</script>' } : l)) } : e)),
  );
  const svg = await renderSvg(timelineSpec([evil], { width: 400, theme }));
  assert.ok(!svg.includes('<script>'));
  assert.ok(svg.includes('&lt;script&gt;'));
});

test('a diverged run is marked on the loss chart where it diverged; its NaN losses are left out of the curve', async () => {
  const events = digitsRunEvents({ end: false, upTo: 30 });
  const step = Math.max(...events.map((e) => (e.type === 'step' ? e.step : 0)));
  events.push(
    { type: 'step', epoch: 1, step: step + 1, loss: NaN, seconds: 1 },
    { type: 'end', status: 'diverged', epoch: 1, step: step + 1, trainSeconds: 1, message: 'training diverged at epoch 2, step 25' },
  );
  const diverged = timelineRunFromEvents({ runId: 'r-smartfrz-cccc', runDir: '/r/c' }, JSON.parse(JSON.stringify(events)));
  assert.deepEqual(divergenceRows([diverged, none]), [{ run: 'smartfrz', step: step + 1, label: 'training diverged at epoch 2, step 25' }]);
  assert.ok(lossRows([diverged]).every((r) => Number.isFinite(r.loss)));
  const svg = await renderSvg(timelineSpec([diverged, none], { width: 500, theme }));
  assert.ok(svg.includes('⚠ diverged'), 'the loss chart marks the divergence');
});

test('confusion matrix: one cell per (true, predicted) pair with its count and share of the true class; renders with counts and class names', async () => {
  const report = classificationReport([0, 0, 0, 1, 1, 2, 2, 2, 2, 2], [0, 1, 0, 1, 2, 2, 2, 0, 2, 1], 3, ['cat', 'dog', '<eel>']);
  const rows = confusionRows(report);
  assert.equal(rows.length, 9);
  assert.deepEqual(rows.find((r) => r.actual === 'dog' && r.predicted === '<eel>'), { actual: 'dog', predicted: '<eel>', count: 1, share: 0.5 });
  assert.deepEqual(rows.find((r) => r.actual === '<eel>' && r.predicted === '<eel>'), { actual: '<eel>', predicted: '<eel>', count: 3, share: 0.6 });
  const empty = confusionRows(classificationReport([0], [0], 2));
  assert.deepEqual(empty.filter((r) => r.actual === '1').map((r) => r.share), [0, 0], 'a class without examples: share 0, not NaN');

  const svg = await renderSvg(confusionMatrixSpec(report, { width: 300, theme }));
  for (const t of ['Confusion matrix', 'True class', 'Predicted', 'cat', 'dog', '&lt;eel&gt;']) assert.ok(svg.includes(t), `shows ${t}`);
  assert.ok(!svg.includes('<eel>'), 'class names are escaped text');
  const counts = [...svg.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1]));
  assert.deepEqual([...counts].sort((a, b) => a - b), [0, 0, 1, 1, 1, 1, 1, 2, 3], 'every cell shows its count');
});

test('a confusion matrix of many classes shrinks its cells and leaves the counts to the tooltip', async () => {
  const n = 40;
  const labels = Array.from({ length: 200 }, (_, i) => i % n);
  const report = classificationReport(labels, labels, n);
  const spec = confusionMatrixSpec(report, { width: 400, theme }) as { width: number; layer: unknown[] };
  assert.equal(spec.width, 400);
  assert.equal(spec.layer.length, 1);
  await renderSvg(spec);
});
