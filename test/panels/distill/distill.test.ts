import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/core/train/events';
import { isDistillPanelState, isHostToWebview, isWebviewToHost } from '../../../src/panels/distill/messages';
import { armsSpec, batchNormRows, batchNormSpec, stageLanesSpec, type DistillChartTheme } from '../../../src/panels/distill/spec';
import { armCsvRows, armRows, distillView, galleryByClass, imageGreys, laneOf, lossCsvRows } from '../../../src/panels/distill/viewModel';
import { parseEventLines } from '../../../src/runner/runStore';
import { renderSvg } from '../rlRender';

/**
 * The distillation panel's contract on the events of a real run: `fixtures/digits-distill.events.jsonl`
 * is `events.jsonl` of a distill run on the shipped digits (teacher MLP with two batch-norm layers,
 * arms kd, tinybert and deepinversion; loss points thinned to every 10th).
 */
const EVENTS = parseEventLines(readFileSync(path.join(__dirname, 'fixtures/digits-distill.events.jsonl'), 'utf8'));
const header = { runId: '20261207-010421-digits-distill-distill-53b3', runDir: '/runs/r', experiment: 'digits-distill', status: 'completed' as const };
const theme: DistillChartTheme = { foreground: '#ccc', mutedForeground: '#999', grid: '#333', fontFamily: 'sans-serif', fontSize: 13, runColors: ['#3794ff', '#d18616', '#89d185'], reference: '#cca700' };

describe('distill panel view model', () => {
  const v = distillView(header, EVENTS);

  it('lays out every arm of the plan with its result, the teacher as reference', () => {
    assert.deepEqual(v.arms.map((a) => [a.name, a.method, a.state, a.dataFree]), [['kd', 'kd', 'done', false], ['tinybert', 'tinybert', 'done', false], ['deepinversion', 'deepinversion', 'done', true]]);
    assert.equal(v.teacher?.parameters, 9482);
    assert.ok(v.teacher?.accuracy && v.teacher.accuracy > 0.9);
    assert.ok(v.teacher?.msPerExample && v.teacher.msPerExample > 0);
    assert.deepEqual(v.teacher?.batchNormLayers, ['bn1', 'bn2']);
    assert.deepEqual(v.imageShape, [8, 8, 1]);
    for (const a of v.arms) assert.ok(a.accuracy !== undefined && a.parameters === 910 && a.msPerExample! > 0, a.name);
    const rows = armRows(v);
    assert.equal(rows[0].name, 'teacher');
    assert.ok(Math.abs(rows[1].smaller! - 9482 / 910) < 1e-9);
    assert.equal(armCsvRows(v).length, 4);
  });

  it('one lane per loss per stage, named for what it is; per-layer terms and all-zero terms are not lanes', () => {
    assert.deepEqual(v.stages.map((s) => s.name), ['prediction', 'intermediate', 'synthesis', 'distillation']);
    const lanes = Object.fromEntries(v.stages.map((s) => [s.name, s.lanes]));
    assert.deepEqual(lanes.prediction, ['KD (soft cross-entropy)', 'student test accuracy']);
    // An MLP has no attention and no embedding pair: those terms are 0 and left out.
    assert.deepEqual(lanes.intermediate, ['total', 'hidden-state MSE']);
    assert.deepEqual(lanes.synthesis, ['total', 'class cross-entropy', 'BN statistics', 'total variation', 'teacher agrees with target']);
    assert.equal(laneOf('synthesis', 'bn:bn1'), undefined);
    // The other stages' terms: TinyBERT's on a transformer, DAFL's generator, the student arm's labels.
    assert.deepEqual(['embedding', 'attention'].map((k) => laneOf('intermediate', k)), ['embedding MSE', 'attention MSE']);
    assert.deepEqual(['loss', 'oneHot', 'activation', 'balance'].map((k) => laneOf('generator', k)), ['total', 'one-hot', 'activation', 'class balance']);
    assert.equal(laneOf('supervised', 'loss'), 'cross-entropy (labels)');
    assert.deepEqual(['competition', 'studentKd'].map((k) => laneOf('synthesis', k)), ['competition (1 − JS teacher, student)', 'student KD between batches']);
    assert.equal(laneOf('distillation', 'loss'), 'KD (soft cross-entropy)');
    assert.ok(v.points.every((p) => v.stages.find((s) => s.name === p.stage)?.lanes.includes(p.lane)));
    assert.equal(lossCsvRows(v).length, v.points.length);
    // Per-layer terms are kept as final losses (the inline hints).
    assert.ok(v.arms[1].finalLosses.intermediate['hidden:s1'] > 0);
    assert.ok(v.arms[2].finalLosses.synthesis['bn:bn2'] >= 0);
  });

  it('the data-free arm carries its gallery per class and the BN match before and after synthesis', () => {
    const di = v.arms[2];
    const byClass = galleryByClass(di);
    assert.equal(byClass.length, 10);
    assert.ok(byClass.every((c) => c.images.length === 6 && c.images.every((im) => im.length === 64)));
    assert.deepEqual(di.batchNorm?.map((g) => g.layer), ['bn1', 'bn2']);
    // Synthesis brings each layer's statistics closer to the running ones than noise.
    for (const g of di.batchNorm!) assert.ok(g.mean < g.meanBefore! && g.variance < g.varianceBefore!, JSON.stringify(g));
    assert.equal(batchNormRows(v).length, 2 * 2 * 2);
    const greys = imageGreys([-1, 0, 1]);
    assert.deepEqual([...greys], [0, 128, 255]);
  });

  it('a resumed run repeats steps after its checkpoint: the later points replace them', () => {
    const step = (stageStep: number, loss: number): RunEvent => ({ type: 'distill-step', arm: 'kd', stage: 'prediction', step: stageStep, stageStep, metrics: { loss } });
    const start = EVENTS.find((e) => e.type === 'distill-start')!;
    const r = distillView({ ...header, status: 'running' }, [start, step(1, 3), step(2, 2), step(3, 1.5), { ...start, resumed: true } as RunEvent, step(2, 2.1), step(3, 1.4)]);
    assert.deepEqual(r.points.map((p) => [p.step, p.value]), [[1, 3], [2, 2.1], [3, 1.4]]);
    assert.equal(r.resumed, true);
    assert.deepEqual(r.arms.map((a) => a.state), ['running', 'waiting', 'waiting']);
    assert.equal(distillView(header, []).arms.length, 0);
  });
});

