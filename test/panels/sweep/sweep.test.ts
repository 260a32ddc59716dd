import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview, isWebviewToHost } from '../../../src/panels/sweep/messages';
import { PARALLEL_LINES, PARALLEL_UNFINISHED, parallelSpec, SCATTER_DOTS, scatterSpec } from '../../../src/panels/sweep/spec';
import { axisPos, bestPoint, metricAxis, metricNames, MISSING_POS, paramAxis, parallelData, scatterData, sweepCsvRows, sweepView, type SweepSource } from '../../../src/panels/sweep/viewModel';
import { renderSvg } from '../rlRender';

const LR = '/training/optimizer/learningRate';
const POLICY = '/freezing/policy';
const theme = { foreground: '#cccccc', mutedForeground: '#9d9d9d', grid: '#444444', fontFamily: 'sans-serif', fontSize: 13 };

/** Two learning rates x two policies: three completed, one failed (no metric). */
function source(): SweepSource {
  const point = (index: number, lr: number, policy: string, status: 'completed' | 'failed', accuracy?: number) => ({
    index, runId: `s-p${index}`, params: { [LR]: lr, [POLICY]: policy }, status,
    ...(accuracy === undefined ? { message: 'out of memory' } : { metrics: { accuracy, loss: 1 - accuracy } }),
  });
  return {
    sweepId: 's', sweepDir: '/runs/s', name: 'digits-sweep', executor: 'local',
    points: [point(0, 0.001, 'none', 'completed', 0.91), point(1, 0.001, 'smartfrz', 'completed', 0.95), point(2, 0.01, 'none', 'failed'), point(3, 0.01, 'smartfrz', 'completed', 0.93)],
  };
}

test('numeric parameters are numeric axes (log when they span 10x), others categorical in sweep order', () => {
  const lr = paramAxis(LR, [0.001, 0.001, 0.01, 0.01]);
  assert.equal(lr.scale, 'log');
  assert.deepEqual(lr.domain, [0.001, 0.01]);
  assert.deepEqual(lr.ticks.map((t) => t.label), ['0.001', '0.01']);
  assert.equal(axisPos(lr, 0.001), 0);
  assert.equal(axisPos(lr, 0.01), 1);
  assert.ok(Math.abs(axisPos(lr, Math.sqrt(0.001 * 0.01)) - 0.5) < 1e-12, 'log: the geometric middle is the middle');
  const units = paramAxis('/model/layers/0/units', [8, 16, 12]);
  assert.equal(units.scale, 'linear');
  assert.equal(axisPos(units, 12), 0.5);
  const policy = paramAxis(POLICY, ['smartfrz', 'none', 'smartfrz', 'autofreeze']);
  assert.equal(policy.scale, 'categorical');
  assert.deepEqual(policy.categories, ['smartfrz', 'none', 'autofreeze']);
  assert.deepEqual(policy.ticks.map((t) => t.pos), [0, 0.5, 1]);
  // Mixed values, objects and booleans are categories by their text; one value sits in the middle.
  const mixed = paramAxis('/x', [1, 'a', null, true, { k: 1 } as never]);
  assert.deepEqual(mixed.categories, ['1', 'a', 'null', 'true', '{"k":1}']);
  assert.equal(axisPos(paramAxis('/y', [3, 3]), 3), 0.5);
});

test('points without the metric sit in a "no metric" slot under the metric axis; the best is marked', () => {
  const view = sweepView(source());
  assert.deepEqual(view.pointers, [LR, POLICY]);
  assert.deepEqual(metricNames(view), ['accuracy', 'loss']);
  assert.equal(bestPoint(view, 'accuracy')?.index, 1);
  assert.equal(bestPoint(view, 'loss')?.index, 1, 'lower loss is better');
  const axis = metricAxis(view, 'accuracy');
  assert.equal(axis.title, 'test accuracy');
  assert.ok(axis.ticks.some((t) => t.pos === MISSING_POS && t.label === 'no metric'));
  const { axes, rows } = parallelData(view, 'accuracy');
  assert.deepEqual(axes.map((a) => a.title), [LR, POLICY, 'test accuracy']);
  assert.equal(rows.length, 4 * 3, 'one vertex per point and axis');
  const failed = rows.filter((r) => r.point === 2);
  assert.ok(failed.every((r) => r.metric === null && r.status === 'failed'));
  assert.equal(failed[2].pos, MISSING_POS);
  assert.equal(failed[2].value, 'failed');
  assert.ok(rows.filter((r) => r.point === 1).every((r) => r.best));
  assert.ok(Math.abs((rows.find((r) => r.point === 3 && r.order === 2)?.pos ?? 0) - 0.5) < 1e-9, '93% is halfway between 91% and 95%');
  // With no metric at all (a sweep still running), the axis has only the slot.
  const running = sweepView({ ...source(), points: source().points.map((p) => ({ ...p, status: 'running' as const, metrics: undefined })) });
  assert.deepEqual(metricAxis(running, 'accuracy').ticks.map((t) => t.label), ['no metric']);
  assert.equal(bestPoint(running, 'accuracy'), undefined);
});

