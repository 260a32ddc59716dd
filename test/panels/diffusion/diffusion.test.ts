import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../../src/core/train/events';
import { isHostToWebview, isWebviewToHost } from '../../../src/panels/diffusion/messages';
import { actionCsvRows, generationCsvRows, generationCurveSpec, modeBarsSpec, modeCsvRows, policyScatterSpec, type DiffusionTheme } from '../../../src/panels/diffusion/spec';
import { generationView, policyView } from '../../../src/panels/diffusion/viewModel';

const header = { runId: 'r1', runDir: '/runs/r1', experiment: 'toy', status: 'completed' };
const theme: DiffusionTheme = { foreground: '#ccc', grid: '#444', fontFamily: 'sans-serif', data: '#999', samples: '#37f', arms: ['#37f', '#d81'] };
const MODES = [
  { action: [-0.8, 0.8], reward: 3, label: 'top-left' },
  { action: [-0.8, -0.8], reward: 0, label: 'bottom-left' },
  { action: [0.8, 0.8], reward: 1.5, label: 'top-right' },
  { action: [0.8, -0.8], reward: 5, label: 'bottom-right' },
];
const policyEvents: RunEvent[] = [
  { type: 'diffusion-start', kind: 'diffusion-policy', arms: ['diffusion-bc'], totalSteps: 100, backend: 'wasm', modes: MODES, modeRadius: 0.2 },
  { type: 'diffusion-eval', arm: 'diffusion-bc', step: 50, metrics: { onMode: 0.4, bestModeShare: 0.1, expectedReward: 1 }, modeShares: [0.1, 0.1, 0.1, 0.1] },
  { type: 'diffusion-eval', arm: 'diffusion-bc', step: 100, final: true, metrics: { onMode: 0.9, bestModeShare: 0.2, expectedReward: 2.1 }, modeShares: [0.25, 0.2, 0.25, 0.2] },
];
const samples = { actionDim: 2, data: [0.8, 0.8, -0.8, -0.8], samples: [0.79, 0.81, -0.8, 0.8, 0, 0] };
const chain = { timesteps: [-1, 1, 0], states: [[1.5, -2, 0.3, 0.1], [0.9, 0.7, -0.7, 0.8], [0.8, 0.8, -0.8, 0.8]] };

/** Compiles with vega-lite and renders with vega's interpreter (as the webview does, no eval). */
async function renderSvg(spec: unknown): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const { expressionInterpreter } = await import('vega-interpreter');
  const view = new vega.View(vega.parse(compile(spec as never).spec, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'none' });
  return view.toSVG();
}

test('policy view: modes with the final shares, the curve, samples and the reverse chain', async () => {
  const v = policyView(header, policyEvents, samples, chain);
  assert.deepEqual(v.modes.map((m) => [m.label, m.share]), [['top-left', 0.25], ['bottom-left', 0.2], ['top-right', 0.25], ['bottom-right', 0.2]]);
  assert.deepEqual(v.curve.map((p) => p.step), [50, 100]);
  assert.deepEqual([v.onMode, v.bestModeShare, v.expectedReward], [0.9, 0.2, 2.1]);
  assert.deepEqual(v.samples, samples.samples);
  assert.deepEqual(v.chain?.timesteps, [-1, 1, 0]);
  assert.ok(isHostToWebview({ type: 'view', view: v }));
  // The slider's first frame is the noise, the last the final actions; the modes are circled.
  const noise = await renderSvg(policyScatterSpec(v, 0, theme));
  assert.match(noise, /x_T \(noise\)/);
  const final = await renderSvg(policyScatterSpec(v, 2, theme));
  assert.match(final, /after step t = 0/);
  assert.match(await renderSvg(modeBarsSpec(v, theme)), /bottom-right \(r 5\)/);
  // Exports: every data action and sample, every mode with its share.
  assert.deepEqual(actionCsvRows(v), [['data', 0.8, 0.8], ['data', -0.8, -0.8], ['sample', 0.79, 0.81], ['sample', -0.8, 0.8], ['sample', 0, 0]]);
  assert.deepEqual(modeCsvRows(v).map((r) => [r[0], r[4]]), [['top-left', 0.25], ['bottom-left', 0.2], ['top-right', 0.25], ['bottom-right', 0.2]]);
});