describe('distill panel charts (rendered to SVG as the webview does)', () => {
  const v = distillView(header, EVENTS);

  it('draws a stage\'s lanes as one row each on the stage\'s step axis', async () => {
    const spec = stageLanesSpec(v, 'synthesis', { width: 800, theme }) as { spec: { encoding: { color: { scale: { domain: string[]; range: string[] } } } } };
    // Only the arms that ran the stage, each in its colour of every chart (its place in the plan).
    assert.deepEqual(spec.spec.encoding.color.scale, { domain: ['deepinversion'], range: ['#89d185'] });
    const svg = await renderSvg(spec);
    for (const lane of v.stages.find((s) => s.name === 'synthesis')!.lanes) assert.ok(svg.includes(lane), lane);
    assert.match(svg, /Stage: synthesis/);
  });

  it('draws one bar per arm for accuracy, parameters and speed, with the teacher as reference', async () => {
    const spec = armsSpec(v, { width: 900, theme }) as { hconcat: { layer: { data: { values: unknown[] } }[] }[] };
    assert.equal(spec.hconcat.length, 3);
    for (const panel of spec.hconcat) {
      assert.equal(panel.layer[0].data.values.length, 3, 'one bar per arm');
      assert.equal(panel.layer.length, 2, 'the teacher rule');
    }
    const svg = await renderSvg(spec);
    assert.match(svg, /teacher \(dashed\): 9\.5k/);
    assert.match(svg, /deepinversion/);
  });

  it('draws the BN match per teacher layer, noise next to synthetic', async () => {
    const svg = await renderSvg(batchNormSpec(v, { width: 800, theme }));
    for (const t of ['bn1', 'bn2', 'Gaussian noise (before)', 'synthetic (after)', 'deepinversion']) assert.ok(svg.includes(t), t);
  });
});

describe('distill panel messages', () => {
  const v = distillView(header, EVENTS);

  it('accepts what the host sends and what the webview sends', () => {
    assert.ok(isHostToWebview({ type: 'view', view: v }));
    assert.ok(isHostToWebview(JSON.parse(JSON.stringify({ type: 'view', view: v }))), 'survives the JSON round trip of postMessage');
    assert.ok(isHostToWebview({ type: 'notice', level: 'warning', text: 'gone' }));
    for (const m of [{ type: 'ready' }, { type: 'cancelRun', runId: 'r' }, { type: 'openExperiment', runId: 'r' }, { type: 'error', message: 'x' }, { type: 'export', format: 'csv', name: 'arms', content: 'a,b\r\n' }]) assert.ok(isWebviewToHost(m), JSON.stringify(m));
    assert.ok(isDistillPanelState({ runDir: '/runs/r' }));
  });

  it('drops what does not fit', () => {
    assert.ok(!isWebviewToHost({ type: 'export', format: 'png', name: 'x', content: 'not a png' }));
    assert.ok(!isWebviewToHost({ type: 'deleteEverything' }));
    assert.ok(!isWebviewToHost({ type: 'cancelRun' }), 'a run action names its run');
    assert.ok(!isHostToWebview({ type: 'view', view: { ...v, status: 'exploded' } }));
    assert.ok(!isHostToWebview({ type: 'view', view: { ...v, points: [{ arm: 'kd', stage: 'p', lane: 'l', step: 1, value: 'NaN' }] } }));
    assert.ok(!isHostToWebview({ type: 'view', view: { ...v, arms: [{ ...v.arms[2], gallery: [{ label: 0.5, values: [1] }] }] } }));
    assert.ok(!isHostToWebview({ type: 'view', view: { ...v, imageShape: [8, 8] } }));
    assert.ok(!isDistillPanelState({ runDir: '' }));
  });
});