test('a cancelled point with a last value: dashed at that value, never the best, not in the scatters', () => {
  const src = source();
  const points = src.points.map((p) => (p.index === 1 ? { ...p, status: 'cancelled' as const } : p));
  const view = sweepView({ ...src, points });
  assert.equal(bestPoint(view, 'accuracy')?.index, 3, 'the best completed point');
  const { rows } = parallelData(view, 'accuracy');
  const last = rows.find((r) => r.point === 1 && r.order === 2);
  assert.deepEqual([last?.metric, last?.pos, last?.value], [null, 1, '95.0% (cancelled)']);
  assert.deepEqual(scatterData(view, 'accuracy')[0].rows.map((r) => r.point), [0, 3]);
});

test('scatter data: per pointer, the points with the metric; categorical values as their text', () => {
  const view = sweepView(source());
  const panels = scatterData(view, 'accuracy');
  assert.deepEqual(panels.map((p) => p.pointer), [LR, POLICY]);
  assert.deepEqual(panels[0].rows.map((r) => [r.point, r.x, r.metric]), [[0, 0.001, 0.91], [1, 0.001, 0.95], [3, 0.01, 0.93]]);
  assert.deepEqual(panels[1].rows.map((r) => r.x), ['none', 'smartfrz', 'smartfrz']);
  const csv = sweepCsvRows(view);
  assert.deepEqual(csv.header, ['point', 'runId', 'status', LR, POLICY, 'accuracy', 'loss']);
  assert.deepEqual(csv.rows[2], [2, 's-p2', 'failed', 0.01, 'none', null, null]);
});

test('the parallel-coordinates chart draws one line per point, dashed for the failed one, axes named by the pointers', async () => {
  const view = sweepView(source());
  const svg = await renderSvg(parallelSpec(view, 'accuracy', { width: 600, theme }));
  const lines = (name: string) => svg.split(`<g class="mark-line role-mark ${name}_marks"`).slice(1).flatMap((chunk) => chunk.slice(0, chunk.indexOf('</g>')).match(/<path [^>]*aria-roledescription="line mark"[^>]*>/g) ?? []);
  assert.deepEqual(lines(PARALLEL_LINES).map((p) => /point: (\d+)/.exec(p)?.[1]).sort(), ['0', '1', '3'], 'one line per measured point');
  const missing = lines(PARALLEL_UNFINISHED);
  assert.equal(missing.length, 1, 'one line for the failed point');
  assert.match(missing[0], /point: 2; status: failed/);
  assert.match(missing[0], /stroke-dasharray="6,3"/);
  // The axes are named by their pointers (a long one on two lines) and the metric, each value labelled.
  assert.ok(svg.includes(`aria-label="X-axis for a discrete scale with 3 values: ${LR}, ${POLICY}, test accuracy"`));
  for (const text of ['/training/optimizer', '/learningRate', POLICY, 'test accuracy', 'no metric', 'smartfrz', 'none', '0.001', '0.01', '91.0%', '95.0%']) assert.ok(svg.includes(`>${text}<`), `${text} drawn`);
  // Lower is better for the loss: the colour scale turns so that the best is bright either way.
  const loss = JSON.stringify(parallelSpec(view, 'loss', { width: 600, theme }));
  assert.match(loss, /"reverse":true/);
});

test('the scatters: one chart per pointer, one dot per point with the metric', async () => {
  const view = sweepView(source());
  const svg = await renderSvg(scatterSpec(view, 'accuracy', { width: 700, theme }));
  for (const i of [0, 1]) {
    const dots = new RegExp(`<g class="mark-symbol role-mark ${SCATTER_DOTS}_${i}_marks"[^>]*>(.*?)</g>`, 's').exec(svg)?.[1] ?? '';
    assert.equal((dots.match(/<path [^>]*aria-roledescription="point"/g) ?? []).length, 3, `pointer ${i}: three dots`);
  }
  assert.ok(svg.includes(`>${LR}<`) && svg.includes(`>${POLICY}<`));
  // A sweep of one numeric pointer with a single completed point still renders.
  const one = sweepView({ ...source(), points: [source().points[0]] });
  assert.ok((await renderSvg(scatterSpec(one, 'accuracy', { width: 300, theme }))).includes(LR));
});

test('messages: a view validates; a malformed one, or an export that is not one, is dropped', () => {
  const view = sweepView(source());
  assert.ok(isHostToWebview({ type: 'view', view }));
  assert.ok(!isHostToWebview({ type: 'view', view: { ...view, points: [{ ...view.points[0], status: 'exploded' }] } }));
  assert.ok(!isHostToWebview({ type: 'view', view: { ...view, points: [{ ...view.points[0], metrics: { accuracy: 'high' } }] } }));
  assert.ok(!isHostToWebview({ type: 'view', view: { ...view, points: [{ ...view.points[0], params: { [LR]: { nested: 1 } } }] } }));
  assert.ok(isWebviewToHost({ type: 'openRun', runId: 's-p1' }));
  assert.ok(isWebviewToHost({ type: 'export', format: 'csv', name: 'sweep', content: 'a,b\r\n' }));
  assert.ok(!isWebviewToHost({ type: 'export', format: 'svg', name: 'sweep', content: '<script>' }));
  assert.ok(!isWebviewToHost({ type: 'openRun', runId: '' }));
});
