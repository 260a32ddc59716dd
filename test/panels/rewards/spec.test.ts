import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CELL_SELECTION, differenceHeatmapSpec, distanceHeatmapSpec } from '../../../src/panels/rewards/spec';

/** Compiles with vega-lite and renders with vega's interpreter (as the webview does, no eval). */
async function render(spec: unknown): Promise<{ svg: string; signals: string[] }> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const { expressionInterpreter } = await import('vega-interpreter');
  const compiled = compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'none' });
  return { svg: await view.toSVG(), signals: (compiled.signals ?? []).map((s) => s.name) };
}

const theme = { foreground: '#cccccc', background: '#1e1e1e', low: '#3794ff', high: '#f14c4c', mid: '#1e1e1e', font: 'Segoe UI' };

test('distance heatmap: one datum per pair, theme colours, click selection, renders with Vega', async () => {
  const names = ['task', 'shaped', 'negated'];
  const matrix = [
    [0, 0, 2],
    [0, 0, 2],
    [2, 2, 0],
  ];
  const spec = distanceHeatmapSpec(names, matrix, theme, { title: 'VAL L2/L2' });
  const values = (spec.data as { values: { row: string; col: string; value: number }[] }).values;
  assert.equal(values.length, 9);
  assert.deepEqual(values.find((v) => v.row === 'negated' && v.col === 'task'), { row: 'negated', col: 'task', i: 2, j: 0, value: 2 });
  const json = JSON.stringify(spec);
  assert.ok(json.includes('"range":["#3794ff","#f14c4c"]'));
  assert.ok(json.includes(`"name":"${CELL_SELECTION}"`));
  assert.ok(json.includes('"labelColor":"#cccccc"'));
  const { svg, signals } = await render(spec);
  assert.ok(svg.includes('fill="rgb(241, 76, 76)"'), 'the largest distance is drawn in the "high" colour');
  assert.ok(svg.includes('fill="rgb(55, 148, 255)"'), 'zero is drawn in the "low" colour');
  assert.ok(svg.includes('negated'));
  assert.ok(signals.some((s) => s.startsWith(CELL_SELECTION)), signals.join(','));
  assert.throws(() => distanceHeatmapSpec(['a', 'b'], [[0]], theme), RangeError);
  assert.throws(() => distanceHeatmapSpec(['a', 'a'], [[0, 1], [1, 0]], theme), RangeError);
});

test('difference heatmap: states x actions, symmetric diverging scale, renders', async () => {
  const spec = differenceHeatmapSpec(['s0', 's1'], ['up', 'down', 'left'], [0.1, -0.4, 0, 0.2, 0.3, -0.1], theme);
  const values = (spec.data as { values: { state: string; action: string; difference: number }[] }).values;
  assert.equal(values.length, 6);
  assert.deepEqual(values[1], { state: 's0', action: 'down', s: 0, a: 1, difference: -0.4 });
  const color = (spec.encoding as { color: { scale: { domain: number[]; range: string[] } } }).color;
  assert.deepEqual(color.scale.domain, [-0.4, 0, 0.4]);
  assert.deepEqual(color.scale.range, ['#3794ff', '#1e1e1e', '#f14c4c']);
  const { svg } = await render(spec);
  assert.ok(svg.includes('left') && svg.includes('s1'));
  assert.throws(() => differenceHeatmapSpec(['s0'], ['a'], [1, 2], theme), RangeError);
});