test('policy view: what is missing or crafted is said or dropped, never passed on', () => {
  const running = policyView({ ...header, status: 'running' }, policyEvents.slice(0, 1), undefined, undefined);
  assert.equal(running.note, 'sampled actions appear when the run completes');
  assert.equal(running.onMode, undefined);
  const threeD = policyView(header, policyEvents, { ...samples, actionDim: 3 }, chain);
  assert.match(threeD.note ?? '', /2-D actions only/);
  const crafted = policyView(header, policyEvents, { actionDim: 2, data: ['<img>'], samples: [1, 2] }, { timesteps: [-1], states: [[1, 2], [3, 4]] });
  assert.deepEqual(crafted.data, []);
  assert.equal(crafted.chain, undefined);
  assert.ok(isHostToWebview({ type: 'view', view: crafted }));
  assert.ok(!isHostToWebview({ type: 'view', view: { ...crafted, samples: ['x'] } }));
  assert.ok(!isHostToWebview({ type: 'view', view: { ...crafted, modes: [{ label: 'a', x: 0, y: 0, reward: 'lots' }] } }));
});

test('generation view: final measurements per schedule, the curve, grids of the right size', async () => {
  const events: RunEvent[] = [
    { type: 'diffusion-start', kind: 'diffusion', arms: ['coarse-to-fine', 'single-scale'], totalSteps: 10, backend: 'wasm', classNames: ['a', 'b'] },
    { type: 'diffusion-eval', arm: 'classifier', step: 5, metrics: { devAccuracy: 0.87 } },
    { type: 'diffusion-eval', arm: 'coarse-to-fine', step: 5, metrics: { distance: 9, distance7: 3, classConsistency: 0.5, samples: 20 } },
    { type: 'diffusion-eval', arm: 'coarse-to-fine', step: 10, final: true, metrics: { distance: 7, distance7: 2, classConsistency: 0.8, samples: 40 } },
    { type: 'diffusion-eval', arm: 'single-scale', step: 10, final: true, metrics: { distance: 8, distance7: 2.5, classConsistency: 0.7, samples: 40 } },
  ];
  const pixels = Buffer.alloc(2 * 2 * 3 * 784, 128).toString('base64');
  const grid = { grids: { 'coarse-to-fine': { perClass: 3, classes: 2, pixels }, 'single-scale': { perClass: 3, classes: 2, pixels: pixels.slice(4) } } };
  const v = generationView(header, events, grid);
  assert.deepEqual(v.arms, [
    { arm: 'coarse-to-fine', distance: 7, distance7: 2, classConsistency: 0.8 },
    { arm: 'single-scale', distance: 8, distance7: 2.5, classConsistency: 0.7 },
  ]);
  assert.equal(v.classifierAccuracy, 0.87);
  assert.equal(v.curve.length, 3);
  assert.deepEqual(generationCsvRows(v), [['coarse-to-fine', 5, 9, 0.5], ['coarse-to-fine', 10, 7, 0.8], ['single-scale', 10, 8, 0.7]]);
  assert.deepEqual(v.grids.map((g) => g.arm), ['coarse-to-fine'], 'a grid whose size does not fit its shape is dropped');
  assert.ok(isHostToWebview({ type: 'view', view: v }));
  const svg = await renderSvg(generationCurveSpec(v, theme));
  for (const t of ['Fréchet distance (ours)', 'class consistency', 'coarse-to-fine', 'single-scale']) assert.ok(svg.includes(t), t);
});

test('messages from the webview: only known shapes', () => {
  assert.ok(isWebviewToHost({ type: 'export', format: 'csv', name: 'actions', content: 'set,x,y' }));
  assert.ok(!isWebviewToHost({ type: 'export', format: 'png', name: 'actions', content: 'not a png' }));
  assert.ok(isWebviewToHost({ type: 'ready' }));
  assert.ok(isWebviewToHost({ type: 'exportGrid', arm: 'single-scale' }));
  assert.ok(!isWebviewToHost({ type: 'exportGrid', arm: '../../etc/passwd' }));
  assert.ok(!isWebviewToHost({ type: 'exportGrid' }));
  assert.ok(isWebviewToHost({ type: 'error', message: 'x' }));
  assert.ok(!isWebviewToHost({ type: 'other' }));
});
